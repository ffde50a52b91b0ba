"""Authors and books: the catalogue."""

from django.db import models
from django.db.models import F, Q

from backoffice.core.history import HistoricalRecords
from library.isbn import validate_isbn13


class Author(models.Model):
    name = models.CharField(max_length=255, db_index=True)
    bio = models.TextField(blank=True)
    birthdate = models.DateField(null=True, blank=True)
    nationality = models.CharField(max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


# The most copies of one title the API and the CSV import take: a typo's extra digits
# are refused rather than stored.
MAX_COPIES = 100_000

# What staff set on a book, in the order they see it: the admin form and the CSV columns.
BOOK_EDITABLE_FIELDS = (
    "title",
    "author",
    "isbn",
    "genre",
    "publication_date",
    "total_copies",
    "available_copies",
)


class Book(models.Model):
    title = models.CharField(max_length=255, db_index=True)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="books")
    isbn = models.CharField(
        "ISBN", max_length=13, unique=True, validators=[validate_isbn13], help_text="ISBN-13"
    )
    genre = models.CharField(max_length=64, db_index=True)
    publication_date = models.DateField(null=True, blank=True)
    # The copy counters: moved only by the copy ledger (library.services.copies).
    total_copies = models.PositiveIntegerField(default=1)
    available_copies = models.PositiveIntegerField(
        default=1, help_text="Copies on the shelf, borrowable by anyone."
    )
    held_copies = models.PositiveIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text="Copies on the hold shelf, kept for the patrons of ready holds.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(available_copies__gte=0), name="book_available_copies_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(held_copies__gte=0), name="book_held_copies_not_negative"
            ),
            # A copy is on the shelf, on the hold shelf, on loan or withheld: never two.
            models.CheckConstraint(
                condition=Q(available_copies__lte=F("total_copies") - F("held_copies")),
                name="book_shelf_and_hold_shelf_within_total",
            ),
        ]
        indexes = [
            # Availability by genre ranks titles per genre in this order. No predicate on
            # available_copies: an index that mentions a counter makes every borrow and
            # return rewrite all of the book's index entries (no HOT update).
            models.Index(fields=["genre", "title", "id"], name="book_genre_title_idx"),
        ]
        # The catalogue search's trigram indexes are PostgreSQL-only: see migration 0006.

    def __str__(self) -> str:
        return self.title
