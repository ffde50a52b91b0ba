"""Holds in the back office: the list, placing a hold for a patron, cancelling, the queue.

Every write goes through ``library.services`` (placing, cancelling), so the admin keeps the
rules the API keeps; auditors see the same pages with nothing to press.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import AutocompleteSelectFilter
from unfold.decorators import action, display

from backoffice.core.admin import (
    EventRecordAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyHistoryAdmin,
    ServiceCheckedAddForm,
    ServiceWriteMixin,
    refused,
    when,
)
from backoffice.core.errors import DomainError
from library import selectors, services
from library.models import Hold

STATUS_LABELS = {
    Hold.Status.WAITING: "info",
    Hold.Status.READY: "warning",
    Hold.Status.FULFILLED: "success",
    Hold.Status.CANCELLED: "danger",
    Hold.Status.EXPIRED: "danger",
}


class HoldAddForm(ServiceCheckedAddForm):
    """A hold placed for a patron: the hold service's checks run first, in a dry run."""

    error_fields = {services.BorrowerNotAllowed: "user"}

    class Meta:
        model = Hold
        fields = ["user", "book"]
        labels = {"user": _("Patron")}

    def service_call(self, cleaned):
        services.hold_place(
            user=cleaned["user"], book_id=cleaned["book"].pk, actor=self.actor or cleaned["user"]
        )


@admin.register(Hold)
class HoldAdmin(EventRecordAdminMixin, ServiceWriteMixin, ReadOnlyHistoryAdmin, ModelAdmin):
    list_display = [
        "book_title",
        "patron",
        "status_label",
        "position",
        "placed_on",
        "pickup_by",
    ]
    list_select_related = ["book__author", "user"]
    list_filter = [
        "status",
        ("book", AutocompleteSelectFilter),
        ("user", AutocompleteSelectFilter),
    ]
    list_filter_submit = True
    search_fields = ["book__title", "user__username", "user__last_name", "=user__card_number"]
    search_help_text = _("Book title, patron username, surname or card number")
    show_full_result_count = False
    autocomplete_fields = ["user", "book"]
    actions = ["cancel"]
    add_form = HoldAddForm
    change_fields = [
        "book",
        "user",
        "status",
        "placed_at",
        "ready_at",
        "expires_at",
        "closed_at",
        "borrow",
    ]
    ordering = ["-placed_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_position=selectors.queue_position())

    def save_model(self, request, obj, form, change):
        if change:  # every field is read-only on a saved hold
            return
        try:
            hold = services.hold_place(
                user=form.cleaned_data["user"],
                book_id=form.cleaned_data["book"].pk,
                actor=request.user,
                reason=_("Placed at the desk (admin)"),
            )
        except DomainError as error:
            raise refused(error, _("The hold was not placed")) from error
        obj.pk = hold.pk
        obj.placed_at = hold.placed_at

    @display(description=_("Book"), ordering="book__title")
    def book_title(self, hold):
        return hold.book.title

    @display(description=_("Patron"), ordering="user__username")
    def patron(self, hold):
        return hold.user.get_full_name() or hold.user.get_username()

    @display(description=_("Status"), label=STATUS_LABELS)
    def status_label(self, hold):
        return hold.status, hold.get_status_display()

    @display(description=_("In line"))
    def position(self, hold):
        return hold._position if hold.status == Hold.Status.WAITING else "—"

    @display(description=_("Placed"), ordering="placed_at")
    def placed_on(self, hold):
        return when(hold.placed_at)

    @display(description=_("Pick up by"), ordering="expires_at", empty_value="—")
    def pickup_by(self, hold):
        return when(hold.expires_at) if hold.status == Hold.Status.READY else None

    @action(description=_("Cancel hold"), permissions=["change"], icon="cancel")
    def cancel(self, request, queryset):
        cancelled = 0
        refusals = []
        for hold_id, title in queryset.values_list("pk", "book__title"):
            try:
                services.hold_cancel(
                    hold_id=hold_id, actor=request.user, reason=_("Cancelled (admin)")
                )
            except DomainError as error:
                refusals.append(f"“{title}”: {error.detail}")
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext("%(count)d hold cancelled.", "%(count)d holds cancelled.", cancelled)
                % {"count": cancelled},
                messages.SUCCESS,
            )
        if refusals:
            self.message_user(request, " ".join(refusals), messages.ERROR)


class BookHoldQueueInline(ReadOnlyAdminMixin, TabularInline):
    """The title's queue on the book's page: ready holds, then the waiting ones in order."""

    model = Hold
    verbose_name = _("hold")
    verbose_name_plural = _("Holds: the hold shelf and the queue")
    fields = ["patron", "status", "position", "placed_on", "pickup_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    hide_title = True
    per_page = 20

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .open()
            .select_related("user")
            .annotate(_position=selectors.queue_position())
            .order_by("status", "placed_at", "id")  # "ready" sorts before "waiting"
        )

    @display(description=_("Patron"))
    def patron(self, hold):
        return format_html(
            '<a class="text-primary-600 dark:text-primary-500" href="{}">{}</a>',
            reverse("admin:library_hold_change", args=[hold.pk]),
            hold.user.get_full_name() or hold.user.get_username(),
        )

    @display(description=_("Status"))
    def status(self, hold):
        return hold.get_status_display()

    @display(description=_("In line"))
    def position(self, hold):
        return hold._position if hold.status == Hold.Status.WAITING else "—"

    @display(description=_("Placed"))
    def placed_on(self, hold):
        return when(hold.placed_at)

    @display(description=_("Pick up by"))
    def pickup_by(self, hold):
        return when(hold.expires_at) if hold.status == Hold.Status.READY else "—"
