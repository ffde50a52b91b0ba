"""Lending, returning and renewing: the circulation writes the API, the admin and the desk call.

Copies move only through the copy ledger (``services.copies``). Refusals are worded for
whoever asked: "You have 5 books on loan" to a patron, "Alice already has 5 books on loan"
to the librarian lending for her.
"""

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.roles import can_borrow, can_return_any_loan, is_librarian
from backoffice.core.compiled import CompiledQuery
from backoffice.core.errors import DomainError, NotFound
from library.models import Book, Borrow, Hold
from library.selectors.sql import scalar, single_row

from . import copies
from .blocks import block_fields, patron_check_not_blocked
from .catalogue import BookNotFound
from .history import record_actor
from .wording import WordedForWhoAsks, patron_name  # noqa: F401  (re-exported)


class NoCopiesAvailable(DomainError):
    code = "no_copies_available"
    default_detail = "All copies of this book are on loan."

    def __init__(self, held: int = 0):
        super().__init__(
            "All copies of this book are on loan or kept on the hold shelf for other patrons."
            if held
            else None
        )


class AlreadyBorrowed(WordedForWhoAsks):
    code = "already_borrowed"
    patron_text = "You already have this book on loan; return it before borrowing it again."
    staff_text = "{name} already has this book on loan."


class LoanLimitReached(WordedForWhoAsks):
    code = "loan_limit_reached"
    patron_text = "You have {limit} books on loan, the most allowed; return one first."
    staff_text = "{name} already has {limit} books on loan, the most allowed."


class BorrowerNotAllowed(DomainError):
    status_code = 403
    code = "not_allowed_to_borrow"

    def __init__(self, user):
        super().__init__(f"{user.get_username()} may not borrow books.")


class LendingNotAllowed(DomainError):
    status_code = 403
    code = "not_allowed_to_lend"
    default_detail = (
        "Only librarians may act for someone else; leave out `user` to act for yourself."
    )


class UserNotFound(NotFound):
    default_detail = "No such user."


class AlreadyReturned(DomainError):
    code = "already_returned"
    default_detail = "This borrow has already been returned."


class RenewalLimitReached(DomainError):
    code = "renewal_limit_reached"

    def __init__(self, limit: int):
        times = "once" if limit == 1 else f"{limit} times"
        super().__init__(f"This loan has been renewed {times}, the most allowed.")


class WantedByHold(DomainError):
    code = "wanted_by_hold"
    default_detail = (
        "Another patron is waiting for this book and no copy is on the shelf for them, "
        "so the loan cannot be renewed."
    )


class BorrowNotFound(NotFound):
    default_detail = "No such borrow."


def patron_for(*, actor, user_id: int | None):
    """Whom ``actor`` acts for: themself, or (librarians only) the user ``user_id``.

    Anyone else naming another user is refused (403) before that user is looked up, so
    the answer says nothing about which ids exist.
    """
    if user_id is None or user_id == actor.pk:
        return actor
    if not is_librarian(actor):
        raise LendingNotAllowed()
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise UserNotFound()
    return user


def borrow_create(*, user, book_id: int, actor=None, reason: str = "") -> Borrow:
    """Lend one copy of a book to ``user``; ``actor`` (default: ``user``) is who did it.

    A patron with a ready hold on the title gets the copy kept for them and the hold is
    fulfilled, even when the shelf is empty; nobody else can take a held copy. The borrow
    comes back with its book and author.
    """
    actor = actor or user
    for_staff = actor.pk != user.pk
    # Patrons and librarians borrow; auditors and inactive accounts do not, whoever asks.
    if not can_borrow(user):
        raise BorrowerNotAllowed(user)
    with transaction.atomic():
        # Locking the patron's row serialises one patron's borrows, so two parallel
        # requests cannot both pass the loan-limit and already-borrowed checks.
        _patron_lock.rows(user_id=user.pk)
        # The patron's loans and their hold on this title, in one round trip.
        loans = _patron_loans_and_hold.first(user_id=user.pk, book_id=book_id)
        now = timezone.now()
        patron_check_not_blocked(
            user,
            for_staff=for_staff,
            block_reason=loans["block_reason"],
            oldest_due=loans["oldest_due"],
            now=now,
        )
        if loans["of_this_book"]:
            raise AlreadyBorrowed(user, for_staff=for_staff)
        if loans["open"] >= settings.MAX_OPEN_BORROWS:
            raise LoanLimitReached(user, for_staff=for_staff, limit=settings.MAX_OPEN_BORROWS)

        borrow = Borrow(
            user=user,
            book_id=book_id,
            borrow_date=now,
            due_date=now + timedelta(days=settings.LOAN_PERIOD_DAYS),
        )
        if loans["hold_status"] == Hold.Status.READY:
            _borrow_held_copy(borrow, loans["hold_id"], now=now, actor=actor, reason=reason)
        else:
            _borrow_from_shelf(borrow, actor=actor, reason=reason)
            if loans["hold_id"] is not None:
                # A patron who had a hold waiting takes a copy from the shelf (staff put
                # one back): the hold has done its work.
                _fulfil_waiting_hold(loans["hold_id"], borrow, now=now, actor=actor)
        if not Borrow.book.is_cached(borrow):
            # Title, author and genre for the caller's answer, read once here.
            borrow.book = _book_with_author.first(book_id=book_id)
    return borrow


