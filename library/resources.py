"""CSV import and export for the back office (django-import-export).

Resources only parse and render rows: every catalogue write goes through
``library.services`` with the importing user as the actor, so an import obeys the same
rules as the API and the admin forms and its history names who imported. A file imports
all or nothing: rows run in one transaction that is rolled back when any row is invalid.

Book files run to tens of thousands of rows, so the book import reads what it needs once
per file (the books with the file's ISBNs, the file's authors) and writes new books in
batches (``services.book_create_many``); its preview shows the first rows in full and
the totals and errors of all (docs/PERFORMANCE.md, "CSV import").
"""

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist, ValidationError
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import Result

from accounts.models import USERNAME_TAKEN, username_taken
from accounts.roles import AUDITORS, LIBRARIANS
from backoffice.core.spreadsheet import formula_restore, formula_safe

from . import services
from .isbn import normalize_isbn
from .models import BOOK_EDITABLE_FIELDS, MAX_COPIES, Author, Book, Borrow

STAFF_GROUPS = frozenset({LIBRARIANS, AUDITORS})

# Rows of a book import shown one by one in the preview; the rest count in the totals.
PREVIEW_ROWS = 100
# Values per "IN (...)" lookup: bounds the memory of a lookup whatever the file size.
LOOKUP_CHUNK = 1000


def _chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Widgets that write only what they formatted from a typed value (a number, a date, a
# boolean): a leading "-" there is a negative number, not a formula.
TYPED_WIDGETS = (
    widgets.NumberWidget,
    widgets.BooleanWidget,
    widgets.DateWidget,
    widgets.DateTimeWidget,
    widgets.TimeWidget,
    widgets.DurationWidget,
)


class SpreadsheetSafeResource(resources.ModelResource):
    """Exports whose text cells a spreadsheet will not run as formulas (formula_safe).

    Imports read such a cell back as the text it stands for (formula_restore), so a file
    exported, edited and imported again neither runs a formula nor gains a quote.
    """

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(field.widget, TYPED_WIDGETS):
            return value
        return formula_safe(value)

    def before_import(self, dataset, **kwargs):
        # The whole file, before anything reads it: the book import looks its authors and
        # ISBNs up column by column before the first row is imported.
        for index in range(len(dataset)):
            row = dataset[index]
            restored = tuple(formula_restore(value) for value in row)
            if restored != row:
                dataset[index] = restored
        super().before_import(dataset, **kwargs)


class AllOrNothingResource(SpreadsheetSafeResource):
    """A resource whose imports roll back entirely when any row is invalid."""

    def get_diff_headers(self):
        # The preview's column titles: "ISBN" and "Total copies" rather than the CSV's
        # "isbn" and "total_copies" (which stay the file's headers).
        opts = self._meta.model._meta
        headers = []
        for field in self.get_import_fields():
            try:
                headers.append(str(opts.get_field(field.attribute).verbose_name))
            except FieldDoesNotExist:
                headers.append(field.column_name.replace("_", " "))
        return headers

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=True,
        **kwargs,
    ):
        # import-export rolls back on row *errors* by default but keeps the valid rows
        # when others fail *validation*; a half-imported catalogue helps nobody.
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )


def _column(name: str, widget, **options) -> fields.Field:
    """A CSV column that reads and writes the attribute of the same name."""
    return fields.Field(attribute=name, column_name=name, widget=widget, **options)


def _is_blank(value) -> bool:
    return value is None or str(value).strip() == ""


def import_reason(kwargs) -> str:
    """The history's change reason for a row written by an import."""
    file_name = kwargs.get("file_name")
    return f"CSV import ({file_name})" if file_name else "CSV import"


# --- Authors ----------------------------------------------------------------------------


class AuthorResource(AllOrNothingResource):
    """Authors matched by name: a known name updates that author, a new one creates it."""

    class Meta:
        model = Author
        fields = ("name", "bio", "birthdate", "nationality")
        import_id_fields = ("name",)
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except Author.MultipleObjectsReturned:
            raise ValidationError(
                {"name": f"Several authors are named {row.get('name')!r}; edit them by hand."}
            ) from None

    def save_instance(self, instance, is_create, row, **kwargs):
        actor = kwargs.get("user")
        values = {name: getattr(instance, name) for name in self._meta.fields}
        reason = import_reason(kwargs)
        if is_create:
            created = services.author_create(actor=actor, reason=reason, **values)
            instance.pk = created.pk
            instance._state.adding = False
        else:
            services.author_update(author=instance, actor=actor, reason=reason, **values)


