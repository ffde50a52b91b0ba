"""Renewing several loans at once (the desk's Renew all), by the rules of one renewal.

``loans.borrow_renew`` renews one loan; this answers the same for each loan of a list in a
fixed number of queries whatever its length: the loans locked with whether their patron is
blocked, their books locked in id order, the waiting holds of those books, one UPDATE and
one INSERT of their history rows.
"""

from django.db import transaction
from django.db.models import OuterRef
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from accounts.roles import can_return_any_loan
from backoffice.core.errors import DomainError
from library.models import Borrow, Hold
from library.selectors.sql import scalar

from . import copies
from .blocks import block_fields
from .loans import BorrowNotFound, WantedByHold, borrow_renew_refuse, renewed_due_date


def borrow_renew_many(
    *, borrow_ids: list[int], actor, reason: str = ""
) -> tuple[list[Borrow], list[tuple[int, DomainError]]]:
    """Renew these loans: the renewed ones, and (id, refusal) for each of the others."""
    with transaction.atomic():
        fields = block_fields(OuterRef("user_id"))
        loans = (
            Borrow.objects.select_for_update(of=("self",))
            .select_related("book__author", "user")
            .filter(pk__in=borrow_ids)
            .annotate(
                oldest_due=scalar(
                    Borrow.objects.open().filter(user_id=OuterRef("user_id")),
                    fields["oldest_due"],
                ),
                block_reason=fields["block_reason"],
            )
            .order_by("pk")
        )
        if not can_return_any_loan(actor):
            loans = loans.filter(user_id=actor.pk)
        loans = list(loans)
        found = {loan.pk for loan in loans}
        refused: list[tuple[int, DomainError]] = [
            (borrow_id, BorrowNotFound()) for borrow_id in borrow_ids if borrow_id not in found
        ]
        now = timezone.now()
        allowed = []
        for loan in loans:
            try:
                borrow_renew_refuse(loan, actor=actor, now=now)
            except DomainError as error:
                refused.append((loan.pk, error))
            else:
                allowed.append(loan)
        if not allowed:
            return [], refused
        # As in borrow_renew: under the books' locks no hold is placed between the check and
        # the write.
        book_ids = {loan.book_id for loan in allowed}
        copies.books_lock(book_ids)
        wanted = set(
            Hold.objects.waiting().filter(book_id__in=book_ids).values_list("book_id", flat=True)
        )
        renewed = []
        for loan in allowed:
            if loan.book_id in wanted:
                refused.append((loan.pk, WantedByHold()))
                continue
            loan.due_date = renewed_due_date(loan, now)
            loan.renewals += 1
            renewed.append(loan)
        if renewed:
            bulk_update_with_history(
                renewed,
                Borrow,
                ["due_date", "renewals"],
                default_user=actor,
                default_change_reason=reason or "Renewed",
                default_date=now,
            )
    return renewed, refused
