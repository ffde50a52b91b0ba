"""Notices in the back office: the log of what each patron was told (and whether the mail
went out), resending failures, and the notice templates with a preview against a real
patron. django-post-office's own pages (mail, log, templates) are shown in the admin's look;
librarians edit templates, auditors read everything.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template import TemplateSyntaxError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from post_office.models import STATUS, Attachment, Email, EmailTemplate, Log
from post_office.sanitizer import clean_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import AutocompleteSelectFilter
from unfold.decorators import action, display

from backoffice.core.admin import ReadOnlyAdminMixin, when
from backoffice.core.admin_inputs import AdminInputGuardMixin
from backoffice.core.inputs import parse_id
from backoffice.core.mail import mail_render
from library import selectors, services
from library.models import Notice, PatronPreferences

DELIVERY_LABELS = {
    "sent": "success",
    "queued": "info",
    "retrying": "warning",
    "failed": "danger",
    "no_address": "danger",
}
DELIVERY_WORDS = {
    "sent": _("Sent"),
    "queued": _("Queued"),
    "retrying": _("Retrying"),
    "failed": _("Failed"),
    "no_address": _("No address: phone"),
}


class DeliveryFilter(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return list(DELIVERY_WORDS.items())

    def queryset(self, request, queryset):
        value = self.value()
        if value == "no_address":
            return queryset.filter(status=Notice.Status.NO_ADDRESS)
        statuses = {
            "sent": [STATUS.sent],
            "failed": [STATUS.failed],
            "retrying": [STATUS.requeued],
            "queued": [STATUS.queued],
        }.get(value)
        if statuses is None:
            return queryset
        found = queryset.filter(email__status__in=statuses)
        if value == "queued":
            found = queryset.filter(
                Q(email__status=STATUS.queued) | Q(status=Notice.Status.QUEUED, email__isnull=True)
            )
        return found


def delivery_of(notice) -> tuple[str, str]:
    state = selectors.notices.notice_delivery(notice)
    return state, DELIVERY_WORDS[state]


@admin.register(Notice)
class NoticeAdmin(AdminInputGuardMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["sent_on", "kind_label", "patron", "item", "stage_words", "delivery"]
    list_select_related = ["user", "email", "borrow__book", "hold__book"]
    list_filter = ["kind", DeliveryFilter, ("user", AutocompleteSelectFilter)]
    list_filter_submit = True
    search_fields = ["user__username", "user__last_name", "user__email"]
    search_help_text = _("Patron username, surname or e-mail")
    show_full_result_count = False
    ordering = ["-created_at", "-id"]
    actions = ["resend"]
    fields = ["kind", "stage", "user", "borrow", "hold", "status", "email_link", "created_at"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        # Nothing on a notice is edited; "change" is the right to resend its mail.
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("library.change_notice")

    @display(description=_("When"), ordering="created_at")
    def sent_on(self, notice):
        return when(notice.created_at)

    @display(description=_("Kind"), label=True)
    def kind_label(self, notice):
        return notice.get_kind_display()

    @display(description=_("Patron"), ordering="user__username")
    def patron(self, notice):
        return format_html(
            '<a class="text-primary-600" href="{}">{}</a> <span class="text-xs">{}</span>',
            reverse("admin:accounts_user_change", args=[notice.user_id]),
            notice.user.get_full_name() or notice.user.get_username(),
            notice.user.email or "",
        )

    @display(description=_("Book"))
    def item(self, notice):
        return (notice.borrow or notice.hold).book.title

    @display(description=_("Stage"))
    def stage_words(self, notice):
        if notice.kind == Notice.Kind.OVERDUE:
            return _("%(days)d days overdue") % {"days": notice.stage}
        if notice.kind == Notice.Kind.DUE_SOON:
            return _("due within %(days)d days") % {"days": notice.stage}
        return "—"

    @display(description=_("Delivery"), label=DELIVERY_LABELS)
    def delivery(self, notice):
        return delivery_of(notice)

    @display(description=_("E-mail"))
    def email_link(self, notice):
        if notice.email_id is None:
            return "—"
        return format_html(
            '<a class="text-primary-600" href="{}">{}</a>',
            reverse("admin:post_office_email_change", args=[notice.email_id]),
            _("The e-mail and its delivery log"),
        )

    @action(description=_("Resend the e-mail"), permissions=["resend"], icon="send")
    def resend(self, request, queryset):
        count = services.notice_resend(notice_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d e-mail queued again.", "%(count)d e-mails queued again.", count)
            % {"count": count}
            if count
            else _("None of these notices has an e-mail to send (no address)."),
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(PatronPreferences)
class PatronPreferencesAdmin(AdminInputGuardMixin, ModelAdmin):
    list_display = ["user", "courtesy_notices", "updated_at"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    search_fields = ["user__username", "user__last_name"]


# --- django-post-office's pages, in the admin's look -------------------------------------

# Notices carry no attachments: post-office's attachment page (in Django's own look, with
# none of the admin's input checks) is not offered.
for model in (Email, Log, EmailTemplate, Attachment):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class LogInline(ReadOnlyAdminMixin, TabularInline):
    model = Log
    fields = ["date", "status", "exception_type", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Email)
class EmailAdmin(AdminInputGuardMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["created", "to_display", "subject", "status", "number_of_retries"]
    list_filter = ["status"]
    search_fields = ["to", "subject"]
    show_full_result_count = False
    ordering = ["-created", "-id"]
    fields = [
        "to",
        "from_email",
        "subject",
        "message",
        "status",
        "number_of_retries",
        "scheduled_time",
        "created",
        "last_updated",
    ]
    readonly_fields = fields
    inlines = [LogInline]

    @display(description=_("To"))
    def to_display(self, email):
        return ", ".join(email.to)


@admin.register(Log)
class LogAdmin(AdminInputGuardMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["date", "email", "status", "exception_type", "message"]
    list_filter = ["status"]
    list_select_related = ["email"]
    show_full_result_count = False
    ordering = ["-date", "-id"]


class PreviewForm(forms.Form):
    patron = forms.CharField(
        label=_("Patron"), max_length=150, help_text=_("Username of the patron to preview for.")
    )


@admin.register(EmailTemplate)
class EmailTemplateAdmin(AdminInputGuardMixin, ModelAdmin):
    list_display = ["name", "description", "subject", "last_updated"]
    search_fields = ["name", "description", "subject"]
    fields = ["name", "description", "subject", "content", "html_content", "preview_link"]
    readonly_fields = ["name", "preview_link"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(default_template__isnull=True)

    def has_add_permission(self, request):
        # The run looks templates up by name: the shipped ones are edited, none added.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("Preview"))
    def preview_link(self, template):
        if template.pk is None:
            return "—"
        return format_html(
            '<a class="text-primary-600" href="{}">{}</a>',
            reverse("admin:post_office_emailtemplate_preview", args=[template.pk]),
            _("Preview this template for a patron (the saved version; nothing is sent)"),
        )

    def get_urls(self):
        return [
            path(
                "<str:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="post_office_emailtemplate_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        pk = parse_id(object_id)
        if pk is None:
            raise Http404
        template = get_object_or_404(EmailTemplate, pk=pk)
        form = PreviewForm(request.GET or None)
        rendered = error = None
        if form.is_valid():
            user = get_user_model().objects.with_username(form.cleaned_data["patron"]).first()
            if user is None:
                form.add_error("patron", _("No patron with that username."))
            else:
                rendered, error = render_preview(template, user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview: %(name)s") % {"name": template.name},
            "opts": self.opts,
            "original": template,
            "form": form,
            "rendered": rendered,
            "error": error,
        }
        return TemplateResponse(request, "admin/notices/template_preview.html", context)


def render_preview(template: EmailTemplate, user):
    try:
        subject, text, html = mail_render(
            template, selectors.notice_preview_context(template.name, user)
        )
    except TemplateSyntaxError as exc:
        return None, str(exc)
    return {
        "to": user.email or _("(no address: this patron would be phoned)"),
        "subject": subject,
        "text": text,
        "html": clean_html(html),
    }, None