# --- Books ------------------------------------------------------------------------------


class IsbnWidget(widgets.CharWidget):
    """ISBN-10 or ISBN-13 in, normalised ISBN-13 out (the form the catalogue stores)."""

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            raise ValueError("An ISBN is required.")
        try:
            return normalize_isbn(str(value))
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None


class AuthorByNameWidget(widgets.ForeignKeyWidget):
    """The author column holds a name; an unknown name creates the author.

    ``load()`` reads the authors a file names (one query per 1,000 names) and creates
    the missing ones in batches; without it, each name is looked up when its row is read.
    Only the ids are kept, so the cache stays small beside the file itself. Authors are
    created inside the import's transaction: a preview or a failed import rolls them back
    with everything else.
    """

    def __init__(self):
        super().__init__(Author, field="name")
        self._ids_by_name: dict[str, list[int]] = {}
        self._loaded = False

    def load(self, names, *, actor, reason: str) -> None:
        max_length = Author._meta.get_field("name").max_length
        wanted = list(dict.fromkeys(str(name).strip() for name in names if not _is_blank(name)))
        for chunk in _chunks(wanted):
            for pk, name in (
                Author.objects.filter(name__in=chunk).order_by("id").values_list("pk", "name")
            ):
                self._ids_by_name.setdefault(name, []).append(pk)
            # Names too long for the column are left to their rows, which report them.
            missing = [
                name for name in chunk if name not in self._ids_by_name and len(name) <= max_length
            ]
            if missing:
                created = services.author_create_many(actor=actor, names=missing, reason=reason)
                self._ids_by_name.update((author.name, [author.pk]) for author in created)
        self._loaded = True

    def clean(self, value, row=None, **kwargs):
        name = "" if value is None else str(value).strip()
        if not name:
            raise ValueError("An author name is required.")
        if name not in self._ids_by_name and not self._loaded:
            matches = Author.objects.filter(name=name).order_by("id").values_list("pk", flat=True)
            self._ids_by_name[name] = list(matches[:2])
        ids = self._ids_by_name.get(name)
        if ids and len(ids) > 1:
            raise ValueError(f"Several authors are named {name!r}; edit this book by hand.")
        if ids:
            return Author(pk=ids[0], name=name)
        try:
            author = services.author_create(
                actor=kwargs.get("user"), reason=import_reason(kwargs), name=name
            )
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        self._ids_by_name[name] = [author.pk]
        return author


class CopiesWidget(widgets.IntegerWidget):
    """A whole number of copies, 0 to MAX_COPIES; anything else is a row error, not a crash.

    ASCII digits only: str.isdigit() takes "٣" (read as 3) and "³" (which int() refuses).
    """

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return None
        text = str(value).strip()
        if not re.fullmatch(r"[0-9]+", text):
            raise ValueError(f"Enter a whole number of copies, not {text[:40]!r}.")
        if len(text) > len(str(MAX_COPIES)) or int(text) > MAX_COPIES:
            raise ValueError(f"At most {MAX_COPIES} copies of a title, not {text[:40]}.")
        return int(text)


class BooksByIsbnLoader(BaseInstanceLoader):
    """The books of the file already in the catalogue, read once by ISBN (one query per
    1,000 rows rather than one per row); only those books are kept."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self.books = {}
        if dataset is None or "isbn" not in (dataset.headers or []):
            return
        for chunk in _chunks(dataset["isbn"]):
            isbns = set()
            for raw in chunk:
                try:
                    isbns.add(normalize_isbn(str(raw)))
                except ValidationError:
                    continue  # that row reports its bad ISBN
            self.books.update(
                (book.isbn, book) for book in resource.get_queryset().filter(isbn__in=isbns)
            )

    def get_instance(self, row):
        return self.books.get(self.resource.fields["isbn"].clean(row))


class PreviewResult(Result):
    """Totals and errors of every row; row-by-row results of the first rows only.

    A result (with its diff) kept for every row is what made an import's memory grow
    with the file, and a preview of 10,000 rows is read by nobody.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows_not_shown = 0

    def append_row_result(self, row_result):
        if len(self.rows) < PREVIEW_ROWS:
            super().append_row_result(row_result)
        else:
            self.rows_not_shown += 1


