"""The back office's key figures, in one query."""

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from library.models import Book, Borrow, Hold, overdue_condition

from .sql import scalar, single_row
from .stats import Period, in_days, loan_duration_average, period_lookups

# "Active patrons" everywhere (dashboard, report): patrons with a loan in this many days.
ACTIVE_DAYS = 30


@dataclass(frozen=True)
class DashboardFigures:
    titles: int
    copies: int
    available_copies: int
    held_copies: int
    holds_waiting: int
    on_loan: int
    overdue: int
    patrons: int
    active_patrons: int  # patrons with a loan in the last ACTIVE_DAYS days
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
    in_period = Borrow.objects.filter(**period_lookups(period))
    row = single_row(Book.objects.all()).annotate(
        titles=Count("*"),
        copies=Coalesce(Sum("total_copies"), 0),
        available_copies=Coalesce(Sum("available_copies"), 0),
        held_copies=Coalesce(Sum("held_copies"), 0),
        holds_waiting=scalar(Hold.objects.waiting(), Count("*")),
        on_loan=scalar(Borrow.objects.open(), Count("*")),
        overdue=scalar(Borrow.objects.filter(overdue_condition(now)), Count("*")),
        patrons=scalar(get_user_model().objects.patrons(), Count("*")),
        active_patrons=scalar(
            get_user_model().objects.active_patrons(since=now - timedelta(days=ACTIVE_DAYS)),
            Count("*"),
        ),
        borrows_this_month=scalar(Borrow.objects.filter(borrow_date__gte=month_start), Count("*")),
        borrowed_in_period=scalar(in_period, Count("*")),
        average_loan_days=scalar(in_period, loan_duration_average()),
    )
    figures = row.values(*(field.name for field in fields(DashboardFigures))).get()
    figures["average_loan_days"] = in_days(figures["average_loan_days"])
    return DashboardFigures(**figures)
