"""Title-level holds: placing, cancelling and expiring them.

A hold is placed only when no copy is on the shelf; the copy ledger gives the next copy
that comes back (a return, a copy added by staff, a ready hold cancelled or expired) to the
first waiting hold. Every transition here locks the book's row first (``copies.book_lock``),
so a title's queue changes one transaction at a time.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.roles import can_borrow, is_librarian
from backoffice.core.errors import DomainError, NotFound
from library.models import Book, Borrow, Hold
from library.selectors.sql import single_row

from . import copies
from .blocks import block_fields, patron_check_not_blocked
from .catalogue import BookNotFound
from .history import record_actor
from .loans import BorrowerNotAllowed, WordedForWhoAsks, patron_for

logger = logging.getLogger(__name__)


class CopiesAvailable(DomainError):
    code = "copies_available"
    default_detail = "A copy of this book is on the shelf: borrow it instead of placing a hold."


class AlreadyBorrowedNoHold(WordedForWhoAsks):
    code = "already_borrowed"
    patron_text = "You have this book on loan; no hold is needed."
    staff_text = "{name} has this book on loan; no hold is needed."


class AlreadyOnHold(WordedForWhoAsks):
    code = "already_on_hold"
    patron_text = "You already have a hold on this book."
    staff_text = "{name} already has a hold on this book."


class HoldLimitReached(WordedForWhoAsks):
    code = "hold_limit_reached"
    patron_text = "You have {limit} open holds, the most allowed; cancel one first."
    staff_text = "{name} already has {limit} open holds, the most allowed."


class HoldClosed(DomainError):
    code = "hold_closed"

    def __init__(self, hold: Hold):
        super().__init__(f"This hold is already {hold.get_status_display().lower()}.")


class HoldNotFound(NotFound):
    default_detail = "No such hold."


def hold_place(*, user, book_id: int, actor=None, reason: str = "") -> Hold:
    """Put ``user`` in the queue for a title none of whose copies is on the shelf."""
    actor = actor or user
    for_staff = actor.pk != user.pk
    if not can_borrow(user):
        raise BorrowerNotAllowed(user)
    with transaction.atomic():
        # The patron's row serialises their holds (the limit); the book's row serialises
        # the title's queue against returns, so no hold is placed beside a copy that a
        # return is putting on the shelf.
        get_user_model().objects.select_for_update().filter(pk=user.pk).values("pk").first()
        book = copies.book_lock(book_id)
        if book is None:
            raise BookNotFound()
        # Their loan of this title and whether they are blocked, in one round trip.
        loans = (
            single_row(Borrow.objects.open().filter(user_id=user.pk))
            .annotate(of_this_book=Count("id", filter=Q(book_id=book_id)), **block_fields(user.pk))
            .values("of_this_book", "oldest_due", "block_reason")
            .get()
        )
        patron_check_not_blocked(
            user,
            for_staff=for_staff,
            block_reason=loans["block_reason"],
            oldest_due=loans["oldest_due"],
            now=timezone.now(),
        )
        if loans["of_this_book"]:
            raise AlreadyBorrowedNoHold(user, for_staff=for_staff)
        open_holds = list(
            Hold.objects.open().filter(user_id=user.pk).values_list("book_id", flat=True)
        )
        if book_id in open_holds:
            raise AlreadyOnHold(user, for_staff=for_staff)
        if book.available_copies > 0:
            raise CopiesAvailable()
        if len(open_holds) >= settings.MAX_OPEN_HOLDS:
            raise HoldLimitReached(user, for_staff=for_staff, limit=settings.MAX_OPEN_HOLDS)
        hold = Hold(user=user, book_id=book_id, placed_at=timezone.now())
        record_actor(hold, actor, reason)
        try:
            with transaction.atomic():
                hold.save()
        except IntegrityError:
            raise AlreadyOnHold(user, for_staff=for_staff) from None
    hold.book = Book.objects.select_related("author").get(pk=book_id)
    return hold


def hold_place_as(*, actor, book_id: int, user_id: int | None = None) -> Hold:
    """A hold ``actor`` asks for: for themself, or (librarians only) for user ``user_id``."""
    user = patron_for(actor=actor, user_id=user_id)
    reason = "" if user.pk == actor.pk else "Placed by a librarian"
    return hold_place(user=user, book_id=book_id, actor=actor, reason=reason)


def hold_cancel(*, hold_id: int, actor, reason: str = "") -> Hold:
    """Cancel an open hold; a ready hold's copy goes to the next in the queue or the shelf.

    The holder and librarians cancel; anyone else's hold is reported as not found.
    """
    with transaction.atomic():
        found = Hold.objects.filter(pk=hold_id)
        if not is_librarian(actor):
            found = found.filter(user_id=actor.pk)
        book_id = found.values_list("book_id", flat=True).first()
        if book_id is None:
            raise HoldNotFound()
        copies.book_lock(book_id)
        hold = (
            Hold.objects.select_for_update(of=("self",))
            .select_related("book__author", "user")
            .get(pk=hold_id)
        )
        if not hold.is_open:
            raise HoldClosed(hold)
        was_ready = hold.status == Hold.Status.READY
        now = timezone.now()
        copies.hold_close(
            hold, Hold.Status.CANCELLED, now=now, actor=actor, reason=reason or "Cancelled"
        )
        if was_ready:
            copies.copy_pass_on(
                book_id=book_id, now=now, actor=actor, reason="Copy freed by a cancelled hold"
            )
    return hold


@dataclass(frozen=True)
class ExpiryResult:
    expired: list[int]
    passed_on: list[int]  # holds that became ready with the freed copies


def holds_expire(*, now=None, batch: int = 200) -> ExpiryResult:
    """Expire ready holds past their pickup deadline; their copies go to the next hold.

    Safe to run twice at once: each title is handled under its book's lock, and a hold is
    re-read there, so a second run (or the holder borrowing in between) finds nothing to do.
    """
    now = now or timezone.now()
    expired: list[int] = []
    passed_on: list[int] = []
    book_ids = list(
        Hold.objects.past_pickup_deadline(now)
        .order_by("book_id")
        .values_list("book_id", flat=True)
        .distinct()[:batch]
    )
    for book_id in book_ids:
        with transaction.atomic():
            copies.book_lock(book_id)
            due = list(
                Hold.objects.past_pickup_deadline(now).filter(book_id=book_id).select_for_update()
            )
            for hold in due:
                copies.hold_close(
                    hold, Hold.Status.EXPIRED, now=now, actor=None, reason="Not collected in time"
                )
                following = copies.copy_pass_on(
                    book_id=book_id, now=now, actor=None, reason="Copy freed by an expired hold"
                )
                expired.append(hold.pk)
                if following is not None:
                    passed_on.append(following.pk)
    if expired:
        logger.info("Expired %d holds; %d passed on", len(expired), len(passed_on))
    return ExpiryResult(expired=expired, passed_on=passed_on)
