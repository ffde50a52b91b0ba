"""The back office's key figures, in one query."""

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from library.models import Book, Borrow, overdue_condition

from .stats import Period, in_days, loan_duration_average, period_lookups

# "Active patrons" everywhere (dashboard, report): patrons with a loan in this many days.
ACTIVE_DAYS = 30


@dataclass(frozen=True)
class DashboardFigures:
    titles: int
    copies: int
    available_copies: int
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
    row = _single_row(Book.objects.all()).annotate(
        titles=Count("*"),
        copies=Coalesce(Sum("total_copies"), 0),
        available_copies=Coalesce(Sum("available_copies"), 0),
        on_loan=_scalar(Borrow.objects.open(), Count("*")),
        overdue=_scalar(Borrow.objects.filter(overdue_condition(now)), Count("*")),
        patrons=_scalar(get_user_model().objects.patrons(), Count("*")),
        active_patrons=_scalar(
            get_user_model().objects.active_patrons(since=now - timedelta(days=ACTIVE_DAYS)),
            Count("*"),
        ),
        borrows_this_month=_scalar(Borrow.objects.filter(borrow_date__gte=month_start), Count("*")),
        borrowed_in_period=_scalar(in_period, Count("*")),
        average_loan_days=_scalar(in_period, loan_duration_average()),
    )
    figures = row.values(*(field.name for field in fields(DashboardFigures))).get()
    figures["average_loan_days"] = in_days(figures["average_loan_days"])
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
