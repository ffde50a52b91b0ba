"""Loans (the API's borrows): who has which book, since when, until when."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from backoffice.core.history import HistoricalRecords

from .catalogue import Book


def overdue_condition(now=None) -> Q:
    """A loan is overdue while it is open and its due date has passed."""
    return Q(return_date__isnull=True, due_date__lt=now or timezone.now())


class BorrowQuerySet(models.QuerySet):
    def open(self):
        return self.filter(return_date__isnull=True)

    def returned(self):
        return self.filter(return_date__isnull=False)

    def overdue(self, now=None):
        return self.filter(overdue_condition(now))

    def not_overdue(self, now=None):
        """Returned loans and open loans not yet due: everything ``overdue()`` leaves out."""
        return self.exclude(overdue_condition(now))


class Borrow(models.Model):
    # No single-column indexes on the two keys: borrow_user_date_idx and
    # borrow_book_date_idx lead with them and serve the same lookups, at half the writes.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="borrows",
        db_index=False,
    )
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="borrows", db_index=False)
    borrow_date = models.DateTimeField(default=timezone.now, editable=False)
    due_date = models.DateTimeField()
    return_date = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveSmallIntegerField(
        default=0, db_default=0, editable=False, help_text="Times this loan was renewed."
    )

    history = HistoricalRecords()
    objects = BorrowQuerySet.as_manager()

    class Meta:
        # The API says "borrow" (the seed's word); people, the admin and the docs say "loan".
        verbose_name = "loan"
        ordering = ["-borrow_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "book"],
                condition=Q(return_date__isnull=True),
                name="borrow_one_open_per_user_and_book",
            ),
            models.CheckConstraint(
                condition=Q(return_date__isnull=True) | Q(return_date__gte=F("borrow_date")),
                name="borrow_returned_after_borrowed",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("borrow_date")), name="borrow_due_after_borrowed"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-borrow_date"], name="borrow_user_date_idx"),
            models.Index(fields=["book", "-borrow_date"], name="borrow_book_date_idx"),
            # Statistics over a period (/stats/, the dashboard, reports) read only these
            # columns: with all four in the key they are index-only scans.
            models.Index(
                fields=["borrow_date", "book", "user", "return_date"],
                name="borrow_date_cover_idx",
            ),
            models.Index(
                fields=["due_date"],
                condition=Q(return_date__isnull=True),
                name="borrow_open_due_idx",
            ),
            # Copies on loan per book (shelf-count checks, the admin's "on loan" column,
            # counters_recompute): open loans are about 1% of the history.
            models.Index(
                fields=["book"],
                condition=Q(return_date__isnull=True),
                name="borrow_open_book_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.book} → {self.user}"

    @property
    def is_returned(self) -> bool:
        return self.return_date is not None

    @property
    def is_overdue(self) -> bool:
        return self.return_date is None and self.due_date < timezone.now()

    @property
    def renewals_left(self) -> int:
        return max(settings.RENEWALS_ALLOWED - self.renewals, 0)

    @property
    def borrowed_by(self) -> str:
        return self.user.get_username()
