"""Real threads on PostgreSQL: notices runs side by side, and with returns and pickups.

Whatever the interleaving, each (kind, item, stage) is told once, each patron gets one
mail per kind, each mail is delivered once, and no mail is built for a loan returned or a
hold collected before the run reached it.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from post_office.models import STATUS, Email

from backoffice.core.mail import mail_deliver
from library import services
from library.models import Borrow, Hold, Notice
from library.services import copies

from ...factories import BookFactory, BorrowFactory, HoldFactory, UserFactory
from ..race import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def quiet_hold_ready(monkeypatch):
    # Holds made ready while setting up are left for the runs under test to tell.
    monkeypatch.setattr(copies, "hold_ready_after_commit", lambda hold_id: None)


def library_of(patrons: int):
    now = timezone.now()
    people = UserFactory.create_batch(patrons)
    for patron in people:
        for days in (2, 3):
            BorrowFactory(
                user=patron,
                borrow_date=now - timedelta(days=12),
                due_date=now + timedelta(days=days),
            )
        BorrowFactory(
            user=patron, borrow_date=now - timedelta(days=20), due_date=now - timedelta(days=2)
        )
        HoldFactory(user=patron, ready=True)
    return people


def test_two_runs_at_once_tell_each_item_once_in_one_mail_per_patron_and_kind(
    require_postgres, quiet_hold_ready, smtp_server
):
    people = library_of(12)

    outcomes = race([lambda: services.notices_run(batch=5) for _ in range(2)])
    assert outcomes == Counter({"ok": 2})
    services.notices_run()  # a third, after: nothing is left to say

    kinds = Counter(Notice.objects.values_list("kind", flat=True))
    assert kinds == Counter({"due_soon": 24, "overdue": 12, "hold_ready": 12})
    per_patron = Counter(
        (n.user_id, n.kind) for n in Notice.objects.all().distinct("email_id").order_by("email_id")
    )
    assert set(per_patron.values()) == {1}
    assert len(per_patron) == 12 * 3

    delivered = race([mail_deliver for _ in range(3)])
    assert delivered == Counter({"ok": 3})
    assert len(smtp_server.messages) == 36
    assert Counter(tuple(m.recipients) for m in smtp_server.messages) == Counter(
        {(p.email,): 3 for p in people}
    )
    assert not Email.objects.exclude(status=STATUS.sent).exists()


def test_returns_during_two_runs_never_get_a_mail_built_after_them(
    require_postgres, quiet_hold_ready
):
    for _ in range(3):
        Notice.objects.all().delete()
        Email.objects.all().delete()
        Borrow.objects.update(return_date=timezone.now())
        now = timezone.now()
        loans = [
            BorrowFactory(borrow_date=now - timedelta(days=20), due_date=now - timedelta(days=1))
            for _ in range(16)
        ]

        outcomes = race(
            [lambda: services.notices_run(batch=3) for _ in range(2)]
            + [
                lambda loan=loan: services.borrow_return(borrow_id=loan.pk, actor=loan.user)
                for loan in loans[::2]
            ]
        )

        assert outcomes == Counter({"ok": 2 + 8}), outcomes
        for notice in Notice.objects.select_related("borrow", "email"):
            returned = notice.borrow.return_date
            # Built while the loan was open: any return came after, waiting for the run.
            assert returned is None or returned > notice.email.created
        assert Notice.objects.values("borrow_id").distinct().count() == Notice.objects.count()


def test_a_loan_being_returned_is_skipped_and_never_told_once_returned(require_postgres):
    now = timezone.now()
    loan = BorrowFactory(borrow_date=now - timedelta(days=20), due_date=now - timedelta(days=1))
    other = BorrowFactory(borrow_date=now - timedelta(days=20), due_date=now - timedelta(days=1))
    locked, release = threading.Event(), threading.Event()

    def return_slowly():
        try:
            with transaction.atomic():
                Borrow.objects.select_for_update().get(pk=loan.pk)
                locked.set()
                release.wait(timeout=30)
                Borrow.objects.filter(pk=loan.pk).update(return_date=timezone.now())
        finally:
            connection.close()

    returning = threading.Thread(target=return_slowly)
    returning.start()
    assert locked.wait(timeout=30)
    try:
        services.notices_run()
    finally:
        release.set()
        returning.join(timeout=30)
    services.notices_run()

    assert list(Notice.objects.values_list("borrow_id", flat=True)) == [other.pk]


def test_a_hold_collected_while_the_runs_race_is_told_only_if_ready_when_reached(
    require_postgres, quiet_hold_ready
):
    holds = [HoldFactory(ready=True, book=BookFactory(total_copies=1)) for _ in range(10)]

    outcomes = race(
        [lambda: services.notices_hold_ready() for _ in range(2)]
        + [lambda h=h: services.borrow_create(user=h.user, book_id=h.book_id) for h in holds[:5]]
    )

    assert outcomes == Counter({"ok": 2 + 5}), outcomes
    for notice in Notice.objects.select_related("hold", "email"):
        if notice.hold.status == Hold.Status.FULFILLED:
            # The pickup was written (history's clock: after its locks) after the mail.
            collected = notice.hold.history.filter(status=Hold.Status.FULFILLED).get()
            assert collected.history_date > notice.email.created
    assert Notice.objects.count() == Notice.objects.values("hold_id").distinct().count()
    services.notices_hold_ready()
    told = set(Notice.objects.values_list("hold_id", flat=True))
    assert {h.pk for h in holds[5:]} <= told
