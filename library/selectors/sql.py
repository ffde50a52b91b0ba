"""Spelling whole-table aggregates as querysets, so they combine into one round trip."""

from django.db.models import QuerySet, Subquery, Value


def single_row(queryset: QuerySet) -> QuerySet:
    """``queryset`` grouped as a whole: aggregates annotated on it give exactly one row.

    Grouping by a constant is how the ORM spells an aggregate that stays a queryset (so it
    can be a subquery, or carry subqueries); the constant never reaches the SQL.
    """
    return queryset.order_by().annotate(whole=Value(1)).values("whole")


def scalar(queryset: QuerySet, aggregate) -> Subquery:
    """One aggregate of ``queryset`` as a scalar subquery."""
    return Subquery(single_row(queryset).annotate(value=aggregate).values("value"))
