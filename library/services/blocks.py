"""Patron blocks: who may not borrow, renew or place holds, and why.

Two reasons block a patron: a manual block a librarian set (with its reason), and a loan
more than ``BLOCK_AFTER_OVERDUE_DAYS`` overdue. Returning is never blocked. The borrow,
renew and hold services read both inside a query they already make (``block_fields``),
so the check costs no round trip; ``PatronBlocked`` words the refusal.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min, Subquery
from django.utils import timezone
from django.utils.formats import date_format

from backoffice.core.errors import DomainError, NotFound
from library.models import PatronBlock

from .history import record_actor
from .wording import WordedForWhoAsks


class PatronBlocked(WordedForWhoAsks):
    code = "patron_blocked"
    patron_text = "You may not borrow, renew or place holds: {reason}"
    staff_text = "{name} may not borrow, renew or place holds: {reason}"


class AlreadyBlocked(WordedForWhoAsks):
    code = "already_blocked"
    patron_text = "You are already blocked."
    staff_text = "{name} is already blocked; lift that block first to give another reason."


class BlockNotFound(NotFound):
    default_detail = "No such block."


class BlockLifted(DomainError):
    code = "block_lifted"
    default_detail = "This block has already been lifted."


class BlockReasonRequired(DomainError):
    status_code = 400
    code = "reason_required"
    default_detail = "Say why: the reason is shown to the patron and kept in the history."


def overdue_block_cutoff(now: datetime) -> datetime:
    """A loan due before this blocks its patron."""
    return now - timedelta(days=settings.BLOCK_AFTER_OVERDUE_DAYS)


def block_fields(user_ref) -> dict:
    """Annotations for a query over the patron's open loans (``oldest_due``) plus the
    manual block's reason (``block_reason``), for the patron ``user_ref`` (an id or an
    OuterRef): what ``block_reason_of`` needs, in the caller's own query."""
    return {
        "oldest_due": Min("due_date"),
        "block_reason": Subquery(
            PatronBlock.objects.active().filter(user_id=user_ref).values("reason")[:1]
        ),
    }


def block_reason_of(*, block_reason: str | None, oldest_due: datetime | None, now) -> str | None:
    """Why the patron is blocked, in a sentence, or None."""
    if block_reason:
        return f"a librarian blocked the account ({block_reason})."
    if oldest_due is not None and oldest_due < overdue_block_cutoff(now):
        due = date_format(timezone.localtime(oldest_due), "j F Y")
        return (
            f"a loan due on {due} is more than {settings.BLOCK_AFTER_OVERDUE_DAYS} days "
            "overdue; return it first."
        )
    return None


def patron_check_not_blocked(user, *, for_staff: bool, block_reason, oldest_due, now) -> None:
    reason = block_reason_of(block_reason=block_reason, oldest_due=oldest_due, now=now)
    if reason is not None:
        raise PatronBlocked(user, for_staff=for_staff, reason=reason)


def block_set(*, user, reason: str, actor) -> PatronBlock:
    """A librarian blocks ``user`` from borrowing, renewing and placing holds."""
    reason = (reason or "").strip()
    if not reason:
        raise BlockReasonRequired()
    block = PatronBlock(user=user, reason=reason, created_by=actor, created_at=timezone.now())
    record_actor(block, actor, "Blocked")
    try:
        with transaction.atomic():
            block.save()
    except IntegrityError:
        raise AlreadyBlocked(user, for_staff=True) from None
    return block


def block_lift(*, block_id: int, actor, reason: str) -> PatronBlock:
    """Lift a manual block; who and why are kept on the block and in its history."""
    reason = (reason or "").strip()
    if not reason:
        raise BlockReasonRequired()
    with transaction.atomic():
        block = PatronBlock.objects.select_for_update().filter(pk=block_id).first()
        if block is None:
            raise BlockNotFound()
        if block.lifted_at is not None:
            raise BlockLifted()
        block.lifted_at = max(timezone.now(), block.created_at)
        block.lifted_by = actor
        block.lift_reason = reason
        record_actor(block, actor, "Lifted")
        block.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    return block