# The statements every borrow runs, compiled once (``backoffice.core.compiled``).
_patron_lock = CompiledQuery(
    lambda user_id: (
        get_user_model().objects.select_for_update().filter(pk=user_id).values("pk").order_by()
    ),
    "user_id",
)


def _patron_loans_and_hold_queryset(user_id, book_id):
    their_hold = Hold.objects.open().filter(user_id=user_id, book_id=book_id)
    return (
        single_row(Borrow.objects.open().filter(user_id=user_id))
        .annotate(
            open=Count("*"),
            of_this_book=Count("id", filter=Q(book_id=book_id)),
            hold_id=Subquery(their_hold.values("pk")[:1]),
            hold_status=Subquery(their_hold.values("status")[:1]),
            **block_fields(user_id),
        )
        .values("open", "of_this_book", "hold_id", "hold_status", "oldest_due", "block_reason")
    )


_patron_loans_and_hold = CompiledQuery(_patron_loans_and_hold_queryset, "user_id", "book_id")
_book_with_author = CompiledQuery(
    lambda book_id: Book.objects.select_related("author").filter(pk=book_id).order_by(),
    "book_id",
)


def _borrow_from_shelf(borrow: Borrow, *, actor, reason: str) -> None:
    with _refused_if_borrowed_in_parallel():
        lent = copies.copy_lend_from_shelf(borrow, actor=actor, reason=reason)
    if not lent:
        held = Book.objects.filter(pk=borrow.book_id).values_list("held_copies", flat=True)
        if not held:
            raise BookNotFound()
        raise NoCopiesAvailable(held[0])


def _borrow_held_copy(borrow: Borrow, hold_id: int, *, now, actor, reason: str) -> None:
    # Under the book's lock the hold is either still ready (and its copy ours) or was just
    # closed by the expiry job or a cancellation, whose copy went on to someone else.
    copies.book_lock(borrow.book_id)
    hold = Hold.objects.select_for_update().get(pk=hold_id)
    if hold.status != Hold.Status.READY:
        _borrow_from_shelf(borrow, actor=actor, reason=reason)
        return
    _borrow_save(borrow, actor, reason or "Hold collected")
    copies.copy_take_held(hold=hold, borrow=borrow, now=now, actor=actor)


def _fulfil_waiting_hold(hold_id: int, borrow: Borrow, *, now, actor) -> None:
    copies.book_lock(borrow.book_id)
    hold = Hold.objects.select_for_update().get(pk=hold_id)
    if hold.status == Hold.Status.WAITING:
        copies.hold_close(
            hold, Hold.Status.FULFILLED, now=now, actor=actor, reason="Borrowed", borrow=borrow
        )


def _borrow_save(borrow: Borrow, actor, reason: str) -> None:
    record_actor(borrow, actor, reason)
    with _refused_if_borrowed_in_parallel():
        borrow.save()


@contextmanager
def _refused_if_borrowed_in_parallel():
    # The loan's INSERT has no savepoint of its own (two round trips saved): when the
    # partial unique index catches a parallel borrow of the same book by the same patron,
    # raising out of the caller's atomic block rolls back the copy taken with the rest.
    try:
        yield
    except IntegrityError:
        raise AlreadyBorrowed() from None


def borrow_create_as(*, actor, book_id: int, user_id: int | None = None) -> Borrow:
    """A borrow ``actor`` asks for: for themself, or (librarians only) for user ``user_id``."""
    user = patron_for(actor=actor, user_id=user_id)
    reason = "" if user.pk == actor.pk else "Lent by a librarian (API)"
    return borrow_create(user=user, book_id=book_id, actor=actor, reason=reason)


def borrow_create_for_patron(*, user, book_id: int, actor, reason: str = "") -> Borrow:
    """A librarian lends a copy to ``user`` at the desk (admin); history records ``actor``."""
    return borrow_create(user=user, book_id=book_id, actor=actor, reason=reason)


def _loan_for_update(borrow_id: int, actor, *, with_blocks: bool = False) -> Borrow:
    # The row lock (PostgreSQL) or the write lock every transaction takes at BEGIN (SQLite,
    # IMMEDIATE mode) queues parallel writes to one loan here; each after the first reads
    # what the first one wrote. Someone else's loan is not found rather than forbidden.
    if can_return_any_loan(actor):
        borrow = _any_loan_for_update[with_blocks].first(borrow_id=borrow_id)
    else:
        borrow = _own_loan_for_update[with_blocks].first(borrow_id=borrow_id, user_id=actor.pk)
    if borrow is None:
        raise BorrowNotFound()
    return borrow


