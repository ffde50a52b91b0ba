"""Real threads racing on PostgreSQL: the counters and the one-open-loan rule hold."""

import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from backoffice.core.errors import DomainError
from library import services
from library.models import Borrow

from ...factories import BookFactory, BorrowFactory, LibrarianFactory, UserFactory

# serialized_rollback restores the groups made by the data migration after each flush.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(calls) -> Counter:
    """Start every call at the same instant, each on its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait(timeout=30)
            call()
            outcome = "ok"
        except DomainError as error:
            outcome = error.code
        except ValidationError:
            outcome = "invalid"
        except Exception as error:  # noqa: BLE001 - any other failure must show in the tally
            outcome = f"unexpected {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(outcomes)


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
