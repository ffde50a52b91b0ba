"""Why a patron may not borrow, renew or place holds (the desk panel, the admin)."""

from django.db.models import Min
from django.utils import timezone

from library.models import Borrow, PatronBlock
from library.services.blocks import block_reason_of


def blocks_of(user, *, now=None, open_loans=None) -> list[str]:
    """The reasons ``user`` is blocked, each a sentence; empty when they are not.

    Both reasons can hold at once (a manual block and a loan long overdue), so both are
    listed; the services refuse with the first. Two queries, or one when the caller has
    the patron's open loans already (the desk's panel).
    """
    now = now or timezone.now()
    reasons = []
    manual = PatronBlock.objects.active().filter(user_id=user.pk).values_list("reason", flat=True)
    for reason in manual[:1]:
        reasons.append(block_reason_of(block_reason=reason, oldest_due=None, now=now))
    if open_loans is None:
        oldest_due = Borrow.objects.open().filter(user_id=user.pk).aggregate(m=Min("due_date"))["m"]
    else:
        oldest_due = min((loan.due_date for loan in open_loans), default=None)
    overdue = block_reason_of(block_reason=None, oldest_due=oldest_due, now=now)
    if overdue:
        reasons.append(overdue)
    return reasons
