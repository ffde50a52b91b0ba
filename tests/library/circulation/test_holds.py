"""Holds through the services: the queue, trapping on return, pickup, cancelling, expiry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from library import selectors, services
from library.models import Book, Borrow, Hold
from library.services.copies import invariants_broken

from ...factories import BookFactory, BorrowFactory, LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db


def counts(book) -> tuple[int, int]:
    book.refresh_from_db()
    return book.available_copies, book.held_copies


def all_out(copies: int = 1):
    book = BookFactory(total_copies=copies)
    loans = BorrowFactory.create_batch(copies, book=book)
    return book, loans


def test_a_hold_waits_in_line_with_its_position():
    book, _ = all_out()
    first = services.hold_place(user=UserFactory(), book_id=book.pk)
    second = services.hold_place(user=UserFactory(), book_id=book.pk)

    assert first.status == second.status == Hold.Status.WAITING
    assert selectors.position_of(first) == 1
    assert selectors.position_of(second) == 2


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("on_shelf", "copies_available"),
        ("on_loan", "already_borrowed"),
        ("twice", "already_on_hold"),
        ("limit", "hold_limit_reached"),
    ],
)
def test_a_hold_is_refused_by_each_rule(setup, code, settings):
    settings.MAX_OPEN_HOLDS = 2
    patron = UserFactory()
    book, _ = all_out()
    if setup == "on_shelf":
        book = BookFactory(total_copies=2)
    elif setup == "on_loan":
        book = BookFactory(total_copies=1)
        BorrowFactory(book=book, user=patron)
    elif setup == "twice":
        services.hold_place(user=patron, book_id=book.pk)
    elif setup == "limit":
        for _ in range(2):
            other, _ = all_out()
            services.hold_place(user=patron, book_id=other.pk)

    with pytest.raises(services.DomainError) as refused:
        services.hold_place(user=patron, book_id=book.pk)

    assert refused.value.code == code
    assert (
        not Hold.objects.filter(user=patron, book=book).exclude(status=Hold.Status.WAITING).exists()
        or setup == "twice"
    )


def test_a_return_traps_the_copy_for_the_first_waiting_hold():
    book, (loan,) = all_out()
    first = services.hold_place(user=UserFactory(), book_id=book.pk)
    second = services.hold_place(user=UserFactory(), book_id=book.pk)

    result = services.borrow_return(borrow_id=loan.pk, actor=loan.user)

    assert result.trapped_hold.pk == first.pk
    first.refresh_from_db()
    assert first.status == Hold.Status.READY
    assert first.expires_at - first.ready_at == timedelta(days=7)
    second.refresh_from_db()
    assert second.status == Hold.Status.WAITING
    assert selectors.position_of(second) == 1
    assert counts(book) == (0, 1)  # on the hold shelf, not the shelf
    assert invariants_broken(strict=True) == []


def test_only_the_holder_borrows_a_held_copy_and_that_fulfils_the_hold():
    book, (loan,) = all_out()
    holder = UserFactory()
    hold = services.hold_place(user=holder, book_id=book.pk)
    services.borrow_return(borrow_id=loan.pk, actor=loan.user)

    with pytest.raises(services.NoCopiesAvailable):
        services.borrow_create(user=UserFactory(), book_id=book.pk)
    borrow = services.borrow_create(user=holder, book_id=book.pk)

    hold.refresh_from_db()
    assert hold.status == Hold.Status.FULFILLED
    assert hold.borrow_id == borrow.pk
    assert counts(book) == (0, 0)
    assert invariants_broken(strict=True) == []


def test_copies_added_by_staff_serve_the_queue_first():
    book, _ = all_out(2)
    holds = [services.hold_place(user=UserFactory(), book_id=book.pk) for _ in range(2)]

    services.book_update(book_id=book.pk, actor=LibrarianFactory(), total_copies=5)

    assert counts(book) == (1, 2)
    assert {h.status for h in Hold.objects.filter(pk__in=[h.pk for h in holds])} == {"ready"}
    assert invariants_broken(strict=True) == []


def test_cancelling_a_ready_hold_passes_its_copy_to_the_next_or_the_shelf():
    book, (loan,) = all_out()
    first = services.hold_place(user=UserFactory(), book_id=book.pk)
    second = services.hold_place(user=UserFactory(), book_id=book.pk)
    services.borrow_return(borrow_id=loan.pk, actor=loan.user)

    services.hold_cancel(hold_id=first.pk, actor=first.user)
    second.refresh_from_db()
    assert second.status == Hold.Status.READY
    assert counts(book) == (0, 1)

    services.hold_cancel(hold_id=second.pk, actor=second.user)
    assert counts(book) == (1, 0)
    assert invariants_broken(strict=True) == []


def test_a_closed_hold_cannot_be_cancelled_and_someone_elses_is_not_found():
    book, _ = all_out()
    hold = services.hold_place(user=UserFactory(), book_id=book.pk)
    services.hold_cancel(hold_id=hold.pk, actor=hold.user)

    with pytest.raises(services.HoldClosed):
        services.hold_cancel(hold_id=hold.pk, actor=hold.user)
    other = services.hold_place(user=UserFactory(), book_id=book.pk)
    with pytest.raises(services.HoldNotFound):
        services.hold_cancel(hold_id=other.pk, actor=hold.user)


def test_the_expiry_job_expires_uncollected_holds_and_passes_the_copy_on():
    book, (loan,) = all_out()
    first = services.hold_place(user=UserFactory(), book_id=book.pk)
    second = services.hold_place(user=UserFactory(), book_id=book.pk)
    services.borrow_return(borrow_id=loan.pk, actor=loan.user)

    assert services.holds_expire(now=timezone.now()).expired == []  # not yet due
    later = timezone.now() + timedelta(days=8)
    result = services.holds_expire(now=later)

    assert result.expired == [first.pk] and result.passed_on == [second.pk]
    first.refresh_from_db()
    assert first.status == Hold.Status.EXPIRED
    assert counts(book) == (0, 1)
    assert services.holds_expire(now=later).expired == []  # a second run changes nothing
    assert invariants_broken(strict=True) == []


def test_history_records_each_step_of_a_hold_with_who_did_it():
    book, (loan,) = all_out()
    librarian = LibrarianFactory()
    patron = UserFactory()
    hold = services.hold_place(user=patron, book_id=book.pk, actor=librarian)
    services.borrow_return(borrow_id=loan.pk, actor=librarian)
    services.borrow_create(user=patron, book_id=book.pk)

    rows = list(Hold.history.filter(id=hold.pk).order_by("history_date"))
    assert [row.status for row in rows] == ["waiting", "ready", "fulfilled"]
    assert [row.history_user_id for row in rows] == [librarian.pk, librarian.pk, patron.pk]


def test_no_book_is_ever_counted_both_available_and_held():
    book, loans = all_out(3)
    services.hold_place(user=UserFactory(), book_id=book.pk)
    for loan in loans:
        services.borrow_return(borrow_id=loan.pk, actor=loan.user)

    book = Book.objects.get(pk=book.pk)
    assert (book.available_copies, book.held_copies) == (2, 1)
    assert Borrow.objects.open().filter(book=book).count() == 0
