"""The librarians' back office for the catalogue and circulation (django-unfold).

The admin calls the same services as the API: forms check input with the services' pure
validators so messages land on the fields, ``save_model`` and the actions write through
``library.services``, and a deletion a service refuses comes back as an error message.
History pages are read-only windows (simple-history's "revert" would bypass the services).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.tmp_storages import CacheStorage
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    DropdownFilter,
    RangeDateTimeFilter,
)
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminTextInputWidget

from accounts.roles import is_librarian
from backoffice.admin_mixins import ReadOnlyAdminMixin
from backoffice.core.admin_inputs import AdminInputGuardMixin
from backoffice.core.inputs import DAY_RANGE_MESSAGE, day_in_range, parse_id
from backoffice.errors import DomainError, ServiceUnavailable

from . import selectors, services
from .isbn import normalize_isbn
from .models import BOOK_EDITABLE_FIELDS, Author, Book, Borrow, overdue_condition
from .resources import AuthorResource, BookResource, BorrowResource

ADMIN_REASON = _("Edited in the admin")

# --- Shared behaviour --------------------------------------------------------------------


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


def _refused(error: Exception, what: str) -> WriteRefused:
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
            raise _refused(error, _("“%(obj)s” was not deleted") % {"obj": obj}) from error

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (
                delete_selected_with_service,
                "delete_selected",
                actions["delete_selected"][2],
            )
        return actions


# --- Authors -----------------------------------------------------------------------------


@admin.register(Author)
class AuthorAdmin(
    ServiceWriteMixin,
    ReadOnlyHistoryAdmin,
    StaffImportExportMixin,
    ImportExportMixin,
    ModelAdmin,
):
    resource_classes = [AuthorResource]
    show_full_result_count = False  # one COUNT per page, not two
    list_display = ["name", "nationality", "birthdate", "book_count"]
    list_filter = ["nationality"]
    search_fields = ["name"]
    fields = ["name", "nationality", "birthdate", "bio"]
    ordering = ["name", "id"]

    def get_queryset(self, request):
        return selectors.author_list()

    @display(description=_("Books"), ordering="book_count")
    def book_count(self, author):
        return author.book_count

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in self.fields}
        try:
            if change:
                services.author_update(
                    author=obj, actor=request.user, reason=ADMIN_REASON, **values
                )
            else:
                obj.pk = services.author_create(
                    actor=request.user, reason=ADMIN_REASON, **values
                ).pk
        except ValidationError as error:
            raise _refused(error, _("The author was not saved")) from error

    def delete_with_service(self, request, obj):
        services.author_delete(author=obj, actor=request.user)


# --- Books -------------------------------------------------------------------------------


class GenreFilter(DropdownFilter):
    title = _("genre")
    parameter_name = "genre"
    field_path = "genre"

    def lookups(self, request, model_admin):
        genres = Book.objects.order_by("genre").values_list("genre", flat=True).distinct()
        return [(genre, genre) for genre in genres]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_path: self.value()})
        return queryset


class BorrowGenreFilter(GenreFilter):
    field_path = "book__genre"


class AvailabilityFilter(admin.SimpleListFilter):
    title = _("availability")
    parameter_name = "availability"

    def lookups(self, request, model_admin):
        return [
            ("available", _("Copies on the shelf")),
            ("none", _("None on the shelf")),
            ("on_loan", _("Some on loan")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "available":
            return queryset.filter(available_copies__gt=0)
        if self.value() == "none":
            return queryset.filter(available_copies=0)
        if self.value() == "on_loan":
            return queryset.filter(open_borrows__gt=0)
        return queryset


# What the ISBN field takes as typed: a hyphenated ISBN-13 ("978-0-306-40615-7") is 17
# characters. The form stores the normalised 13 digits.
ISBN_INPUT_MAX_LENGTH = 17


class BookAdminForm(forms.ModelForm):
    """Copy counts are checked by the service's own rule before anything is written.

    Left unchanged (or blank), ``available_copies`` follows a change of ``total_copies``;
    on a new book the field starts empty, and empty means every copy on the shelf (as when
    the API or an import leaves it out).
    """

    isbn = forms.CharField(
        label=_("ISBN"),
        max_length=ISBN_INPUT_MAX_LENGTH,
        # Declared here, so the admin's widget for model fields must be named.
        widget=UnfoldAdminTextInputWidget,
        help_text=_("ISBN-10 or ISBN-13, hyphens allowed; stored as ISBN-13."),
    )

    class Meta:
        model = Book
        fields = BOOK_EDITABLE_FIELDS
        help_texts = {
            "total_copies": _("Changing it moves the copies on the shelf by the same amount."),
            "available_copies": _(
                "Copies on the shelf. Leave unchanged to follow the total; "
                "it can never exceed the total minus the copies on loan."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.copies_change: dict = {}
        available = self.fields.get("available_copies")  # absent on a view-only page
        if available is None:
            return
        available.required = False
        if self.instance.pk is None:
            # The model's default (1) shown here was posted back as typed: a book added
            # with 4 copies put 1 on the shelf.
            self.initial.pop("available_copies", None)
            available.initial = None
            available.widget.attrs["placeholder"] = _("All copies")
            available.help_text = _(
                "Copies on the shelf. Leave empty to put every copy on the shelf."
            )

    def clean_isbn(self):
        try:
            return normalize_isbn(self.cleaned_data["isbn"])
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def clean(self):
        cleaned = super().clean()
        total = cleaned.get("total_copies")
        if total is None or self.has_error("available_copies"):
            return cleaned
        book = self.instance  # still the stored row: the form copies values in later
        if book.pk:
            on_loan = selectors.book_open_borrow_count(book_id=book.pk)
            requested_total = total if "total_copies" in self.changed_data else None
            requested_available = (
                cleaned.get("available_copies") if "available_copies" in self.changed_data else None
            )
        else:
            book = Book(total_copies=0, available_copies=0)
            on_loan = 0
            requested_total = total
            requested_available = cleaned.get("available_copies")
        new_total, new_available = services.book_copies_validate(
            book=book,
            on_loan=on_loan,
            total_copies=requested_total,
            available_copies=requested_available,
        )
        cleaned["total_copies"] = new_total
        cleaned["available_copies"] = new_available
        # What save_model asks the service for: None lets it recompute under its lock.
        self.copies_change = {
            "total_copies": requested_total if book.pk else new_total,
            "available_copies": requested_available if book.pk else new_available,
        }
        return cleaned


class BookBorrowInline(ReadOnlyAdminMixin, TabularInline):
    """Who has the book now and who had it: open loans first, then the newest."""

    model = Borrow
    verbose_name = _("loan")
    verbose_name_plural = _("Loans: who has it now, who had it")
    fields = ["patron", "borrowed_on", "due_on", "returned_on", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    hide_title = True  # each row's first cell links to the loan instead
    per_page = 10

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .order_by(F("return_date").desc(nulls_first=True), "-borrow_date", "-id")
        )

    @display(description=_("Patron"))
    def patron(self, borrow):
        return format_html(
            '<a class="text-primary-600 dark:text-primary-500" href="{}">{}</a>',
            reverse("admin:library_borrow_change", args=[borrow.pk]),
            borrow.user.get_username(),
        )

    @display(description=_("Borrowed"))
    def borrowed_on(self, borrow):
        return _when(borrow.borrow_date)

    @display(description=_("Due"))
    def due_on(self, borrow):
        return _when(borrow.due_date)

    @display(description=_("Returned"))
    def returned_on(self, borrow):
        return _when(borrow.return_date) or "—"

    @display(description=_("Status"))
    def status(self, borrow):
        return _borrow_status(borrow)


def _when(value):
    """A date and time on one line, in the library's time zone."""
    if not value:
        return None
    return format_html(
        '<span class="whitespace-nowrap">{}</span>',
        date_format(timezone.localtime(value), "j M Y, H:i"),
    )


