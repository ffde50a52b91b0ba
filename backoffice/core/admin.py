"""Admin base classes every app's admin builds on (django-unfold).

Writes go through services: ``ServiceWriteMixin`` turns a service's refusal into an admin
error instead of a 500, and the bulk delete asks the service row by row. History pages are
read-only windows (simple-history's "revert" would bypass the services). Records the system
writes and people only read use ``NoAddOrChangeMixin`` / ``ReadOnlyAdminMixin``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.formats.base_formats import CSV
from import_export.tmp_storages import CacheStorage
from simple_history.admin import SimpleHistoryAdmin
from unfold.contrib.filters.admin import (
    RangeDateTimeFilter,
)
from unfold.contrib.import_export.forms import ExportForm, ImportForm

from backoffice.core.admin_inputs import AdminInputGuardMixin
from backoffice.core.errors import DomainError
from backoffice.core.inputs import DAY_RANGE_MESSAGE, day_in_range, parse_id


class ReadOnlyHistoryAdmin(AdminInputGuardMixin, SimpleHistoryAdmin):
    """simple-history's views with field-level diffs, and no way to revert from them.

    Ids in their URLs are checked first: simple-history hands "abc" to the ORM (a 500).
    """

    def revert_disabled(self, request, obj=None):
        # A revert saves an old row as it was, around the services and their checks.
        return True

    def history_view(self, request, object_id, extra_context=None):
        if not self.object_id_is_valid(unquote(object_id)):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self.object_id_is_valid(unquote(object_id)) or parse_id(version_id) is None:
            raise Http404
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class StaffImportExportMixin:
    """CSV only; export for anyone who may view the model, import for those who may edit it.

    Auditors (view permissions only) can export but never import.
    """

    import_form_class = ImportForm
    export_form_class = ExportForm
    formats = [CSV]
    # The uploaded file waits for confirmation in the shared cache (database or Redis),
    # not in one machine's /tmp, so any web process can finish the import.
    tmp_storage_class = CacheStorage
    import_error_display = ("message", "row")

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


class WriteRefused(Exception):
    """A service refused a write the form had accepted (a race); the view reports it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def refused(error: Exception, what: str) -> WriteRefused:
    if isinstance(error, ValidationError):
        detail = " ".join(error.messages)
    else:
        detail = getattr(error, "detail", str(error))
    return WriteRefused(f"{what}: {detail}")


@admin.action(permissions=["delete"], description=django_delete_selected.short_description)
def delete_selected_with_service(modeladmin, request, queryset):
    """Django's bulk delete, but each row goes through the service and reports back."""
    if not request.POST.get("post"):
        return django_delete_selected(modeladmin, request, queryset)  # confirmation page
    deleted = 0
    refused = []
    for obj in queryset:
        try:
            with transaction.atomic():
                modeladmin.log_deletions(request, [obj])
                modeladmin.delete_with_service(request, obj)
        except DomainError as error:
            refused.append((str(obj), error.detail))
        else:
            deleted += 1
    if deleted:
        modeladmin.message_user(
            request,
            ngettext("Deleted %(count)d %(name)s.", "Deleted %(count)d %(name_plural)s.", deleted)
            % {
                "count": deleted,
                "name": modeladmin.opts.verbose_name,
                "name_plural": modeladmin.opts.verbose_name_plural,
            },
            messages.SUCCESS,
        )
    if refused:
        modeladmin.message_user(
            request,
            format_html(
                "{}<ul>{}</ul>",
                ngettext("%(count)d was not deleted:", "%(count)d were not deleted:", len(refused))
                % {"count": len(refused)},
                format_html_join("", "<li>“{}”: {}</li>", refused),
            ),
            messages.ERROR,
        )
    return None


