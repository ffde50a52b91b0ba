"""Audit, Changes: every history row of the library on one read-only page, with CSV export.

The page hangs off the patron admin (as the report files hang off the task results): its
URL is ``admin:audit_changes``. Librarians and auditors read it; it has no form that
writes anything. The rows come from ``library.selectors.audit``.
"""

import csv

from django import forms
from django.http import StreamingHttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin
from unfold.widgets import (
    INPUT_CLASSES,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from accounts.roles import can_read_all_circulation
from backoffice.core.inputs import DAY_RANGE_MESSAGE, day_in_range
from backoffice.core.spreadsheet import formula_safe_row
from library.selectors.audit import (
    ACTORS,
    KINDS,
    AuditCursor,
    AuditFilters,
    audit_models,
    audit_page,
)

EXPORT_BATCH = 500
_DAY_INPUT = forms.DateInput(attrs={"type": "date", "class": " ".join(INPUT_CLASSES)})
CSV_HEADER = ["when", "who", "role", "model", "object id", "object", "kind", "changes", "reason"]


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        required=False,
        max_length=150,
        label=_("Who"),
        help_text=_("system, staff, patron, or a username"),
        widget=UnfoldAdminTextInputWidget(
            attrs={"placeholder": _("system, staff, patron, a username")}
        ),
    )
    model = forms.ChoiceField(required=False, label=_("What"), widget=UnfoldAdminSelectWidget)
    kind = forms.ChoiceField(
        required=False,
        label=_("Kind"),
        widget=UnfoldAdminSelectWidget,
        choices=[("", _("Any")), *[(code, name) for code, name in KINDS.items()]],
    )
    since = forms.DateField(
        required=False,
        label=_("From"),
        input_formats=["%Y-%m-%d"],
        widget=_DAY_INPUT,
    )
    until = forms.DateField(
        required=False,
        label=_("To"),
        input_formats=["%Y-%m-%d"],
        widget=_DAY_INPUT,
    )
    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("Object"),
        help_text=_("an id, or a title or name"),
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": _("an id, a title, a name")}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [
            ("", _("Every model")),
            *[
                (label, str(model._meta.verbose_name_plural).capitalize())
                for label, model in audit_models().items()
            ],
        ]

    def _day(self, name):
        day = self.cleaned_data.get(name)
        if day is not None and not day_in_range(day):
            raise forms.ValidationError(DAY_RANGE_MESSAGE)
        return day

    def clean_since(self):
        return self._day("since")

    def clean_until(self):
        return self._day("until")

    def clean_actor(self):
        actor = self.cleaned_data["actor"].strip()
        if "\x00" in actor:
            raise forms.ValidationError(_("Not a username."))
        return actor

    def clean_q(self):
        text = self.cleaned_data["q"].strip()
        if "\x00" in text:
            raise forms.ValidationError(_("Not a search text."))
        return text

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor=data.get("actor", ""),
            model=data.get("model", ""),
            kind=data.get("kind", ""),
            since=data.get("since"),
            until=data.get("until"),
            search=data.get("q", ""),
        )


def object_link(entry) -> str | None:
    """The object's change page, or its history page once it is deleted."""
    view = "history" if entry.kind == "deleted" else "change"
    try:
        return reverse(f"admin:{entry.app_label}_{entry.model_name}_{view}", args=[entry.object_id])
    except NoReverseMatch:
        return None


def _csv_row(entry) -> list:
    changes = "; ".join(f"{c.field}: {c.old} → {c.new}" for c in entry.changes)
    return formula_safe_row(
        [
            timezone.localtime(entry.at).isoformat(),
            entry.actor.get_username() if entry.actor else "system",
            entry.actor_role,
            entry.verbose_name,
            entry.object_id,
            entry.label,
            entry.kind,
            changes,
            entry.reason,
        ]
    )


class _Echo:
    def write(self, value):
        return value


def _csv_lines(filters: AuditFilters):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    cursor = None
    while True:
        entries, cursor = audit_page(filters=filters, cursor=cursor, limit=EXPORT_BATCH)
        for entry in entries:
            yield writer.writerow(_csv_row(entry))
        if cursor is None:
            return


class AuditChangesView(UnfoldModelAdminViewMixin, TemplateView):
    title = _("Changes")
    permission_required = ()
    template_name = "library/admin/audit_changes.html"

    def has_permission(self):
        return can_read_all_circulation(self.request.user)

    def get(self, request, *args, **kwargs):
        form = AuditFilterForm(request.GET or None)
        valid = form.is_valid() if request.GET else True
        filters = form.filters() if request.GET and valid else AuditFilters()
        if valid and request.GET.get("export") == "csv":
            stamp = timezone.now().strftime("%Y%m%d_%H%M%S")
            return StreamingHttpResponse(
                _csv_lines(filters),
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="changes_{stamp}.csv"'},
            )
        cursor_text = request.GET.get("after", "")
        cursor = AuditCursor.decode(cursor_text) if cursor_text else None
        entries, next_cursor = ([], None)
        if valid and (cursor is not None or not cursor_text):
            entries, next_cursor = audit_page(filters=filters, cursor=cursor)
        query = request.GET.copy()
        query.pop("after", None)
        query.pop("export", None)
        context = self.get_context_data(
            form=form if request.GET else AuditFilterForm(),
            rows=[(entry, object_link(entry)) for entry in entries],
            next_query=_with(query, after=next_cursor.encode()) if next_cursor else None,
            first_query=query.urlencode() if cursor_text else None,
            export_query=_with(query, export="csv"),
            bad_cursor=bool(cursor_text) and cursor is None,
            actors=ACTORS,
        )
        return self.render_to_response(context)


def _with(query, **values) -> str:
    query = query.copy()
    for key, value in values.items():
        query[key] = value
    return query.urlencode()
