"""Authors and books in CSV.

Book files run to tens of thousands of rows, so the book import reads what it needs once
per file (the books with the file's ISBNs, the file's authors) and writes new books in
batches (``services.book_create_many``); its preview shows the first rows in full and
the totals and errors of all (docs/PERFORMANCE.md, "CSV import").
"""

import re

from django.core.exceptions import ValidationError
from import_export import widgets
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import Result

from backoffice.core.resources import AllOrNothingResource, chunks, column, import_reason, is_blank
from library import services
from library.isbn import normalize_isbn
from library.models import BOOK_EDITABLE_FIELDS, MAX_COPIES, Author, Book

# Rows of a book import shown one by one in the preview; the rest count in the totals.
PREVIEW_ROWS = 100


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


class IsbnWidget(widgets.CharWidget):
    """ISBN-10 or ISBN-13 in, normalised ISBN-13 out (the form the catalogue stores)."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
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
        wanted = list(dict.fromkeys(str(name).strip() for name in names if not is_blank(name)))
        for chunk in chunks(wanted):
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
        if is_blank(value):
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
        for chunk in chunks(dataset["isbn"]):
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

    author = column("author", AuthorByNameWidget())
    isbn = column("isbn", IsbnWidget())
    total_copies = column("total_copies", CopiesWidget(), saves_null_values=False)
    available_copies = column("available_copies", CopiesWidget(), saves_null_values=False)

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
            if is_blank(row.get("available_copies")):
                # Until the service moves it, keep the in-memory shelf count in step with
                # a new total so the preview's diff does not show a count that never was.
                before = instance.total_copies
                super().import_instance(instance, row, **kwargs)
                instance.available_copies += instance.total_copies - before
                return
            super().import_instance(instance, row, **kwargs)
            return
        super().import_instance(instance, row, **kwargs)
        if is_blank(row.get("available_copies")):
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
        total = None if is_blank(row.get("total_copies")) else instance.total_copies
        available = None if is_blank(row.get("available_copies")) else instance.available_copies
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
