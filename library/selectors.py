"""Reads of the catalogue and circulation, computed in the database."""

from dataclasses import dataclass, fields
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
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Rank, RowNumber, TruncDate
from django.utils import timezone

from accounts.roles import can_read_all_circulation
from backoffice.core.inputs import FIRST_DAY, LAST_DAY, day_in_range

from .models import Author, Book, Borrow, overdue_condition


def author_list() -> QuerySet[Author]:
    # Meta.ordering is dropped from GROUP BY queries, so the order is restated.
    return Author.objects.annotate(book_count=Count("books")).order_by("name", "id")


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
    on_shelf = Book.objects.filter(available_copies__gt=0)
    if genre:
        on_shelf = on_shelf.filter(genre=genre)
    totals = (
        on_shelf.values("genre")
        .annotate(copies=Sum("available_copies"), titles=Count("id"))
        .order_by("genre")
    )
    # The ranks are computed on books alone, in the order of book_available_genre_idx
    # (an index-only scan, no sort); authors are joined to the few rows kept. Joining
    # them inside the window query would sort every title on the shelf.
    ranked_ids = (
        on_shelf.annotate(
            rank_in_genre=Window(
                RowNumber(), partition_by=[F("genre")], order_by=[F("title"), F("id")]
            )
        )
        .filter(rank_in_genre__lte=books_per_genre)
        .values("id")
    )
    ranked = (
        Book.objects.select_related("author")
        .filter(pk__in=ranked_ids)
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
        """Inclusive calendar dates in the library's time zone; default: the last 30 days.

        Both days must lie within FIRST_DAY..LAST_DAY (ValueError otherwise): a day at
        the calendar's edge has no next midnight, or none in UTC.
        """
        today = timezone.localdate()
        end = end or today
        if start is None:
            # Near the calendar's first day the default period is what is left of it.
            default_days = timedelta(days=settings.STATS_DEFAULT_PERIOD_DAYS - 1)
            start = end - default_days if end - FIRST_DAY >= default_days else FIRST_DAY
        if not (day_in_range(start) and day_in_range(end)):
            raise ValueError(f"A period runs within {FIRST_DAY} and {LAST_DAY}.")
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
    # One pass over the period's loans for the count and the average loan duration.
    totals = Borrow.objects.filter(**_lookups(period)).aggregate(
        count=Count("*"), duration=_loan_duration_average()
    )
    return BorrowStats(
        period=period,
        borrowed_count=totals["count"],
        most_borrowed_books=most_borrowed_books(period=period, limit=limit),
        most_active_borrowers=most_active_borrowers(period=period, limit=limit),
        average_borrow_duration_days=_in_days(totals["duration"]),
    )


# Counting first and joining after: only the books and patrons that can make a top list
# (those with at least the limit-th highest count) are joined to their borrows. Joining
# every borrow of a long period (a year: ~300,000 rows) to its book, author or patron
# before grouping costs twice as much. COUNT(*), not COUNT(borrow.id), so that
# borrow_date_cover_idx answers alone (index-only scans).


def most_borrowed_books(*, period: Period, limit: int) -> list[Book]:
    """The period's most borrowed titles with ``borrow_count``; ties go by title. One query."""
    in_period = Borrow.objects.filter(**_lookups(period))
    in_period_via = {f"borrows__{key}": value for key, value in _lookups(period).items()}
    return list(
        Book.objects.select_related("author")
        .only("id", "title", "author__id", "author__name")
        .filter(pk__in=_top_contenders(in_period, "book_id", limit), **in_period_via)
        .annotate(borrow_count=Count("*"))
        .order_by("-borrow_count", "title", "id")[:limit]
    )


def most_active_borrowers(*, period: Period, limit: int) -> list:
    """The period's busiest patrons with ``borrow_count``; ties go by username. One query."""
    in_period = Borrow.objects.filter(**_lookups(period))
    in_period_via = {f"borrows__{key}": value for key, value in _lookups(period).items()}
    return list(
        get_user_model()
        .objects.only("id", "username", "first_name", "last_name", "email")
        .filter(pk__in=_top_contenders(in_period, "user_id", limit), **in_period_via)
        .annotate(borrow_count=Count("*"))
        .order_by("-borrow_count", "username")[:limit]
    )


def _loan_duration_average() -> Avg:
    return Avg(
        ExpressionWrapper(F("return_date") - F("borrow_date"), output_field=DurationField()),
        filter=Q(return_date__isnull=False),
    )


def _in_days(duration: timedelta | None) -> float | None:
    return round(duration.total_seconds() / 86400, 2) if duration is not None else None


def _top_contenders(borrows: QuerySet[Borrow], key: str, limit: int) -> QuerySet:
    """Values of ``key`` whose borrow count reaches the ``limit``-th highest count.

    Ties at the cut are all kept, so the caller's tie-break (a title, a username) still
    decides between them.
    """
    ranked = (
        borrows.order_by()
        .values(key)
        .annotate(n=Count("*"), rank=Window(Rank(), order_by=F("n").desc()))
    )
    return ranked.filter(rank__lte=limit).values(key)


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


def book_open_borrow_count(*, book_id: int) -> int:
    """Copies of one book on loan right now (open borrows), for staff copy edits."""
    return Borrow.objects.open().filter(book_id=book_id).count()


@dataclass(frozen=True)
class DashboardFigures:
    titles: int
    copies: int
    available_copies: int
    on_loan: int
    overdue: int
    active_patrons: int
    borrows_this_month: int
    borrowed_in_period: int
    average_loan_days: float | None


def dashboard_figures(*, period: Period, now: datetime | None = None) -> DashboardFigures:
    """The back office's key figures and the period's totals, in one query.

    The catalogue's aggregate carries the circulation figures as scalar subqueries, each
    answered by its own index (open loans, overdue loans, the borrow-date cover index):
    one round trip, and no pass over the whole loan history.
    """
    now = now or timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    in_period = Borrow.objects.filter(**_lookups(period))
    row = _single_row(Book.objects.all()).annotate(
        titles=Count("*"),
        copies=Coalesce(Sum("total_copies"), 0),
        available_copies=Coalesce(Sum("available_copies"), 0),
        on_loan=_scalar(Borrow.objects.open(), Count("*")),
        overdue=_scalar(Borrow.objects.filter(overdue_condition(now)), Count("*")),
        # A patron is an active non-staff account (see accounts.roles.is_patron).
        active_patrons=_scalar(
            get_user_model().objects.filter(is_active=True, is_staff=False), Count("*")
        ),
        borrows_this_month=_scalar(Borrow.objects.filter(borrow_date__gte=month_start), Count("*")),
        borrowed_in_period=_scalar(in_period, Count("*")),
        average_loan_days=_scalar(in_period, _loan_duration_average()),
    )
    figures = row.values(*(field.name for field in fields(DashboardFigures))).get()
    figures["average_loan_days"] = _in_days(figures["average_loan_days"])
    return DashboardFigures(**figures)


def _single_row(queryset: QuerySet) -> QuerySet:
    """``queryset`` grouped as a whole: aggregates annotated on it give exactly one row.

    Grouping by a constant is how the ORM spells an aggregate that stays a queryset (so it
    can be a subquery, or carry subqueries); the constant never reaches the SQL.
    """
    return queryset.order_by().annotate(whole=Value(1)).values("whole")


def _scalar(queryset: QuerySet, aggregate) -> Subquery:
    """One aggregate of ``queryset`` as a scalar subquery."""
    return Subquery(_single_row(queryset).annotate(value=aggregate).values("value"))


def borrows_by_genre(*, period: Period) -> list[dict]:
    """Borrows made in the period per genre of the borrowed book, most borrowed first."""
    return list(
        Borrow.objects.filter(borrow_date__gte=period.start, borrow_date__lt=period.end)
        .values(genre=F("book__genre"))
        .annotate(count=Count("id"))
        .order_by("-count", "genre")
    )


def book_list_with_loans() -> QuerySet[Book]:
    """``book_list()`` plus ``open_borrows``: the copies on loan now, counted from the borrows.

    A correlated subquery rather than a join + GROUP BY, so a paginated list only counts
    the loans of the rows it shows (``total - available`` also counts withdrawn copies).
    """
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    open_borrows = (
        Borrow.objects.open()
        .filter(book_id=OuterRef("pk"))
        .order_by()
        .values("book_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    return book_list().annotate(
        open_borrows=Coalesce(Subquery(open_borrows, output_field=IntegerField()), 0)
    )
