"""The nightly job anonymises returned loans past retention; every figure but the borrower
ranking stays the same."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from library import selectors
from library.models import ANONYMISED_PATRON_USERNAME, Borrow, Hold
from library.services.privacy import (
    anonymised_patron,
    reading_history_choose,
    returned_loans_anonymise,
)
from library.tasks import anonymise_returned_loans
from reports.selectors import report_build

from ...conftest import client_for
from ...factories import BookFactory, UserFactory
from .conftest import lend_and_return

pytestmark = pytest.mark.django_db

User = get_user_model()


def figures(now):
    """Everything the library reports about its loans, as plain values."""
    period = selectors.Period.from_dates((now - timedelta(days=500)).date(), now.date())
    stats = selectors.borrow_stats(period=period, limit=10)
    report = report_build(now=now)
    report.pop("generated_at")
    return {
        "count": stats.borrowed_count,
        "average_days": stats.average_borrow_duration_days,
        "most_borrowed": [(b.pk, b.borrow_count) for b in stats.most_borrowed_books],
        "per_day": selectors.borrows_per_day(period=period),
        "by_genre": selectors.borrows_by_genre(period=period),
        "report": report,
        "loans_per_book": sorted(
            Borrow.objects.values_list("book_id", "borrow_date", "return_date", "due_date")
        ),
    }


def ranking(now):
    period = selectors.Period.from_dates((now - timedelta(days=500)).date(), now.date())
    return [
        (u.username, u.borrow_count)
        for u in selectors.most_active_borrowers(period=period, limit=10)
    ]


def test_statistics_are_the_same_after_anonymisation_except_the_borrower_ranking(reading, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = 30
    now = timezone.now()
    before, ranking_before = figures(now), ranking(now)

    result = returned_loans_anonymise(now=now)

    assert result.anonymised == 6  # alice 2, bob 2 (one from a hold), carol 2
    assert figures(now) == before
    assert ranking_before == [("alice", 4), ("bob", 3), ("carol", 2)]
    # Only the loans not yet anonymised count; the anonymised patron is nobody.
    assert ranking(now) == [("alice", 2), ("bob", 1)]


def test_only_returned_loans_past_retention_move_to_the_anonymised_patron(reading, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = 30
    loans = reading["loans"]

    returned_loans_anonymise()

    anonymous = User.objects.get(username=ANONYMISED_PATRON_USERNAME)
    moved = {
        name
        for name, loan in loans.items()
        if Borrow.objects.get(pk=loan.pk).user_id == anonymous.pk
    }
    assert moved == {
        "alice_old",
        "alice_by_staff",
        "bob_old",
        "bob_held",
        "carol_old",
        "carol_single",
    }
    # The open loan and the recent returns keep their patron.
    assert Borrow.objects.get(pk=loans["alice_open"].pk).user == reading["alice"]
    assert Borrow.objects.get(pk=loans["bob_recent"].pk).user == reading["bob"]
    # The hold the loan fulfilled went with it.
    assert Hold.objects.get(pk=reading["hold"].pk).user_id == anonymous.pk


def test_history_rows_lose_the_patron_and_keep_the_staff_actor(reading, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = 30
    alice, librarian = reading["alice"], reading["librarian"]
    by_staff = reading["loans"]["alice_by_staff"]
    old = reading["loans"]["alice_old"]

    returned_loans_anonymise()

    anonymous = anonymised_patron()
    for loan in (by_staff, old):
        rows = list(Borrow.history.filter(id=loan.pk))
        assert rows and all(row.user_id == anonymous.pk for row in rows)
    assert {row.history_user_id for row in Borrow.history.filter(id=by_staff.pk)} == {librarian.pk}
    assert {row.history_user_id for row in Borrow.history.filter(id=old.pk)} == {anonymous.pk}
    assert not Borrow.history.filter(id__in=[by_staff.pk, old.pk], history_user=alice).exists()
    hold_rows = Hold.history.filter(id=reading["hold"].pk)
    assert hold_rows and all(row.user_id == anonymous.pk for row in hold_rows)
    assert not hold_rows.filter(history_user=reading["bob"]).exists()


def test_the_library_default_keeps_everything(reading, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = None

    assert returned_loans_anonymise().anonymised == 0
    assert not Borrow.objects.filter(user__username=ANONYMISED_PATRON_USERNAME).exists()


def test_a_patrons_choice_overrides_the_library_setting(reading, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = 30
    reading_history_choose(user=reading["alice"], choice="keep")
    reading_history_choose(user=reading["bob"], choice="forget", forget_after_days=1)

    returned_loans_anonymise()

    assert Borrow.objects.filter(user=reading["alice"]).count() == 4  # kept, all of them
    assert not Borrow.objects.returned().filter(user=reading["bob"]).exists()  # all forgotten
    assert not Borrow.objects.filter(user=reading["carol"]).exists()  # the library's 30 days


def test_a_forgetting_patron_is_anonymised_while_the_library_keeps(reading, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = None
    reading_history_choose(user=reading["bob"], choice="forget", forget_after_days=100)

    assert returned_loans_anonymise().anonymised == 1
    assert set(Borrow.objects.filter(user=reading["bob"]).values_list("pk", flat=True)) == {
        reading["loans"]["bob_recent"].pk,
        reading["loans"]["bob_held"].pk,
    }


def test_running_twice_changes_nothing_more(reading, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = 30
    returned_loans_anonymise()
    snapshot = sorted(Borrow.objects.values_list("pk", "user_id"))

    assert anonymise_returned_loans() == {"anonymised": 0, "batches": 0}
    assert sorted(Borrow.objects.values_list("pk", "user_id")) == snapshot


def test_the_anonymised_patron_is_no_patron_and_cannot_sign_in(reading, settings, api_client):
    settings.LOAN_HISTORY_RETENTION_DAYS = 30
    returned_loans_anonymise()
    anonymous = anonymised_patron()

    assert not anonymous.is_active and not anonymous.has_usable_password()
    assert not User.objects.patrons().filter(pk=anonymous.pk).exists()
    since = timezone.now() - timedelta(days=1000)
    assert not User.objects.active_patrons(since=since).filter(pk=anonymous.pk).exists()
    response = api_client.post(
        "/auth/login/", {"username": ANONYMISED_PATRON_USERNAME, "password": ""}, format="json"
    )
    assert response.status_code == 400


def _loans(count):
    patron = UserFactory()
    book = BookFactory(total_copies=count, available_copies=count)
    for _ in range(count):
        lend_and_return(patron, book, days_ago=100)


def test_queries_per_batch_are_constant(db, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = 30
    anonymised_patron()
    counts = []
    for loans in (2, 4, 6):
        _loans(loans)
        with CaptureQueriesContext(connection) as queries:
            result = returned_loans_anonymise(batch_size=2)
        assert result.batches == loans // 2
        counts.append(len(queries))
    # Each batch costs the same number of queries, however many loans it moves.
    assert counts[1] - counts[0] == counts[2] - counts[1]
    per_batch = counts[1] - counts[0]
    assert per_batch <= 9


def test_the_nightly_job_is_scheduled(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert any(
        entry["task"] == "library.tasks.anonymise_returned_loans" for entry in schedule.values()
    )


def test_a_patron_can_still_read_their_own_unanonymised_loans(reading, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = 30
    returned_loans_anonymise()

    response = client_for(reading["alice"]).get("/borrow/")

    assert response.status_code == 200
    assert response.json()["count"] == 2
