"""Reads of the holds queue, computed in the database."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.roles import can_read_all_circulation
from backoffice.core.compiled import built_once
from library.models import Hold


def queue_position() -> Subquery:
    """A waiting hold's 1-based place in its title's queue (placed_at, then id).

    A correlated count over the queue index (``hold_queue_idx``): a page of holds costs
    one query whatever the queue lengths. Holds that are not waiting get null.
    """
    ahead = (
        Hold.objects.waiting()
        .filter(book_id=OuterRef("book_id"))
        .filter(
            Q(placed_at__lt=OuterRef("placed_at"))
            | Q(placed_at=OuterRef("placed_at"), id__lt=OuterRef("id"))
        )
        .order_by()
        .values("book_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)) + 1


@built_once
def _holds_with_positions() -> QuerySet[Hold]:
    return Hold.objects.select_related("book__author", "user").annotate(_position=queue_position())


def hold_list(*, user) -> QuerySet[Hold]:
    """Holds the user may see (their own; librarians and auditors: all), with positions."""
    holds = _holds_with_positions()
    if not can_read_all_circulation(user):
        holds = holds.filter(user_id=user.pk)
    return holds.order_by("-placed_at", "-id")


def position_of(hold: Hold) -> int | None:
    """The position of a hold read without the annotation (one query), for a fresh hold."""
    if hold.status != Hold.Status.WAITING:
        return None
    annotated = getattr(hold, "_position", None)
    if annotated is not None:
        return annotated
    return (
        Hold.objects.waiting()
        .filter(book_id=hold.book_id)
        .filter(Q(placed_at__lt=hold.placed_at) | Q(placed_at=hold.placed_at, id__lt=hold.pk))
        .count()
        + 1
    )


def waiting_holds_count() -> Subquery:
    """Per book: holds waiting in its queue (for book lists)."""
    waiting = (
        Hold.objects.waiting()
        .filter(book_id=OuterRef("pk"))
        .order_by()
        .values("book_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(waiting, output_field=IntegerField()), Value(0))
