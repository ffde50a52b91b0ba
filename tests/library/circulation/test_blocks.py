"""Blocked patrons may not borrow, renew or place holds; returning is always allowed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from library import selectors, services
from library.models import PatronBlock

from ...conftest import client_for
from ...factories import BookFactory, BorrowFactory, LibrarianFactory, UserFactory
from ...folded import saved_by_lending

pytestmark = pytest.mark.django_db


def overdue_loan(patron, days: float):
    now = timezone.now()
    return BorrowFactory(
        user=patron,
        borrow_date=now - timedelta(days=days + 14),
        due_date=now - timedelta(days=days),
    )


def blocked_patron():
    patron = UserFactory()
    services.block_set(user=patron, reason="Damaged three books", actor=LibrarianFactory())
    return patron


def test_a_manually_blocked_patron_cannot_borrow_renew_or_hold_and_is_told_why():
    patron = UserFactory()
    loan = BorrowFactory(user=patron)
    services.block_set(user=patron, reason="Damaged three books", actor=LibrarianFactory())
    client = client_for(patron)
    shelf = BookFactory()
    gone = BookFactory(total_copies=1)
    BorrowFactory(book=gone)

    answers = [
        client.post("/borrow/", {"book": shelf.pk}, format="json"),
        client.put(f"/borrow/{loan.pk}/renew/"),
        client.post("/holds/", {"book": gone.pk}, format="json"),
    ]

    for answer in answers:
        assert answer.status_code == 409, answer.content
        assert answer.json() == {
            "code": "patron_blocked",
            "detail": "You may not borrow, renew or place holds: a librarian blocked the "
            "account (Damaged three books).",
        }
    loan.refresh_from_db()
    assert loan.renewals == 0
    assert patron.borrows.count() == 1 and not patron.holds.exists()
    # Returning is always allowed.
    assert client.put(f"/borrow/{loan.pk}/return/").status_code == 200


def test_a_loan_more_than_28_days_overdue_blocks_and_returning_it_unblocks():
    patron = UserFactory()
    late = overdue_loan(patron, 29)
    client = client_for(patron)
    book = BookFactory()

    refused = client.post("/borrow/", {"book": book.pk}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "patron_blocked"
    assert "more than 28 days overdue" in refused.json()["detail"]
    assert client.put(f"/borrow/{late.pk}/renew/").json()["code"] == "patron_blocked"

    assert client.put(f"/borrow/{late.pk}/return/").status_code == 200
    assert client.post("/borrow/", {"book": book.pk}, format="json").status_code == 201


def test_27_days_overdue_does_not_block(settings):
    patron = UserFactory()
    overdue_loan(patron, 27)
    assert services.borrow_create(user=patron, book_id=BookFactory().pk).pk
    settings.BLOCK_AFTER_OVERDUE_DAYS = 20
    with pytest.raises(services.PatronBlocked):
        services.borrow_create(user=patron, book_id=BookFactory().pk)


def test_a_librarian_lending_for_a_blocked_patron_is_told_whose_block():
    patron = blocked_patron()
    patron.first_name, patron.last_name = "Alice", "Smith"
    patron.save()
    librarian = LibrarianFactory()

    answer = client_for(librarian).post(
        "/borrow/", {"book": BookFactory().pk, "user": patron.pk}, format="json"
    )

    assert answer.status_code == 409
    assert answer.json()["detail"].startswith("Alice Smith may not borrow, renew or place holds")


def test_lifting_a_block_lets_the_patron_borrow_and_keeps_who_and_why():
    patron = blocked_patron()
    librarian = LibrarianFactory()
    block = PatronBlock.objects.get(user=patron)

    services.block_lift(block_id=block.pk, actor=librarian, reason="Paid for the books")

    assert services.borrow_create(user=patron, book_id=BookFactory().pk).pk
    block.refresh_from_db()
    assert (block.lifted_by, block.lift_reason) == (librarian, "Paid for the books")
    history = list(block.history.order_by("history_date"))
    assert [h.history_change_reason for h in history] == ["Blocked", "Lifted"]
    assert history[-1].history_user == librarian
    with pytest.raises(services.BlockLifted):
        services.block_lift(block_id=block.pk, actor=librarian, reason="again")


def test_a_block_needs_a_reason_and_only_one_is_active_at_a_time():
    patron = UserFactory()
    librarian = LibrarianFactory()
    with pytest.raises(services.BlockReasonRequired):
        services.block_set(user=patron, reason="  ", actor=librarian)
    services.block_set(user=patron, reason="Lost card", actor=librarian)
    with pytest.raises(services.AlreadyBlocked):
        services.block_set(user=patron, reason="Other", actor=librarian)


def test_blocks_of_lists_every_reason_for_the_desk():
    patron = UserFactory()
    assert selectors.blocks_of(patron) == []
    overdue_loan(patron, 40)
    services.block_set(user=patron, reason="Lost card", actor=LibrarianFactory())

    reasons = selectors.blocks_of(patron)

    assert reasons[0] == "a librarian blocked the account (Lost card)."
    assert "more than 28 days overdue" in reasons[1]


@pytest.mark.parametrize("blocked", [False, True])
def test_the_block_check_costs_no_query_of_its_own(blocked, django_assert_num_queries):
    # The same counts as before blocks existed: the check rides in queries already made.
    patron = blocked_patron() if blocked else UserFactory()
    if blocked:
        PatronBlock.objects.update(lifted_at=timezone.now())
    loan = BorrowFactory(user=patron)
    book = BookFactory()
    gone = BookFactory(total_copies=1)
    BorrowFactory(book=gone)

    with django_assert_num_queries(BORROW_QUERIES - saved_by_lending()):
        services.borrow_create(user=patron, book_id=book.pk)
    with django_assert_num_queries(RENEW_QUERIES):
        services.borrow_renew(borrow_id=loan.pk, actor=patron)
    with django_assert_num_queries(HOLD_QUERIES):
        services.hold_place(user=patron, book_id=gone.pk)


# Measured on the code before blocks (SQLite and PostgreSQL alike).
BORROW_QUERIES, RENEW_QUERIES, HOLD_QUERIES = 8, 7, 11
