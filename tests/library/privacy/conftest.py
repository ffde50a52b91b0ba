from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from library import services

from ...factories import BookFactory, LibrarianFactory, UserFactory


def lend_and_return(user, book, *, days_ago: float, actor=None):
    """A loan made and returned through the services ``days_ago`` days ago (history too)."""
    start = timezone.now() - timedelta(days=days_ago)
    with time_machine.travel(start, tick=False):
        loan = services.borrow_create(user=user, book_id=book.pk, actor=actor)
    with time_machine.travel(start + timedelta(days=3), tick=False):
        services.borrow_return(borrow_id=loan.pk, actor=actor or user)
    loan.refresh_from_db()
    return loan


@pytest.fixture
def reading(db):
    """Three patrons' loans over a year, one lent by a librarian, one fulfilling a hold."""
    alice = UserFactory(username="alice", first_name="Alice", last_name="Liddell")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Cratchit")
    carol = UserFactory(username="carol")
    librarian = LibrarianFactory(username="desk")
    books = [BookFactory(title=f"Title {i}", total_copies=2, available_copies=2) for i in range(4)]
    loans = {
        "alice_old": lend_and_return(alice, books[0], days_ago=400),
        "alice_by_staff": lend_and_return(alice, books[1], days_ago=200, actor=librarian),
        "alice_recent": lend_and_return(alice, books[2], days_ago=10),
        "bob_old": lend_and_return(bob, books[0], days_ago=300),
        "bob_recent": lend_and_return(bob, books[1], days_ago=5),
        "carol_old": lend_and_return(carol, books[3], days_ago=100),
    }
    # A hold on a title whose copies are all out, fulfilled when Bob borrows it.
    single = BookFactory(title="Only copy", total_copies=1, available_copies=1)
    start = timezone.now() - timedelta(days=90)
    with time_machine.travel(start, tick=False):
        first = services.borrow_create(user=carol, book_id=single.pk)
        hold = services.hold_place(user=bob, book_id=single.pk)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        services.borrow_return(borrow_id=first.pk, actor=carol)
        held_loan = services.borrow_create(user=bob, book_id=single.pk)
    with time_machine.travel(start + timedelta(days=5), tick=False):
        services.borrow_return(borrow_id=held_loan.pk, actor=bob)
    loans["carol_single"] = first
    loans["bob_held"] = held_loan
    loans["alice_open"] = services.borrow_create(user=alice, book_id=books[3].pk)
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "librarian": librarian,
        "books": books,
        "loans": loans,
        "hold": hold,
    }
