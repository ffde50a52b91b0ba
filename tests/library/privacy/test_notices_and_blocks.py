"""What notices and blocks keep about a patron: exported to them, erased with them, and
anonymised with their loans."""

from datetime import timedelta

import pytest
from django.utils import timezone
from post_office.models import Email

from library import services
from library.models import Notice, PatronBlock
from library.services import blocks
from library.services.privacy import anonymised_patron, patron_erase, returned_loans_anonymise
from library.services.privacy_notices import ERASED_REASON

from ...conftest import client_for
from ...factories import BookFactory, BorrowFactory
from .test_erasure import personal_values, rows_mentioning

pytestmark = pytest.mark.django_db


def overdue_notice_for(user, title: str):
    """An overdue loan of ``user``, told about by the daily run (its mail queued), then
    returned."""
    loan = BorrowFactory(
        user=user,
        book=BookFactory(title=title),
        borrow_date=timezone.now() - timedelta(days=16),
        due_date=timezone.now() - timedelta(days=2),
    )
    services.notices_run()
    notice = Notice.objects.get(borrow=loan)
    assert notice.email is not None and user.email in notice.email.to
    services.borrow_return(borrow_id=loan.pk, actor=user)
    return loan, notice


def test_the_export_lists_the_callers_notices_and_blocks_and_no_one_elses(reading):
    alice, bob, librarian = reading["alice"], reading["bob"], reading["librarian"]
    overdue_notice_for(alice, "The Moonstone")
    overdue_notice_for(bob, "Bleak House")
    block = blocks.block_set(user=alice, reason="Card reported lost", actor=librarian)
    blocks.block_lift(block_id=block.pk, actor=librarian, reason="Card found")

    document = client_for(alice).get("/auth/user/export/").json()

    assert [(n["kind"], n["title"]) for n in document["notices"]["sent"]] == [
        ("overdue", "The Moonstone")
    ]
    assert document["notices"]["courtesy_notices"] is True
    assert document["blocks"] == [
        {
            "reason": "Card reported lost",
            "set_at": document["blocks"][0]["set_at"],
            "set_by": "library staff",
            "lifted_at": document["blocks"][0]["lifted_at"],
            "lift_reason": "Card found",
        }
    ]
    assert "library.notice" not in document["other_records"]
    assert "library.patronblock" not in document["other_records"]


def test_erasure_removes_the_mail_sent_to_the_patron_and_their_blocks_reasons(reading):
    alice, bob, librarian = reading["alice"], reading["bob"], reading["librarian"]
    services.borrow_return(borrow_id=reading["loans"]["alice_open"].pk, actor=alice)
    _, notice = overdue_notice_for(alice, "The Moonstone")
    _, bobs = overdue_notice_for(bob, "Bleak House")
    block = blocks.block_set(
        user=alice, reason=f"{alice.first_name} {alice.last_name} lost her card", actor=librarian
    )
    blocks.block_lift(block_id=block.pk, actor=librarian, reason="Found")
    old = personal_values(alice)
    assert rows_mentioning(old)

    patron_erase(user_id=alice.pk, actor=librarian)

    assert rows_mentioning(old) == []
    assert not Email.objects.filter(pk=notice.email_id).exists()
    notice.refresh_from_db()
    assert notice.user_id == anonymised_patron().pk and notice.email_id is None
    assert PatronBlock.objects.get(pk=block.pk).reason == ERASED_REASON
    # Bob's mail is his own business.
    assert Email.objects.filter(pk=bobs.email_id).exists()


def test_anonymised_loans_take_their_notices_and_drop_their_mail(reading, settings):
    alice = reading["alice"]
    loan, notice = overdue_notice_for(alice, "The Moonstone")
    settings.LOAN_HISTORY_RETENTION_DAYS = 1

    returned_loans_anonymise(now=timezone.now() + timedelta(days=2))

    notice.refresh_from_db()
    loan.refresh_from_db()
    anonymous = anonymised_patron()
    assert loan.user_id == anonymous.pk
    assert notice.user_id == anonymous.pk and notice.email_id is None
    assert not Email.objects.filter(to__icontains=alice.email).exists()
