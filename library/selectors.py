"""Reads of the catalogue and circulation, computed in the database."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.roles import can_read_all_circulation

from .models import Author, Book, Borrow


def author_list() -> QuerySet[Author]:
    return Author.objects.annotate(book_count=Count("books"))


def book_list() -> QuerySet[Book]:
    return Book.objects.select_related("author").annotate(
        on_loan=F("total_copies") - F("available_copies")
    )


def borrow_list(*, user) -> QuerySet[Borrow]:
    """Borrows the user may see: their own, or everyone's for librarians and auditors."""
    borrows = Borrow.objects.select_related("book__author", "user")
    if not can_read_all_circulation(user):
        borrows = borrows.filter(user_id=user.pk)
    return borrows


@dataclass(frozen=True)
class GenreAvailability:
    genre: str
    available_copies: int
    available_titles: int
    books: list[Book]


def books_available_by_genre(
    *, genre: str | None = None, books_per_genre: int = 100
) -> list[GenreAvailability]:
    """Per genre: copies on the shelf, titles with a copy, and the first of those titles.

    Two queries whatever the catalogue size: one aggregate per genre, one window-limited
    list of titles so a genre with thousands of titles stays a bounded response.
    """
    from django.db.models import Window
    from django.db.models.functions import RowNumber

    on_shelf = Book.objects.filter(available_copies__gt=0)
    if genre:
        on_shelf = on_shelf.filter(genre=genre)
    totals = (
        on_shelf.values("genre")
        .annotate(copies=Sum("available_copies"), titles=Count("id"))
        .order_by("genre")
    )
    ranked = (
        on_shelf.select_related("author")
        .annotate(
            rank_in_genre=Window(
                RowNumber(), partition_by=[F("genre")], order_by=[F("title"), F("id")]
            )
        )
        .filter(rank_in_genre__lte=books_per_genre)
        .order_by("genre", "title", "id")
    )
    books_by_genre: dict[str, list[Book]] = {}
    for book in ranked:
        books_by_genre.setdefault(book.genre, []).append(book)
    return [
        GenreAvailability(
            genre=row["genre"],
            available_copies=row["copies"],
            available_titles=row["titles"],
            books=books_by_genre.get(row["genre"], []),
        )
        for row in totals
    ]


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    @classmethod
    def from_dates(cls, start: date | None, end: date | None) -> "Period":
        """Inclusive calendar dates in the library's time zone; default: the last 30 days."""
        today = timezone.localdate()
        end = end or today
        start = start or end - timedelta(days=settings.STATS_DEFAULT_PERIOD_DAYS - 1)
        zone = timezone.get_current_timezone()
        return cls(
            start=datetime.combine(start, time.min, tzinfo=zone),
            end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
        )


@dataclass(frozen=True)
class BorrowStats:
    period: Period
    borrowed_count: int
    most_borrowed_books: list[Book]
    most_active_borrowers: list
    average_borrow_duration_days: float | None


def borrow_stats(*, period: Period, limit: int = 5) -> BorrowStats:
    in_period = Q(borrow_date__gte=period.start, borrow_date__lt=period.end)
    borrows = Borrow.objects.filter(in_period)
    borrowed_count = borrows.count()

    most_borrowed = list(
        Book.objects.select_related("author")
        .filter(**{f"borrows__{key}": value for key, value in _lookups(period).items()})
        .annotate(borrow_count=Count("borrows"))
        .order_by("-borrow_count", "title", "id")[:limit]
    )
    most_active = list(
        get_user_model()
        .objects.filter(**{f"borrows__{key}": value for key, value in _lookups(period).items()})
        .annotate(borrow_count=Count("borrows"))
        .order_by("-borrow_count", "username")[:limit]
    )
    average = borrows.filter(return_date__isnull=False).aggregate(
        duration=Avg(
            ExpressionWrapper(F("return_date") - F("borrow_date"), output_field=DurationField())
        )
    )["duration"]
    return BorrowStats(
        period=period,
        borrowed_count=borrowed_count,
        most_borrowed_books=most_borrowed,
        most_active_borrowers=most_active,
        average_borrow_duration_days=(
            round(average.total_seconds() / 86400, 2) if average is not None else None
        ),
    )


def _lookups(period: Period) -> dict:
    return {"borrow_date__gte": period.start, "borrow_date__lt": period.end}


def borrows_per_day(*, period: Period) -> list[dict]:
    return list(
        Borrow.objects.filter(borrow_date__gte=period.start, borrow_date__lt=period.end)
        .annotate(day=TruncDate("borrow_date"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
    )