class ServiceWriteMixin:
    """Writes through services; a refusal comes back as an admin error, never a 500.

    The admin's add, change and delete views run in one transaction. Raising
    ``WriteRefused`` out of ``save_model``/``delete_model`` rolls all of it back (log entry
    included); the view then shows the form again, or the object, with the error.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except WriteRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return redirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except WriteRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            opts = self.opts
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", object_id)

    def delete_with_service(self, request, obj) -> None:
        raise NotImplementedError

    def get_deleted_objects(self, objs, request):
        # The service decides what may go. Django's collector would instead list every
        # protected borrow on the confirmation page, one query per row.
        objs = list(objs)
        return [str(obj) for obj in objs], {self.opts.verbose_name_plural: len(objs)}, set(), []

    def delete_model(self, request, obj):
        try:
            self.delete_with_service(request, obj)
        except DomainError as error:
            raise refused(error, _("“%(obj)s” was not deleted") % {"obj": obj}) from error

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (
                delete_selected_with_service,
                "delete_selected",
                actions["delete_selected"][2],
            )
        return actions


def when(value):
    """A date and time on one line, in the library's time zone."""
    if not value:
        return None
    return format_html(
        '<span class="whitespace-nowrap">{}</span>',
        date_format(timezone.localtime(value), "j M Y, H:i"),
    )


class LocalisedRangeDateTimeFilter(RangeDateTimeFilter):
    """unfold's date-time range, read in the site's input formats (dd/mm/yyyy in en-gb).

    unfold parses the bounds with settings.DATETIME_INPUT_FORMATS only (US order), so a
    date picked in the widget silently stopped filtering; a form field reads it as the
    widget wrote it. A missing time means the start or the end of that day.
    """

    def queryset(self, request, queryset):
        bounds = {}
        for side, lookup, default_time in (("from", "gte", "00:00"), ("to", "lte", "23:59:59")):
            day = self.used_parameters.get(f"{self.parameter_name}_{side}_0")
            if day in (None, ""):
                continue
            at = self.used_parameters.get(f"{self.parameter_name}_{side}_1") or default_time
            try:
                bound = forms.DateTimeField().clean(f"{day} {at}")
            except ValidationError as error:
                raise IncorrectLookupParameters(error) from None
            if not day_in_range(bound.date()):
                # Made aware and sent as UTC, a bound at the calendar's edge overflows.
                messages.error(request, DAY_RANGE_MESSAGE)
                raise IncorrectLookupParameters(DAY_RANGE_MESSAGE)
            bounds[f"{self.parameter_name}__{lookup}"] = bound
        return queryset.filter(**bounds)


class NoAddOrChangeMixin:
    """Nobody adds or edits these rows by hand; deleting stays a permission question
    (revoking an API token, unlocking a locked-out login)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin(NoAddOrChangeMixin):
    def has_delete_permission(self, request, obj=None):
        return False


class _DryRunRollback(Exception):
    """Raised to roll back a service call made only to check a form."""


class ServiceCheckedAddForm(forms.ModelForm):
    """An add form checked by the service that will save it, in a rolled-back dry run.

    ``service_call(cleaned)`` makes the real call (lend, place a hold); it takes its locks
    and applies every rule as the save will, inside a savepoint that is always rolled back,
    so the refusal appears on the form, worded for ``actor`` (the member of staff), instead
    of after the save. ``error_fields`` maps refusal classes to the field they belong to.
    """

    actor = None  # set per request by EventRecordAdminMixin
    error_fields: dict = {}

    def service_call(self, cleaned: dict) -> None:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if any(cleaned.get(name) is None for name in self._meta.fields):
            return cleaned
        try:
            with transaction.atomic():
                self.service_call(cleaned)
                raise _DryRunRollback
        except _DryRunRollback:
            pass
        except DomainError as error:
            field = next(
                (name for kind, name in self.error_fields.items() if isinstance(error, kind)),
                None,
            )
            raise ValidationError({field: error.detail} if field else error.detail) from None
        return cleaned


class EventRecordAdminMixin:
    """Rows that record what happened (a loan, a hold): made through a service from the
    ``add_form`` (a ``ServiceCheckedAddForm``); once saved, every field is read-only, there
    is no save button and no delete. Their state changes through the admin's actions."""

    add_form = None
    change_fields: list[str] = []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_fields(self, request, obj=None):
        return list(self.add_form._meta.fields) if obj is None else self.change_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.change_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)
