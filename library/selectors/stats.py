"""Statistics over a period: counts, top lists, loan durations, computed in the database."""

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
    Window,
)
from django.db.models.functions import Coalesce, Rank, TruncDate
from django.utils import timezone

from backoffice.core.inputs import FIRST_DAY, LAST_DAY, day_in_range
from library.models import ANONYMISED_PATRON_USERNAME, Book, Borrow, Hold

from .sql import scalar, single_row


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
    held_copies: int  # now, whatever the period: copies on the hold shelf
    holds_waiting: int  # now: holds waiting in a queue


def borrow_stats(*, period: Period, limit: int = 5) -> BorrowStats:
    # One pass over the period's loans for the count and the average loan duration, with
    # the hold shelf and the queues as they are now in the same round trip.
    totals = (
        single_row(Borrow.objects.filter(**period_lookups(period)))
        .annotate(
            count=Count("*"),
            duration=loan_duration_average(),
            held=scalar(Book.objects.all(), Coalesce(Sum("held_copies"), 0)),
            waiting=scalar(Hold.objects.waiting(), Count("*")),
        )
        .values("count", "duration", "held", "waiting")
        .get()
    )
    return BorrowStats(
        period=period,
        borrowed_count=totals["count"],
        most_borrowed_books=most_borrowed_books(period=period, limit=limit),
        most_active_borrowers=most_active_borrowers(period=period, limit=limit),
        average_borrow_duration_days=in_days(totals["duration"]),
        held_copies=totals["held"] or 0,
        holds_waiting=totals["waiting"] or 0,
    )


def most_borrowed_books(*, period: Period, limit: int) -> list[Book]:
    """The period's most borrowed titles with ``borrow_count``; ties go by title. One query."""
    in_period = Borrow.objects.filter(**period_lookups(period))
    in_period_via = {f"borrows__{key}": value for key, value in period_lookups(period).items()}
    return list(
        Book.objects.select_related("author")
        .only("id", "title", "author__id", "author__name")
        .filter(pk__in=_top_contenders(in_period, "book_id", limit), **in_period_via)
        .annotate(borrow_count=Count("*"))
        .order_by("-borrow_count", "title", "id")[:limit]
    )


def most_active_borrowers(*, period: Period, limit: int) -> list:
    """The period's busiest patrons with ``borrow_count``; ties go by username. One query.

    The anonymised patron is nobody: its loans are left out before the ranking.
    """
    in_period = Borrow.objects.filter(**period_lookups(period)).exclude(
        user_id__in=get_user_model()
        .objects.filter(username=ANONYMISED_PATRON_USERNAME)
        .values("pk")
    )
    in_period_via = {f"borrows__{key}": value for key, value in period_lookups(period).items()}
    return list(
        get_user_model()
        .objects.only("id", "username", "first_name", "last_name", "email")
        .filter(pk__in=_top_contenders(in_period, "user_id", limit), **in_period_via)
        .annotate(borrow_count=Count("*"))
        .order_by("-borrow_count", "username")[:limit]
    )


def loan_duration_average() -> Avg:
    return Avg(
        ExpressionWrapper(F("return_date") - F("borrow_date"), output_field=DurationField()),
        filter=Q(return_date__isnull=False),
    )


def in_days(duration: timedelta | None) -> float | None:
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


def period_lookups(period: Period) -> dict:
    return {"borrow_date__gte": period.start, "borrow_date__lt": period.end}


def borrows_per_day(*, period: Period) -> list[dict]:
    return list(
        Borrow.objects.filter(borrow_date__gte=period.start, borrow_date__lt=period.end)
        .annotate(day=TruncDate("borrow_date"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
    )


def borrows_by_genre(*, period: Period) -> list[dict]:
    """Borrows made in the period per genre of the borrowed book, most borrowed first."""
    return list(
        Borrow.objects.filter(borrow_date__gte=period.start, borrow_date__lt=period.end)
        .values(genre=F("book__genre"))
        .annotate(count=Count("id"))
        .order_by("-count", "genre")
    )
