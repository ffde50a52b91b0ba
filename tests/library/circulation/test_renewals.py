"""Renewals: one more loan period, at most RENEWALS_ALLOWED times, never past a waiting hold."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from library import services
from library.models import Borrow

from ...factories import BookFactory, BorrowFactory, HoldFactory, LibrarianFactory

pytestmark = pytest.mark.django_db


def test_a_renewal_adds_a_loan_period_to_the_due_date(patron, patron_client):
    loan = BorrowFactory(user=patron)
    due = loan.due_date

    response = patron_client.put(f"/borrow/{loan.pk}/renew/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["renewals"], body["renewals_left"]) == (1, 1)
    loan.refresh_from_db()
    assert loan.due_date == due + timedelta(days=14)
    assert loan.renewals == 1


def test_an_overdue_loan_is_renewed_from_now(patron):
    loan = BorrowFactory(
        user=patron,
        borrow_date=timezone.now() - timedelta(days=20),
        due_date=timezone.now() - timedelta(days=6),
    )

    with time_machine.travel(timezone.now(), tick=False):
        renewed = services.borrow_renew(borrow_id=loan.pk, actor=patron)
        assert renewed.due_date == timezone.now() + timedelta(days=14)


def test_the_renewal_limit(patron_client, patron, settings):
    settings.RENEWALS_ALLOWED = 2
    loan = BorrowFactory(user=patron)

    answers = [patron_client.put(f"/borrow/{loan.pk}/renew/") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 409]
    assert answers[2].json()["code"] == "renewal_limit_reached"
    loan.refresh_from_db()
    assert loan.renewals == 2


def test_a_returned_loan_cannot_be_renewed(patron_client, patron):
    loan = BorrowFactory(
        user=patron,
        borrow_date=timezone.now() - timedelta(days=3),
        return_date=timezone.now() - timedelta(days=1),
    )

    response = patron_client.put(f"/borrow/{loan.pk}/renew/")

    assert response.status_code == 409
    assert response.json()["code"] == "already_returned"


def test_a_waiting_hold_stops_a_renewal(patron_client, patron):
    book = BookFactory(total_copies=1)
    loan = BorrowFactory(user=patron, book=book)
    HoldFactory(book=book)

    response = patron_client.put(f"/borrow/{loan.pk}/renew/")

    assert response.status_code == 409
    assert response.json()["code"] == "wanted_by_hold"
    loan.refresh_from_db()
    assert loan.renewals == 0


def test_a_ready_hold_has_its_copy_and_does_not_stop_a_renewal(patron_client, patron):
    book = BookFactory(total_copies=2)
    loan = BorrowFactory(user=patron, book=book)
    HoldFactory(book=book, ready=True)

    assert patron_client.put(f"/borrow/{loan.pk}/renew/").status_code == 200


def test_someone_elses_loan_is_not_found_but_a_librarian_renews_any(patron_client):
    loan = BorrowFactory()
    librarian = LibrarianFactory()

    assert patron_client.put(f"/borrow/{loan.pk}/renew/").status_code == 404
    renewed = services.borrow_renew(borrow_id=loan.pk, actor=librarian, reason="At the desk")

    assert renewed.renewals == 1
    row = Borrow.history.filter(id=loan.pk).latest("history_date")
    assert (row.history_user, row.history_change_reason) == (librarian, "At the desk")


def test_a_renewal_takes_no_body(patron_client, patron):
    loan = BorrowFactory(user=patron)

    response = patron_client.put(f"/borrow/{loan.pk}/renew/", {"days": 30}, format="json")

    assert response.status_code == 400
    loan.refresh_from_db()
    assert loan.renewals == 0


def test_the_pure_check_names_the_refusal_before_anyone_clicks(settings):
    settings.RENEWALS_ALLOWED = 1
    loan = BorrowFactory()
    assert services.borrow_renew_check(loan) is None
    loan.renewals = 1
    assert services.borrow_renew_check(loan).code == "renewal_limit_reached"
    loan.return_date = timezone.now()
    assert services.borrow_renew_check(loan).code == "already_returned"
