"""Reader privacy on the patron record: the reading-history choice, shown; and the
librarians' "Anonymise and deactivate" action (library.services.privacy.patron_erase).

The user admin belongs to accounts, which may not know the library; the library extends it
(the patron record in ``patrons``, then this) and registers the extension in its place.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.roles import is_librarian
from backoffice.core.errors import DomainError
from library.models import ANONYMISED_PATRON_USERNAME
from library.services.privacy import patron_erase, patron_erase_refusals, retention_days_of

from .audit import AuditChangesView
from .patrons import PatronRecordAdmin

User = get_user_model()


class PatronPrivacyAdmin(PatronRecordAdmin):
    actions = [*(PatronRecordAdmin.actions or []), "anonymise_and_deactivate"]

    def get_urls(self):
        # Audit, Changes covers every model with history; it needs a model admin to hang
        # off, and the account's is the one the library already extends.
        audit = path(
            "audit/changes/",
            self.admin_site.admin_view(AuditChangesView.as_view(model_admin=self)),
            name="audit_changes",
        )
        return [audit, *super().get_urls()]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "accounts_user_changelist":
            # The system account that anonymised loans belong to is nobody to list.
            queryset = queryset.exclude(username=ANONYMISED_PATRON_USERNAME)
        return queryset.select_related("reading_history_choice")

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append((_("Reader privacy"), {"fields": ["reading_history"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "reading_history"]

    @admin.display(description=_("Reading history"))
    def reading_history(self, user):
        chosen = getattr(user, "reading_history_choice", None)
        days = retention_days_of(chosen)
        kept = (
            _("returned loans keep the patron")
            if days is None
            else _("returned loans are anonymised %(days)d days after their return")
            % {"days": days}
        )
        source = (
            _("the patron's own choice: %(choice)s") % {"choice": chosen}
            if chosen is not None
            else _("the library's setting")
        )
        return format_html("{} ({})", kept, source)

    def has_anonymise_and_deactivate_permission(self, request):
        return is_librarian(request.user)

    @admin.action(
        description=_("Anonymise and deactivate"), permissions=["anonymise_and_deactivate"]
    )
    def anonymise_and_deactivate(self, request, queryset):
        """Erase the selected patrons; a confirmation page first, with any refusals."""
        patrons = list(queryset.order_by("username"))
        if not request.POST.get("post"):
            context = {
                **self.admin_site.each_context(request),
                "title": _("Anonymise and deactivate"),
                "opts": self.opts,
                "rows": [(patron, patron_erase_refusals(patron)) for patron in patrons],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            }
            return TemplateResponse(request, "library/admin/anonymise_confirm.html", context)
        done, refusals = [], []
        for patron in patrons:
            try:
                erased = patron_erase(user_id=patron.pk, actor=request.user)
            except DomainError as error:
                refusals.append((error.detail,))
            else:
                self.log_change(request, erased, "Anonymised and deactivated")
                done.append(patron.pk)
        if done:
            self.message_user(
                request,
                ngettext(
                    "Anonymised and deactivated %(count)d patron.",
                    "Anonymised and deactivated %(count)d patrons.",
                    len(done),
                )
                % {"count": len(done)},
                messages.SUCCESS,
            )
        if refusals:
            self.message_user(
                request,
                format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", refusals)),
                messages.ERROR,
            )
        return None


admin.site.unregister(User)
admin.site.register(User, PatronPrivacyAdmin)
