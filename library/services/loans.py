"""Lending and returning: the circulation writes the API, the admin and the desk call."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.roles import can_borrow, can_return_any_loan, is_librarian
from backoffice.core.errors import DomainError, NotFound
from library.models import Book, Borrow

from .catalogue import BookNotFound
from .history import record_actor


class NoCopiesAvailable(DomainError):
    code = "no_copies_available"
    default_detail = "All copies of this book are on loan."


class AlreadyBorrowed(DomainError):
    code = "already_borrowed"
    default_detail = "You already have this book on loan; return it before borrowing it again."


class LoanLimitReached(DomainError):
    code = "loan_limit_reached"

    def __init__(self, limit: int):
        super().__init__(f"You have {limit} books on loan, the most allowed; return one first.")


class BorrowerNotAllowed(DomainError):
    status_code = 403
    code = "not_allowed_to_borrow"

    def __init__(self, user):
        super().__init__(f"{user.get_username()} may not borrow books.")


class LendingNotAllowed(DomainError):
    status_code = 403
    code = "not_allowed_to_lend"
    default_detail = (
        "Only librarians may lend a book to someone else; leave out `user` to borrow it yourself."
    )


class UserNotFound(NotFound):
    default_detail = "No such user."


class AlreadyReturned(DomainError):
    code = "already_returned"
    default_detail = "This borrow has already been returned."


class BorrowNotFound(NotFound):
    default_detail = "No such borrow."


def borrow_create(*, user, book_id: int) -> Borrow:
    """Lend one copy of a book to ``user``; the borrow comes with its book and author."""
    return _borrow_open(user=user, book_id=book_id, actor=user)


def borrow_create_for_patron(*, user, book_id: int, actor, reason: str = "") -> Borrow:
    """A librarian lends a copy to ``user`` at the desk (admin); history records ``actor``."""
    return _borrow_open(user=user, book_id=book_id, actor=actor, reason=reason)


def borrow_create_as(*, actor, book_id: int, user_id: int | None = None) -> Borrow:
    """A borrow ``actor`` asks for: for themself, or (librarians only) for user ``user_id``.

    Anyone else naming another user is refused (403) before that user is looked up, so
    the answer says nothing about which ids exist.
    """
    if user_id is None or user_id == actor.pk:
        return borrow_create(user=actor, book_id=book_id)
    if not is_librarian(actor):
        raise LendingNotAllowed()
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise UserNotFound()
    return borrow_create_for_patron(
        user=user, book_id=book_id, actor=actor, reason="Lent by a librarian (API)"
    )


def _borrow_open(*, user, book_id: int, actor, reason: str = "") -> Borrow:
    # Patrons and librarians borrow; auditors and inactive accounts do not, whoever asks.
    if not can_borrow(user):
        raise BorrowerNotAllowed(user)
    with transaction.atomic():
        # Locking the patron's row serialises one patron's borrows, so two parallel
        # requests cannot both pass the loan-limit and already-borrowed checks.
        get_user_model().objects.select_for_update().filter(pk=user.pk).values("pk").first()
        loans = (
            Borrow.objects.open()
            .filter(user_id=user.pk)
            .aggregate(open=Count("id"), of_this_book=Count("id", filter=Q(book_id=book_id)))
        )
        if loans["of_this_book"]:
            raise AlreadyBorrowed()
        if loans["open"] >= settings.MAX_OPEN_BORROWS:
            raise LoanLimitReached(settings.MAX_OPEN_BORROWS)

        # One conditional UPDATE: of N concurrent borrowers of the last copy, exactly one
        # sees a row updated; the rest see 0 and are refused.
        taken = Book.objects.filter(pk=book_id, available_copies__gt=0).update(
            available_copies=F("available_copies") - 1
        )
        if not taken:
            if not Book.objects.filter(pk=book_id).exists():
                raise BookNotFound()
            raise NoCopiesAvailable()

        now = timezone.now()
        borrow = Borrow(
            user=user,
            # Title, author and genre for the caller's answer, read once here.
            book=Book.objects.select_related("author").get(pk=book_id),
            borrow_date=now,
            due_date=now + timedelta(days=settings.LOAN_PERIOD_DAYS),
        )
        record_actor(borrow, actor, reason)
        try:
            borrow.save()
        except IntegrityError:
            # The partial unique index caught a parallel borrow of the same book. Raising
            # out of the atomic block rolls back our decrement with the whole transaction.
            raise AlreadyBorrowed() from None
    return borrow


def borrow_return(*, borrow_id: int, actor, reason: str = "") -> Borrow:
    """Close a loan and put the copy back on the shelf.

    Librarians return any loan (``accounts.roles.can_return_any_loan``); patrons only
    their own, and someone else's borrow is reported as not found rather than forbidden.
    The borrow comes back with its book, author and patron loaded.
    """
    with transaction.atomic():
        # The row lock (PostgreSQL) or the write lock that every transaction takes at
        # BEGIN (SQLite, IMMEDIATE mode) makes parallel returns of one borrow queue here;
        # each one after the first reads the return_date the first one wrote.
        borrows = (
            Borrow.objects.select_for_update(of=("self",))
            .select_related("book__author", "user")
            .filter(pk=borrow_id)
        )
        if not can_return_any_loan(actor):
            borrows = borrows.filter(user_id=actor.pk)
        borrow = borrows.first()
        if borrow is None:
            raise BorrowNotFound()
        if borrow.return_date is not None:
            raise AlreadyReturned()
        borrow.return_date = max(timezone.now(), borrow.borrow_date)
        record_actor(borrow, actor, reason)
        borrow.save(update_fields=["return_date"])
        Book.objects.filter(pk=borrow.book_id).update(available_copies=F("available_copies") + 1)
    return borrow
