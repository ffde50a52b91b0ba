"""The catalogue in the back office: authors and books, with their copies and loans.

Forms check input with the services' pure validators so messages land on the fields;
``save_model`` and deletions write through ``library.services``.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
)
from unfold.decorators import display
from unfold.widgets import UnfoldAdminTextInputWidget

from backoffice.core.admin import (
    ReadOnlyAdminMixin,
    ReadOnlyHistoryAdmin,
    ServiceWriteMixin,
    StaffImportExportMixin,
    refused,
    when,
)
from backoffice.core.errors import DomainError
from library import selectors, services
from library.isbn import normalize_isbn
from library.models import BOOK_EDITABLE_FIELDS, Author, Book, Borrow
from library.resources import AuthorResource, BookResource

from .common import ADMIN_REASON, GenreFilter, _borrow_status
from .holds import BookHoldQueueInline


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
            raise refused(error, _("The author was not saved")) from error

    def delete_with_service(self, request, obj):
        services.author_delete(author=obj, actor=request.user)


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
            return queryset.filter(on_loan__gt=0)
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
        return when(borrow.borrow_date)

    @display(description=_("Due"))
    def due_on(self, borrow):
        return when(borrow.due_date)

    @display(description=_("Returned"))
    def returned_on(self, borrow):
        return when(borrow.return_date) or "—"

    @display(description=_("Status"))
    def status(self, borrow):
        return _borrow_status(borrow)


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
        "held_copies",
        "on_loan",
        "holds_waiting",
    ]
    list_select_related = ["author"]
    list_filter = [GenreFilter, ("author", AutocompleteSelectFilter), AvailabilityFilter]
    list_filter_submit = True
    search_fields = ["title", "isbn", "author__name"]
    search_help_text = _("Title, ISBN or author name")
    autocomplete_fields = ["author"]
    ordering = ["title", "id"]
    inlines = [BookHoldQueueInline, BookBorrowInline]
    fieldsets = [
        (None, {"fields": ["title", "author", "isbn", "genre", "publication_date"]}),
        (
            _("Copies"),
            {"fields": ["total_copies", "available_copies", "held_copies", "on_loan_now"]},
        ),
    ]
    readonly_fields = ["held_copies", "on_loan_now"]

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
        return selectors.book_list()

    def get_search_results(self, request, queryset, search_term):
        # The admin's own search would OR across the author join (a full scan of books and
        # authors); the selector matches the same fields through the trigram indexes.
        words = [
            unescape_string_literal(bit) if bit[0] in "\"'" and bit[0] == bit[-1] else bit
            for bit in smart_split(search_term)
        ]
        words = [word for word in words if word]
        return (selectors.books_matching(queryset, words) if words else queryset), False

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

    @display(description=_("On loan"), ordering="on_loan")
    def on_loan(self, book):
        return book.on_loan

    @display(description=_("Holds waiting"), ordering="holds_waiting")
    def holds_waiting(self, book):
        return book.holds_waiting

    @display(description=_("On loan now"))
    def on_loan_now(self, book):
        return getattr(book, "on_loan", 0)

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
            raise refused(error, _("The book was not saved")) from error
        obj.pk = book.pk
        obj.total_copies = book.total_copies
        obj.available_copies = book.available_copies

    def delete_with_service(self, request, obj):
        services.book_delete(book=obj, actor=request.user)