def _borrow_status(borrow):
    if borrow.is_returned:
        return _("Returned")
    return _("Overdue") if borrow.is_overdue else _("On loan")


@admin.register(Book)
class BookAdmin(
    ServiceWriteMixin,
    ReadOnlyHistoryAdmin,
    StaffImportExportMixin,
    ImportExportMixin,
    ModelAdmin,
):
    form = BookAdminForm
    resource_classes = [BookResource]
    show_full_result_count = False  # one COUNT per page, not two
    list_display = [
        "title",
        "author_name",
        "isbn",
        "genre",
        "total_copies",
        "available_copies",
        "on_loan",
    ]
    list_select_related = ["author"]
    list_filter = [GenreFilter, ("author", AutocompleteSelectFilter), AvailabilityFilter]
    list_filter_submit = True
    search_fields = ["title", "isbn", "author__name"]
    search_help_text = _("Title, ISBN or author name")
    autocomplete_fields = ["author"]
    ordering = ["title", "id"]
    inlines = [BookBorrowInline]
    fieldsets = [
        (None, {"fields": ["title", "author", "isbn", "genre", "publication_date"]}),
        (_("Copies"), {"fields": ["total_copies", "available_copies", "on_loan_now"]}),
    ]
    readonly_fields = ["on_loan_now"]

    def generate_log_entries(self, result, request):
        # The history has every imported book, with the librarian and the file; the
        # admin's log gets one line per import (import-export's would be one per row,
        # and its per-row results are kept for the preview's first rows only).
        counts = ", ".join(
            f"{count} {kind}" for kind, count in result.totals.items() if count and kind != "error"
        )
        LogEntry.objects.create(
            user_id=request.user.pk,
            content_type=ContentType.objects.get_for_model(Book),
            object_repr=f"CSV import: {counts or 'nothing'}"[:200],
            action_flag=ADDITION,
            change_message=f"Imported books ({counts}).",
        )

    def get_queryset(self, request):
        return selectors.book_list_with_loans()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["title", "author", "isbn", "genre", "publication_date"]}),
                (_("Copies"), {"fields": ["total_copies", "available_copies"]}),
            ]
        return self.fieldsets

    @display(description=_("Author"), ordering="author__name")
    def author_name(self, book):
        return book.author.name

    @display(description=_("On loan"), ordering="open_borrows")
    def on_loan(self, book):
        return book.open_borrows

    @display(description=_("On loan now"))
    def on_loan_now(self, book):
        return getattr(book, "open_borrows", 0)

    def save_model(self, request, obj, form, change):
        values = {
            name: form.cleaned_data[name]
            for name in ("title", "author", "isbn", "genre", "publication_date")
        }
        try:
            if change:
                book = services.book_update(
                    book_id=obj.pk,
                    actor=request.user,
                    reason=ADMIN_REASON,
                    **form.copies_change,
                    **values,
                )
            else:
                book = services.book_create(
                    actor=request.user, reason=ADMIN_REASON, **form.copies_change, **values
                )
        except (ValidationError, DomainError) as error:
            raise _refused(error, _("The book was not saved")) from error
        obj.pk = book.pk
        obj.total_copies = book.total_copies
        obj.available_copies = book.available_copies

    def delete_with_service(self, request, obj):
        services.book_delete(book=obj, actor=request.user)


