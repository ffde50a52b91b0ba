"""Real threads racing on PostgreSQL: holds, returns, renewals and the expiry job.

After every race the ledger's invariants are checked in the database: for every book,
available + held + open loans == total, held copies == ready holds, no hold waits beside a
copy on the shelf, and no patron has two open holds on one title.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from library import services
from library.models import Book, Borrow, Hold
from library.services.copies import invariants_broken

from ...factories import BookFactory, BorrowFactory, HoldFactory, LibrarianFactory, UserFactory
from ..race import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_ledger_consistent():
    assert invariants_broken(strict=True) == []


def queue_key(hold):
    return (hold.placed_at, hold.pk)


def test_twenty_patrons_placing_holds_while_the_last_copies_come_back(require_postgres):
    book = BookFactory(total_copies=5)
    loans = BorrowFactory.create_batch(5, book=book)
    already_waiting = [HoldFactory(book=book) for _ in range(3)]
    librarian = LibrarianFactory()
    racers = UserFactory.create_batch(20)

    outcomes = race(
        [lambda b=b: services.borrow_return(borrow_id=b.pk, actor=librarian) for b in loans]
        + [lambda p=p: services.hold_place(user=p, book_id=book.pk) for p in racers]
    )

    assert not [o for o in outcomes if o.startswith("unexpected")], outcomes
    placed = Hold.objects.filter(book=book, user__in=racers).count()
    # Five returns, and each racer either joined the queue or met a copy on the shelf.
    assert outcomes == Counter({"ok": 5 + placed, "copies_available": 20 - placed})
    book.refresh_from_db()
    holds = sorted(Hold.objects.filter(book=book), key=queue_key)
    ready = [h for h in holds if h.status == Hold.Status.READY]
    waiting = [h for h in holds if h.status == Hold.Status.WAITING]
    # Every returned copy trapped exactly one hold or, with nobody left in line, reached the
    # shelf: first the three that were waiting, in their order, then the earliest racers.
    assert book.held_copies == len(ready) and book.held_copies + book.available_copies == 5
    assert [h.pk for h in ready[:3]] == [h.pk for h in already_waiting]
    assert holds[: len(ready)] == ready  # the served holds are the front of the queue
    assert not (waiting and book.available_copies)  # never a hold beside a copy
    assert_ledger_consistent()


def test_a_hold_placed_during_a_return_is_never_left_waiting_beside_a_copy(require_postgres):
    seen = Counter()
    for _ in range(15):
        book = BookFactory(total_copies=1)
        loan = BorrowFactory(book=book)
        patron = UserFactory()

        outcomes = race(
            [
                lambda loan=loan: services.borrow_return(borrow_id=loan.pk, actor=loan.user),
                lambda p=patron, b=book: services.hold_place(user=p, book_id=b.pk),
            ]
        )

        book.refresh_from_db()
        hold = Hold.objects.filter(book=book, user=patron).first()
        if hold is None:
            # The return went first: the copy is on the shelf, the hold was refused.
            assert outcomes == Counter({"ok": 1, "copies_available": 1})
            assert (book.available_copies, book.held_copies) == (1, 0)
            seen["return first"] += 1
        else:
            # The hold went first: the returned copy was trapped for it.
            assert outcomes == Counter({"ok": 2})
            assert hold.status == Hold.Status.READY
            assert (book.available_copies, book.held_copies) == (0, 1)
            seen["hold first"] += 1
        assert_ledger_consistent()
    assert sum(seen.values()) == 15


def test_the_holder_borrowing_races_the_expiry_job_and_exactly_one_wins(require_postgres):
    for _ in range(10):
        book = BookFactory(total_copies=1)
        hold = HoldFactory(book=book, ready=True)
        following = HoldFactory(book=book)  # gets the copy if the hold expires first
        # Past the deadline: the job may expire it, and the holder may still collect it.
        Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

        outcomes = race(
            [
                lambda h=hold, b=book: services.borrow_create(user=h.user, book_id=b.pk),
                services.holds_expire,
            ]
        )

        assert not [o for o in outcomes if o.startswith("unexpected")], outcomes
        hold.refresh_from_db()
        following.refresh_from_db()
        book.refresh_from_db()
        if hold.status == Hold.Status.FULFILLED:
            assert outcomes == Counter({"ok": 2})
            assert Borrow.objects.open().filter(user=hold.user, book=book).count() == 1
            assert following.status == Hold.Status.WAITING
            assert (book.available_copies, book.held_copies) == (0, 0)
        else:
            assert hold.status == Hold.Status.EXPIRED
            assert outcomes == Counter({"ok": 1, "no_copies_available": 1})
            assert not Borrow.objects.filter(user=hold.user, book=book).exists()
            assert following.status == Hold.Status.READY
            assert (book.available_copies, book.held_copies) == (0, 1)
        assert_ledger_consistent()


def test_two_expiry_jobs_at_once_expire_each_hold_once(require_postgres):
    books = BookFactory.create_batch(4, total_copies=1)
    holds = [HoldFactory(book=book, ready=True) for book in books]
    Hold.objects.filter(pk__in=[h.pk for h in holds]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    results = []

    outcomes = race([lambda: results.append(services.holds_expire())] * 2)

    assert outcomes == Counter({"ok": 2})
    assert sorted(pk for result in results for pk in result.expired) == sorted(h.pk for h in holds)
    assert Hold.objects.filter(status=Hold.Status.EXPIRED).count() == 4
    assert Book.objects.filter(pk__in=[b.pk for b in books], available_copies=1).count() == 4
    assert_ledger_consistent()


def test_parallel_renewals_never_exceed_the_limit(require_postgres, settings):
    settings.RENEWALS_ALLOWED = 2
    loan = BorrowFactory()

    outcomes = race([lambda: services.borrow_renew(borrow_id=loan.pk, actor=loan.user)] * 10)

    assert outcomes == Counter({"ok": 2, "renewal_limit_reached": 8})
    loan.refresh_from_db()
    assert loan.renewals == 2
    assert Borrow.history.filter(id=loan.pk, history_change_reason="Renewed").count() == 2
    assert_ledger_consistent()


def test_a_renewal_racing_a_new_hold_gets_a_consistent_answer(require_postgres):
    seen = Counter()
    for _ in range(15):
        book = BookFactory(total_copies=1)
        loan = BorrowFactory(book=book)
        patron = UserFactory()

        outcomes = race(
            [
                lambda loan=loan: services.borrow_renew(borrow_id=loan.pk, actor=loan.user),
                lambda p=patron, b=book: services.hold_place(user=p, book_id=b.pk),
            ]
        )

        loan.refresh_from_db()
        assert Hold.objects.filter(book=book, user=patron, status="waiting").count() == 1
        # Either the renewal came first (renewed, then the hold joined the queue) or the
        # hold did (renewal refused): never a renewal granted after the hold was placed.
        assert outcomes in (Counter({"ok": 2}), Counter({"ok": 1, "wanted_by_hold": 1}))
        assert loan.renewals == (1 if outcomes["ok"] == 2 else 0)
        seen[outcomes["ok"]] += 1
        assert_ledger_consistent()
    assert sum(seen.values()) == 15


def test_cancelling_a_ready_hold_racing_a_return_keeps_the_counts(require_postgres):
    book = BookFactory(total_copies=2)
    loan = BorrowFactory(book=book)
    ready = HoldFactory(book=book, ready=True)
    HoldFactory.create_batch(3, book=book)

    outcomes = race(
        [
            lambda: services.hold_cancel(hold_id=ready.pk, actor=ready.user),
            lambda: services.borrow_return(borrow_id=loan.pk, actor=loan.user),
        ]
    )

    assert outcomes == Counter({"ok": 2})
    book.refresh_from_db()
    # Two copies, both now on the hold shelf for the first two of the three waiting.
    assert (book.available_copies, book.held_copies) == (0, 2)
    assert Hold.objects.waiting().filter(book=book).count() == 1
    assert_ledger_consistent()


def test_staff_adding_copies_while_patrons_queue_serves_the_queue_first(require_postgres):
    book = BookFactory(total_copies=2)
    BorrowFactory.create_batch(2, book=book)
    HoldFactory.create_batch(2, book=book)
    librarian = LibrarianFactory()
    racers = UserFactory.create_batch(6)

    outcomes = race(
        [lambda: services.book_update(book_id=book.pk, actor=librarian, total_copies=5)]
        + [lambda p=p: services.hold_place(user=p, book_id=book.pk) for p in racers]
    )

    assert not [o for o in outcomes if o.startswith("unexpected")], outcomes
    book.refresh_from_db()
    assert book.total_copies == 5
    assert book.held_copies + book.available_copies == 3
    assert book.held_copies == Hold.objects.ready().filter(book=book).count() >= 2
    assert_ledger_consistent()