class _UnshownDiff:
    """The diff of a row past the preview: nothing to compute, nothing to show."""

    def __init__(self, resource, instance, new):
        pass

    def compare_with(self, resource, instance):
        pass

    def as_html(self):
        return []


class BookResource(AllOrNothingResource):
    """Books matched by ISBN. Copies go through the same checks as a staff edit.

    ``available_copies`` is optional: left out (or blank), a new book has every copy on the
    shelf and a changed ``total_copies`` moves the shelf count by the same amount.
    New books are checked row by row and written in batches through
    ``services.book_create_many``; a row whose ISBN is in the catalogue updates that book
    through ``services.book_update`` (under its row lock), as a staff edit does.
    """

    author = _column("author", AuthorByNameWidget())
    isbn = _column("isbn", IsbnWidget())
    total_copies = _column("total_copies", CopiesWidget(), saves_null_values=False)
    available_copies = _column("available_copies", CopiesWidget(), saves_null_values=False)

    class Meta:
        model = Book
        fields = BOOK_EDITABLE_FIELDS
        import_id_fields = ("isbn",)
        instance_loader_class = BooksByIsbnLoader
        use_transactions = True
        use_bulk = True
        batch_size = 500
        skip_unchanged = True
        report_skipped = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._row_number = 0
        # As numbers: a set of 100,000 ISBN strings would be most of the import's memory.
        self._new_isbns: set[int] = set()

    def get_result_class(self):
        return PreviewResult

    def get_diff_class(self):
        return super().get_diff_class() if self._row_number <= PREVIEW_ROWS else _UnshownDiff

    def get_queryset(self):
        return Book.objects.select_related("author")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._actor = kwargs.get("user")
        self._reason = import_reason(kwargs)
        if "author" in (dataset.headers or []):
            self.fields["author"].widget.load(
                dataset["author"], actor=self._actor, reason=self._reason
            )

    def import_row(self, row, instance_loader, **kwargs):
        self._row_number = kwargs.get("row_number", 0)
        return super().import_row(row, instance_loader, **kwargs)

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError as error:
            # The ISBN is the row's key, so it is parsed before any other column.
            raise ValidationError({"isbn": str(error)}) from None

    def import_instance(self, instance, row, **kwargs):
        if instance.pk is not None:
            if _is_blank(row.get("available_copies")):
                # Until the service moves it, keep the in-memory shelf count in step with
                # a new total so the preview's diff does not show a count that never was.
                before = instance.total_copies
                super().import_instance(instance, row, **kwargs)
                instance.available_copies += instance.total_copies - before
                return
            super().import_instance(instance, row, **kwargs)
            return
        super().import_instance(instance, row, **kwargs)
        if _is_blank(row.get("available_copies")):
            instance.available_copies = None  # every copy on the shelf
        # A new book is checked now, so that its errors are its row's; it is written
        # with its batch (bulk_create below).
        services.book_new_validate(instance)
        if int(instance.isbn) in self._new_isbns:
            raise ValidationError({"isbn": "This ISBN is on an earlier row of the file."})
        self._new_isbns.add(int(instance.isbn))

    def save_instance(self, instance, is_create, row, **kwargs):
        if is_create:
            self.create_instances.append(instance)
            return
        total = None if _is_blank(row.get("total_copies")) else instance.total_copies
        available = None if _is_blank(row.get("available_copies")) else instance.available_copies
        book = services.book_update(
            book_id=instance.pk,
            actor=kwargs.get("user"),
            total_copies=total,
            available_copies=available,
            reason=import_reason(kwargs),
            title=instance.title,
            author=instance.author,
            isbn=instance.isbn,
            genre=instance.genre,
            publication_date=instance.publication_date,
        )
        # The service computed the counts under a row lock; show those in the preview.
        instance.total_copies = book.total_copies
        instance.available_copies = book.available_copies

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not self.create_instances or not (using_transactions or not dry_run):
            return
        try:
            services.book_create_many(
                actor=self._actor, books=self.create_instances, reason=self._reason
            )
        except Exception as error:  # noqa: BLE001 - reported against the file, which rolls back
            self.handle_import_error(result, error, raise_errors)
        finally:
            self.create_instances.clear()