# --- Borrows -----------------------------------------------------------------------------


class ReturnedFilter(admin.SimpleListFilter):
    title = _("returned")
    parameter_name = "returned"

    def lookups(self, request, model_admin):
        return [("yes", _("Returned")), ("no", _("On loan"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(return_date__isnull=False)
        if self.value() == "no":
            return queryset.filter(return_date__isnull=True)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = overdue_condition()
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


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


class _DryRunRollback(Exception):
    """Raised to roll back a service call made only to validate a form."""


class BorrowAddForm(forms.ModelForm):
    """Lending at the desk: the service's own checks run first, in a rolled-back dry run."""

    class Meta:
        model = Borrow
        fields = ["user", "book"]
        labels = {"user": _("Patron")}

    def clean(self):
        cleaned = super().clean()
        user, book = cleaned.get("user"), cleaned.get("book")
        if user is None or book is None:
            return cleaned
        try:
            # The service takes its locks and checks the limits as the real save will;
            # the savepoint is rolled back whatever happens.
            with transaction.atomic():
                services.borrow_create_for_patron(user=user, book_id=book.pk, actor=user)
                raise _DryRunRollback
        except _DryRunRollback:
            pass
        except services.BorrowerNotAllowed as error:
            raise ValidationError({"user": error.detail}) from None
        except DomainError as error:
            raise ValidationError(error.detail) from None
        return cleaned


@admin.register(Borrow)
class BorrowAdmin(
    ServiceWriteMixin, ReadOnlyHistoryAdmin, StaffImportExportMixin, ExportMixin, ModelAdmin
):
    resource_classes = [BorrowResource]
    list_display = [
        "book_title",
        "author_name",
        "patron",
        "borrowed_on",
        "due_on",
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
    search_fields = ["user__username", "book__title"]
    search_help_text = _("Patron username or book title")
    show_full_result_count = False
    autocomplete_fields = ["user", "book"]
    actions = ["mark_returned"]
    actions_list = ["generate_report"]
    add_form = BorrowAddForm
    change_fields = [
        "book",
        "user",
        "borrow_date",
        "due_date",
        "return_date",
        "status",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["user", "book"] if obj is None else self.change_fields

    def get_readonly_fields(self, request, obj=None):
        # A loan's dates are the record of what happened: returns go through the action.
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

    @display(description=_("Book"), ordering="book__title")
    def book_title(self, borrow):
        return borrow.book.title

    @display(description=_("Author"), ordering="book__author__name")
    def author_name(self, borrow):
        return borrow.book.author.name

    @display(description=_("Patron"), ordering="user__username")
    def patron(self, borrow):
        return borrow.user.get_username()

    @display(description=_("Borrowed"), ordering="borrow_date")
    def borrowed_on(self, borrow):
        return _when(borrow.borrow_date)

    @display(description=_("Due"), ordering="due_date")
    def due_on(self, borrow):
        return _when(borrow.due_date)

    @display(description=_("Returned"), ordering="return_date", empty_value="—")
    def returned_on(self, borrow):
        return _when(borrow.return_date)

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
            raise _refused(error, _("The loan was not recorded")) from error
        obj.pk = borrow.pk
        obj.borrow_date = borrow.borrow_date
        obj.due_date = borrow.due_date

    @action(description=_("Mark returned"), permissions=["change"], icon="assignment_return")
    def mark_returned(self, request, queryset):
        returned = already = 0
        failed = []
        for borrow_id in queryset.values_list("pk", flat=True):
            try:
                services.borrow_return(
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
        parts = [
            ngettext("%(count)d borrow returned", "%(count)d borrows returned", returned)
            % {"count": returned}
        ]
        if already:
            parts.append(
                ngettext("%(count)d already returned", "%(count)d already returned", already)
                % {"count": already}
            )
        level = messages.SUCCESS if returned else messages.WARNING
        self.message_user(request, ", ".join(parts) + ".", level)
        if failed:
            self.message_user(request, "; ".join(failed), messages.ERROR)

    def has_generate_report_permission(self, request, obj=None):
        return is_librarian(request.user)

    @action(
        description=_("Generate report now"),
        url_path="generate-report",
        permissions=["generate_report"],
        icon="summarize",
    )
    def generate_report(self, request):
        """Queue the library report (reports.services); GET asks for confirmation."""
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Generate a library report"),
                "opts": self.opts,
                "task_results_url": reverse("admin:django_celery_results_taskresult_changelist"),
                "report_files_url": reverse("admin:reports_report_files"),
            }
            return TemplateResponse(request, "admin/reports/generate_report.html", context)

        from reports.services import report_enqueue

        try:
            task_id = report_enqueue(requested_by=request.user)
        except ServiceUnavailable as error:
            self.message_user(
                request,
                _("The report could not be queued: %(detail)s") % {"detail": error.detail},
                messages.ERROR,
            )
            return redirect("admin:index")
        task_url = (
            reverse("admin:django_celery_results_taskresult_changelist") + f"?task_id={task_id}"
        )
        self.message_user(
            request,
            format_html(
                "Report queued as task <code>{}</code>. It is built in the background: "
                'follow it in <a class="font-medium underline" href="{}">Task results</a>; '
                "once it has succeeded, the file is listed under "
                '<a class="font-medium underline" href="{}">Report files</a>.',
                task_id,
                task_url,
                reverse("admin:reports_report_files"),
            ),
            messages.SUCCESS,
        )
        return redirect(task_url)
