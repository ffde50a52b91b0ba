"""Real threads racing on PostgreSQL: the counters and the one-open-loan rule hold."""

from collections import Counter

import pytest

from library import services
from library.models import Borrow
from library.services import copies

from ...factories import BookFactory, BorrowFactory, LibrarianFactory, UserFactory
from ..race import race

# serialized_rollback restores the groups made by the data migration after each flush.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_thirty_patrons_race_for_three_copies(require_postgres):
    book = BookFactory(total_copies=3)
    patrons = UserFactory.create_batch(30)

    outcomes = race([lambda p=p: services.borrow_create(user=p, book_id=book.pk) for p in patrons])

    assert outcomes == Counter({"ok": 3, "no_copies_available": 27})
    book.refresh_from_db()
    assert book.available_copies == 0
    assert Borrow.objects.filter(book=book, return_date__isnull=True).count() == 3


def test_one_patron_firing_ten_parallel_borrows_gets_one(require_postgres):
    book = BookFactory(total_copies=10)
    patron = UserFactory()

    outcomes = race([lambda: services.borrow_create(user=patron, book_id=book.pk)] * 10)

    assert outcomes == Counter({"ok": 1, "already_borrowed": 9})
    book.refresh_from_db()
    assert book.available_copies == 9
    assert Borrow.objects.filter(user=patron).count() == 1


def test_ten_parallel_returns_of_one_borrow_count_once(require_postgres):
    book = BookFactory(total_copies=2)
    borrow = BorrowFactory(book=book)
    owner = borrow.user

    outcomes = race([lambda: services.borrow_return(borrow_id=borrow.pk, actor=owner)] * 10)

    assert outcomes == Counter({"ok": 1, "already_returned": 9})
    book.refresh_from_db()
    assert book.available_copies == 2
    borrow.refresh_from_db()
    assert borrow.return_date is not None


def test_a_patron_and_librarians_returning_one_loan_at_once_close_it_once(require_postgres):
    # The patron's return finds the loan by its id and owner, a librarian's by its id
    # alone: two statements, the same row lock and the same check.
    book = BookFactory(total_copies=1)
    borrow = BorrowFactory(book=book)
    owner, librarians = borrow.user, LibrarianFactory.create_batch(4)

    outcomes = race(
        [lambda: services.borrow_return(borrow_id=borrow.pk, actor=owner)] * 4
        + [
            lambda lib=lib: services.borrow_return(borrow_id=borrow.pk, actor=lib)
            for lib in librarians
        ]
    )

    assert outcomes == Counter({"ok": 1, "already_returned": 7})
    book.refresh_from_db()
    assert (book.available_copies, book.held_copies) == (1, 0)
    returns = Borrow.history.filter(id=borrow.pk, history_type="~")
    assert returns.count() == 1
    assert copies.invariants_broken(strict=True) == []


def test_staff_copy_cut_racing_borrows_never_breaks_the_invariant(require_postgres):
    book = BookFactory(total_copies=5)
    librarian = LibrarianFactory()
    patrons = UserFactory.create_batch(8)

    def cut_to_two():
        services.book_update(book_id=book.pk, actor=librarian, total_copies=2)

    outcomes = race(
        [cut_to_two]
        + [lambda p=p: services.borrow_create(user=p, book_id=book.pk) for p in patrons]
    )

    book.refresh_from_db()
    on_loan = Borrow.objects.filter(book=book, return_date__isnull=True).count()
    assert not any(outcome.startswith("unexpected") for outcome in outcomes), outcomes
    # Either the cut won (2 copies, 2 loans) or it came too late and was refused (5 and 5).
    assert (book.total_copies, on_loan) in {(2, 2), (5, 5)}
    assert book.available_copies == book.total_copies - on_loan == 0
    assert outcomes["ok"] == on_loan + (1 if book.total_copies == 2 else 0)
    assert outcomes["invalid"] == (0 if book.total_copies == 2 else 1)