# --- Patrons ----------------------------------------------------------------------------


class GroupNamesWidget(widgets.ManyToManyWidget):
    def __init__(self):
        super().__init__(Group, separator="|", field="name")

    def clean(self, value, row=None, **kwargs):
        names = [] if _is_blank(value) else [n.strip() for n in str(value).split("|")]
        names = [n for n in names if n]
        groups = list(Group.objects.filter(name__in=names))
        unknown = sorted(set(names) - {group.name for group in groups})
        if unknown:
            raise ValueError(f"Unknown group(s): {', '.join(unknown)}.")
        return groups


class PatronResource(AllOrNothingResource):
    """Patron accounts. Passwords are never exported nor imported.

    A new account gets an unusable password (the patron sets one through a reset).
    Staff accounts and the staff groups are left to administrators: a librarian's import
    cannot touch a staff account nor put anyone in the Librarians or Auditors group.
    """

    groups = _column("groups", GroupNamesWidget(), m2m_add=False)
    is_staff = _column("is_staff", widgets.BooleanWidget(), readonly=True)
    date_joined = _column("date_joined", widgets.DateTimeWidget(), readonly=True)

    class Meta:
        model = get_user_model()
        fields = (
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "groups",
            "is_staff",
            "date_joined",
        )
        import_id_fields = ("username",)
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return get_user_model().objects.prefetch_related("groups")

    def import_instance(self, instance, row, **kwargs):
        actor = kwargs.get("user")
        is_admin = bool(actor and actor.is_superuser)
        errors = {}
        is_staff_account = instance.pk is not None and (instance.is_staff or instance.is_superuser)
        if is_staff_account and not is_admin:
            errors["username"] = "This is a staff account; only an administrator can edit it."
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors.update(error.message_dict)
        if instance.username and username_taken(instance.username, exclude_pk=instance.pk):
            errors["username"] = USERNAME_TAKEN  # "Auditor" beside "auditor", or twice in the file
        if "groups" in row:
            # Groups are saved after the row (many-to-many), so check them here, where an
            # error is reported against the row rather than as a crash.
            try:
                names = {group.name for group in self.fields["groups"].clean(row)}
            except ValueError as error:
                errors["groups"] = str(error)
            else:
                if names & STAFF_GROUPS and not is_admin:
                    errors["groups"] = (
                        "Only an administrator can grant the Librarians or Auditors role."
                    )
        if errors:
            raise ValidationError(errors)

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            # Set before validation: the password field may not be blank.
            instance.set_unusable_password()

    def save_instance(self, instance, is_create, row, **kwargs):
        actor = kwargs.get("user")
        if actor is not None and actor.is_authenticated:
            instance._history_user = actor
        instance._change_reason = import_reason(kwargs)
        instance.save()

    def dehydrate_groups(self, user):
        # Uses the prefetched groups: one query for the whole export.
        return "|".join(sorted(group.name for group in user.groups.all()))


# --- Borrows (export only) --------------------------------------------------------------


class BorrowResource(SpreadsheetSafeResource):
    username = fields.Field(attribute="user__username", column_name="username")
    book = fields.Field(attribute="book__title", column_name="book")
    isbn = fields.Field(attribute="book__isbn", column_name="isbn")
    author = fields.Field(attribute="book__author__name", column_name="author")
    genre = fields.Field(attribute="book__genre", column_name="genre")
    is_returned = _column("is_returned", widgets.BooleanWidget(), readonly=True)
    is_overdue = _column("is_overdue", widgets.BooleanWidget(), readonly=True)

    class Meta:
        model = Borrow
        fields = (
            "id",
            "username",
            "book",
            "isbn",
            "author",
            "genre",
            "borrow_date",
            "due_date",
            "return_date",
            "is_returned",
            "is_overdue",
        )
        export_order = fields

    def get_queryset(self):
        return Borrow.objects.select_related("book__author", "user")