def _loan_for_update_queryset(borrow_id: int, user_id: int | None, *, with_blocks: bool):
    borrows = (
        Borrow.objects.select_for_update(of=("self",))
        .select_related("book__author", "user")
        .filter(pk=borrow_id)
        .order_by()
    )
    if with_blocks:
        # Whether the patron is blocked, in the same round trip (a renewal is refused then).
        fields = block_fields(OuterRef("user_id"))
        borrows = borrows.annotate(
            oldest_due=scalar(
                Borrow.objects.open().filter(user_id=OuterRef("user_id")), fields["oldest_due"]
            ),
            block_reason=fields["block_reason"],
        )
    if user_id is not None:
        borrows = borrows.filter(user_id=user_id)
    return borrows


_any_loan_for_update = {
    with_blocks: CompiledQuery(
        lambda borrow_id, with_blocks=with_blocks: _loan_for_update_queryset(
            borrow_id, None, with_blocks=with_blocks
        ),
        "borrow_id",
    )
    for with_blocks in (False, True)
}
_own_loan_for_update = {
    with_blocks: CompiledQuery(
        lambda borrow_id, user_id, with_blocks=with_blocks: _loan_for_update_queryset(
            borrow_id, user_id, with_blocks=with_blocks
        ),
        "borrow_id",
        "user_id",
    )
    for with_blocks in (False, True)
}


def borrow_return(*, borrow_id: int, actor, reason: str = "") -> Borrow:
    """Close a loan; the copy goes to the first waiting hold of the title, else the shelf.

    Librarians return any loan (``accounts.roles.can_return_any_loan``); patrons only
    their own. The borrow comes back with its book, author and patron loaded, and with
    ``trapped_hold``: the hold the copy was kept for (its patron loaded), or None.
    """
    with transaction.atomic():
        borrow = _loan_for_update(borrow_id, actor)
        if borrow.return_date is not None:
            raise AlreadyReturned()
        now = timezone.now()
        borrow.return_date = max(now, borrow.borrow_date)
        borrow.trapped_hold = copies.copy_return_loan(
            borrow,
            now=now,
            actor=actor,
            reason=reason,
            trap_reason="Copy returned: ready for pickup",
        )
    return borrow


def borrow_renew_check(borrow: Borrow) -> DomainError | None:
    """Why this loan cannot be renewed, as far as the loan itself tells, or None.

    Pure: the desk and the admin show it before anyone clicks. Whether a hold waits for
    the title is for ``borrow_renew`` to read, under the book's lock.
    """
    if borrow.return_date is not None:
        return AlreadyReturned()
    if borrow.renewals >= settings.RENEWALS_ALLOWED:
        return RenewalLimitReached(settings.RENEWALS_ALLOWED)
    return None


def borrow_renew_refuse(borrow: Borrow, *, actor, now) -> None:
    """Raise why ``actor`` may not renew this loan: the loan itself, or its patron blocked.

    ``borrow`` was read with its patron's block fields (``_loan_for_update`` with
    ``with_blocks``, or the several loans of ``borrow_renew_many``).
    """
    refusal = borrow_renew_check(borrow)
    if refusal is not None:
        raise refusal
    patron_check_not_blocked(
        borrow.user,
        for_staff=actor.pk != borrow.user_id,
        block_reason=borrow.block_reason,
        oldest_due=borrow.oldest_due,
        now=now,
    )


def renewed_due_date(borrow: Borrow, now: datetime) -> datetime:
    """One loan period more, from the due date, or from now when the loan is overdue."""
    return max(borrow.due_date, now) + timedelta(days=settings.LOAN_PERIOD_DAYS)


def borrow_renew(*, borrow_id: int, actor, reason: str = "") -> Borrow:
    """Extend a loan by one loan period; the owner or a librarian renews."""
    with transaction.atomic():
        borrow = _loan_for_update(borrow_id, actor, with_blocks=True)
        borrow_renew_refuse(borrow, actor=actor, now=timezone.now())
        # Under the book's lock no hold can be placed between this check and the write: a
        # renewal and a new hold are answered in one order or the other.
        copies.book_lock(borrow.book_id)
        if Hold.objects.waiting().filter(book_id=borrow.book_id).exists():
            raise WantedByHold()
        borrow.due_date = renewed_due_date(borrow, timezone.now())
        borrow.renewals += 1
        record_actor(borrow, actor, reason or "Renewed")
        borrow.save(update_fields=["due_date", "renewals"])
    return borrow
