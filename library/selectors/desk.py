"""Reads of the circulation desk: who a card belongs to, what they have, who has a title.

Each function is one query whatever the patron has on loan or on hold, so a desk page
costs the same for a patron with one loan and for one with twenty.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.cards import card_number_is_well_formed, card_number_normalize
from library.models import Book, Borrow, Hold

from .blocks import blocks_of
from .holds import queue_position
from .notices import notices_of

HISTORY_ROWS = 20
SEARCH_ROWS = 20


def patron_by_card(text: str):
    """The account whose card number is ``text`` (as scanned or typed), or None."""
    number = card_number_normalize(text)
    if not card_number_is_well_formed(number):
        return None  # a name, or noise: no card is spelled that way
    return get_user_model().objects.filter(card_number=number).first()


def patron_by_id(user_id: int):
    return get_user_model().objects.filter(pk=user_id).first()


def patrons_search(text: str, *, limit: int = SEARCH_ROWS) -> list:
    """Accounts whose name, username or e-mail holds every word of ``text``."""
    words = text.split()[:5]
    if not words:
        return []
    users = get_user_model().objects.all()
    for word in words:
        users = users.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    return list(users.order_by("last_name", "first_name", "username")[:limit])


def book_by_isbn(isbn13: str) -> Book | None:
    return Book.objects.select_related("author").filter(isbn=isbn13).first()


def book_open_loans(book_id: int) -> list[Borrow]:
    """Who has a copy of this title out, longest first (the likeliest to come back)."""
    return list(
        Borrow.objects.open()
        .filter(book_id=book_id)
        .select_related("user", "book__author")
        .order_by("due_date", "id")
    )


def patron_open_loans(user_id: int) -> list[Borrow]:
    return list(
        Borrow.objects.open()
        .filter(user_id=user_id)
        .select_related("book__author")
        .order_by("due_date", "id")
    )


def patron_open_holds(user_id: int) -> list[Hold]:
    """Ready holds first (they wait on the hold shelf), then the waiting ones."""
    return list(
        Hold.objects.open()
        .filter(user_id=user_id)
        .select_related("book__author")
        .annotate(in_line=queue_position())
        .order_by("status", "placed_at", "id")  # "ready" sorts before "waiting"
    )


def patron_loan_history(user_id: int, *, limit: int = HISTORY_ROWS) -> list[Borrow]:
    return list(
        Borrow.objects.returned()
        .filter(user_id=user_id)
        .select_related("book__author")
        .order_by("-return_date", "-id")[:limit]
    )


def days_overdue(borrow: Borrow, now: datetime) -> int:
    """Whole days past the due date (0 while not yet due): the day it fell due is day 1."""
    if borrow.return_date is not None or borrow.due_date >= now:
        return 0
    due = timezone.localtime(borrow.due_date).date()
    return max((timezone.localtime(now).date() - due).days, 1)


@dataclass
class LoanRow:
    borrow: Borrow
    days_overdue: int


@dataclass
class PatronPanel:
    """What the desk and the patron's record show of one patron."""

    patron: object
    loans: list[LoanRow]
    holds: list[Hold]
    history: list[Borrow] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)  # why they may not borrow, if they may not
    notices: list = field(default_factory=list)  # the latest notices sent to them

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.loans if row.days_overdue)

    @property
    def ready_holds(self) -> list[Hold]:
        return [hold for hold in self.holds if hold.status == Hold.Status.READY]


PANEL_NOTICES = 5


def patron_panel(patron, *, with_history: bool = False, now=None) -> PatronPanel:
    """The patron's loans (due soonest first), open holds, what blocks them, the latest
    notices sent to them and, if asked, past loans."""
    now = now or timezone.now()
    open_loans = patron_open_loans(patron.pk)
    loans = [LoanRow(borrow, days_overdue(borrow, now)) for borrow in open_loans]
    return PatronPanel(
        patron=patron,
        loans=loans,
        holds=patron_open_holds(patron.pk),
        history=patron_loan_history(patron.pk) if with_history else [],
        blocks=blocks_of(patron, now=now, open_loans=open_loans),
        notices=notices_of(patron, limit=PANEL_NOTICES),
    )


def with_loan_counts(users: QuerySet, now=None) -> QuerySet:
    """Users annotated with ``open_loans`` and ``overdue_loans`` (one correlated count each)."""

    def count_of(loans):
        counted = (
            loans.filter(user_id=OuterRef("pk"))
            .order_by()
            .values("user_id")
            .annotate(n=Count("*"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    return users.annotate(
        open_loans=count_of(Borrow.objects.open()),
        overdue_loans=count_of(Borrow.objects.overdue(now)),
    )


def with_overdue_loans(users: QuerySet, now=None) -> QuerySet:
    """Only the users with at least one overdue loan."""
    return users.filter(Exists(Borrow.objects.overdue(now).filter(user_id=OuterRef("pk"))))
