"""A bulk variant of library.resources.BookResource, for measurement only.

bench/import_csv.py --proposed times it beside the real resource, to put a figure on the
change proposed in docs/PERFORMANCE.md ("CSV import"). It keeps the rules the real
resource applies through the services: ISBNs normalised (the same IsbnWidget), copy
counts checked with ``services.book_copies_validate``, authors created when unknown,
history rows with the importing user, ISBNs unique (looked up once per file, and the
database constraint behind it). It handles new books only; a row whose ISBN is in the
catalogue is an error here (the real change would send those through ``book_update``).
"""

from django.core.exceptions import ValidationError
from import_export import resources, widgets
from import_export.results import Result
from simple_history.utils import bulk_create_with_history

from library import services
from library.models import Author, Book
from library.resources import BookResource


class _CachedAuthorWidget(widgets.Widget):
    def __init__(self, authors: dict):
        super().__init__()
        self.authors = authors

    def clean(self, value, row=None, **kwargs):
        name = "" if value is None else str(value).strip()
        if not name:
            raise ValueError("An author name is required.")
        return self.authors[name]


class CountingResult(Result):
    """Keeps the totals and the failed rows only: a per-row result for 10,000 good rows
    (what the admin's preview table shows) is what makes memory grow with the file."""

    def append_row_result(self, row_result):
        if row_result.errors or row_result.validation_error:
            super().append_row_result(row_result)


class BulkBookResource(BookResource):
    class Meta(BookResource.Meta):
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        skip_unchanged = False
        report_skipped = False

    def get_result_class(self):
        return CountingResult

    def before_import(self, dataset, **kwargs):
        # One query for the file's authors, one bulk insert (with history) for new ones.
        self.actor = kwargs.get("user")
        names = {str(name).strip() for name in dataset["author"] if name}
        authors = {author.name: author for author in Author.objects.filter(name__in=names)}
        missing = [Author(name=name) for name in sorted(names - authors.keys())]
        if missing:
            created = bulk_create_with_history(missing, Author, default_user=self.actor)
            authors.update({author.name: author for author in created})
        self.fields["author"].widget = _CachedAuthorWidget(authors)
        isbns = [self.fields["isbn"].widget.clean(isbn) for isbn in dataset["isbn"]]
        self.existing_isbns = set(
            Book.objects.filter(isbn__in=isbns).values_list("isbn", flat=True)
        )

    def get_instance(self, instance_loader, row):
        isbn = self.fields["isbn"].widget.clean(row.get("isbn"))
        if isbn in self.existing_isbns:
            raise ValidationError({"isbn": "Already in the catalogue."})
        return None

    def save_instance(self, instance, is_create, row, **kwargs):
        total, available = services.book_copies_validate(
            book=Book(total_copies=0, available_copies=0),
            on_loan=0,
            total_copies=instance.total_copies,
            available_copies=instance.available_copies or None,
        )
        instance.total_copies, instance.available_copies = total, available
        resources.ModelResource.save_instance(self, instance, is_create, row, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        resources.ModelResource.import_instance(self, instance, row, **kwargs)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.create_instances and (using_transactions or not dry_run):
            try:
                bulk_create_with_history(
                    self.create_instances, Book, batch_size=batch_size, default_user=self.actor
                )
            except Exception as error:  # noqa: BLE001 - import-export reports it per file
                self.handle_import_error(result, error, raise_errors)
            finally:
                self.create_instances.clear()
