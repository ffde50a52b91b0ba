"""Loans in the back office: the list with its filters, lending at the desk, returns."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from backoffice.core.admin import (
    EventRecordAdminMixin,
    LocalisedRangeDateTimeFilter,
    ReadOnlyHistoryAdmin,
    ServiceCheckedAddForm,
    ServiceWriteMixin,
    StaffImportExportMixin,
    refused,
    when,
)
from backoffice.core.errors import DomainError
from library import services
from library.models import Borrow
from library.resources import BorrowResource
from library.selectors.desk import days_overdue
from library.services.desk import desk_may_act, scan_as_isbn

from .common import GenreFilter, _borrow_status, hold_shelf_message
from .desk import DeskViews


class BorrowGenreFilter(GenreFilter):
    field_path = "book__genre"


class ReturnedFilter(admin.SimpleListFilter):
    title = _("returned")
    parameter_name = "returned"

    def lookups(self, request, model_admin):
        return [("yes", _("Returned")), ("no", _("On loan"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.returned()
        if self.value() == "no":
            return queryset.open()
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.not_overdue()
        return queryset


class BorrowAddForm(ServiceCheckedAddForm):
    """Lending at the desk: the borrow service's own checks run first, in a dry run."""

    error_fields = {services.BorrowerNotAllowed: "user"}

    class Meta:
        model = Borrow
        fields = ["user", "book"]
        labels = {"user": _("Patron")}

    def service_call(self, cleaned):
        services.borrow_create(
            user=cleaned["user"], book_id=cleaned["book"].pk, actor=self.actor or cleaned["user"]
        )


@admin.register(Borrow)
class BorrowAdmin(
    EventRecordAdminMixin,
    ServiceWriteMixin,
    ReadOnlyHistoryAdmin,
    StaffImportExportMixin,
    ExportMixin,
    ModelAdmin,
):
    resource_classes = [BorrowResource]
    list_display = [
        "book_title",
        "author_name",
        "patron",
        "borrowed_on",
        "due_on",
        "overdue_days",
        "returned_on",
        "status_label",
    ]
    list_select_related = ["book__author", "user"]
    list_filter = [
        ReturnedFilter,
        OverdueFilter,
        BorrowGenreFilter,
        ("borrow_date", LocalisedRangeDateTimeFilter),
    ]
    list_filter_submit = True
    search_fields = [
        "user__username",
        "user__last_name",
        "=user__card_number",
        "book__title",
    ]
    search_help_text = _("Patron username, surname or card number; book title or ISBN")
    show_full_result_count = False
    autocomplete_fields = ["user", "book"]
    actions = ["mark_returned", "renew"]
    add_form = BorrowAddForm
    change_fields = [
        "book",
        "user",
        "borrow_date",
        "due_date",
        "return_date",
        "renewals",
        "status",
    ]

    change_form_outer_after_template = "admin/library/desk/loan_actions.html"

    def get_urls(self):
        return DeskViews(self).urls() + super().get_urls()

    def get_search_results(self, request, queryset, search_term):
        # An ISBN is looked up in its stored form, however it was typed (hyphens, ISBN-10).
        try:
            isbn = scan_as_isbn(search_term.strip())
        except ValidationError:
            isbn = None
        if isbn is not None:
            return queryset.filter(book__isbn=isbn), False
        return super().get_search_results(request, queryset, search_term)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                loan_open=obj.return_date is None,
                may_act=desk_may_act(request.user),
                next_url=request.get_full_path(),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @display(description=_("Book"), ordering="book__title")
    def book_title(self, borrow):
        return borrow.book.title

    @display(description=_("Author"), ordering="book__author__name")
    def author_name(self, borrow):
        return borrow.book.author.name

    @display(description=_("Patron"), ordering="user__last_name", header=True)
    def patron(self, borrow):
        # unfold's two-line cell: the name, and the card under it.
        return services.patron_name(borrow.user), borrow.user.card_number

    @display(description=_("Days overdue"), ordering="due_date", empty_value="—")
    def overdue_days(self, borrow):
        return days_overdue(borrow, timezone.now()) or None

    @display(description=_("Borrowed"), ordering="borrow_date")
    def borrowed_on(self, borrow):
        return when(borrow.borrow_date)

    @display(description=_("Due"), ordering="due_date")
    def due_on(self, borrow):
        return when(borrow.due_date)

    @display(description=_("Returned"), ordering="return_date", empty_value="—")
    def returned_on(self, borrow):
        return when(borrow.return_date)

    @display(
        description=_("Status"),
        label={"on_loan": "info", "overdue": "danger", "returned": "success"},
    )
    def status_label(self, borrow):
        """Both flags in one column: returned, overdue (open and past due) or on loan."""
        if borrow.is_returned:
            return "returned", _("Returned")
        if borrow.is_overdue:
            return "overdue", _("Overdue")
        return "on_loan", _("On loan")

    @display(description=_("Status"))
    def status(self, borrow):
        return _borrow_status(borrow)

    def save_model(self, request, obj, form, change):
        if change:  # every field is read-only on a saved loan
            return
        try:
            borrow = services.borrow_create_for_patron(
                user=form.cleaned_data["user"],
                book_id=form.cleaned_data["book"].pk,
                actor=request.user,
                reason=_("Lent at the desk (admin)"),
            )
        except DomainError as error:
            raise refused(error, _("The loan was not recorded")) from error
        obj.pk = borrow.pk
        obj.borrow_date = borrow.borrow_date
        obj.due_date = borrow.due_date

    @action(description=_("Mark returned"), permissions=["change"], icon="assignment_return")
    def mark_returned(self, request, queryset):
        returned = already = 0
        failed = []
        trapped = []
        for borrow_id in queryset.values_list("pk", flat=True):
            try:
                borrow = services.borrow_return(
                    borrow_id=borrow_id,
                    actor=request.user,
                    reason=_("Marked returned (admin)"),
                )
            except services.AlreadyReturned:
                already += 1
            except DomainError as error:
                failed.append(f"#{borrow_id}: {error.detail}")
            else:
                returned += 1
                if borrow.trapped_hold is not None:
                    trapped.append(borrow.trapped_hold)
        parts = [
            ngettext("%(count)d loan returned", "%(count)d loans returned", returned)
            % {"count": returned}
        ]
        if already:
            parts.append(
                ngettext("%(count)d already returned", "%(count)d already returned", already)
                % {"count": already}
            )
        level = messages.SUCCESS if returned else messages.WARNING
        self.message_user(request, ", ".join(parts) + ".", level)
        for hold in trapped:
            # Said at once, where the librarian holds the book: it goes to the hold shelf.
            self.message_user(request, hold_shelf_message(hold), messages.WARNING)
        if failed:
            self.message_user(request, "; ".join(failed), messages.ERROR)

    @action(description=_("Renew"), permissions=["change"], icon="update")
    def renew(self, request, queryset):
        renewed = 0
        refused = []
        for borrow_id, title in queryset.values_list("pk", "book__title"):
            try:
                services.borrow_renew(
                    borrow_id=borrow_id, actor=request.user, reason=_("Renewed (admin)")
                )
            except DomainError as error:
                refused.append(f"“{title}”: {error.detail}")
            else:
                renewed += 1
        if renewed:
            self.message_user(
                request,
                ngettext("%(count)d loan renewed.", "%(count)d loans renewed.", renewed)
                % {"count": renewed},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(request, " ".join(refused), messages.ERROR)
