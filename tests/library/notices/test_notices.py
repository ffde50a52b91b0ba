"""The notices run: what each patron receives over SMTP, once, and only while it is true."""

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from post_office.models import STATUS, Email

from backoffice.core.mail import mail_deliver
from library import services
from library.models import Borrow, Hold, Notice, PatronPreferences
from library.services.notices import day_start, library_today

from ...factories import AuthorFactory, BookFactory, BorrowFactory, HoldFactory, UserFactory
from ...smtp import Mailbox

pytestmark = pytest.mark.django_db


def due_in(days: float, **kwargs) -> Borrow:
    now = timezone.now()
    return BorrowFactory(
        borrow_date=now - timedelta(days=14), due_date=now + timedelta(days=days), **kwargs
    )


def run_and_deliver(now=None, **kwargs):
    result = services.notices_run(now=now, **kwargs)
    mail_deliver()
    return result


def local_day(value) -> str:
    return f"{timezone.localtime(value):%A} {timezone.localtime(value).day} " + (
        f"{timezone.localtime(value):%B %Y}"
    )


def test_a_loan_due_in_two_days_gets_one_courtesy_mail_naming_book_and_date(smtp_server):
    author = AuthorFactory(name="Jane Austen")
    loan = due_in(2, book=BookFactory(title="Pride & Prejudice", author=author))

    run_and_deliver()
    run_and_deliver()  # the next run has nothing more to say

    [message] = smtp_server.messages
    assert message.recipients == [loan.user.email]
    assert message.subject == f"“Pride & Prejudice” is due back {local_day(loan.due_date)[:-5]}"
    assert "“Pride & Prejudice” by Jane Austen" in message.text  # not &amp; in plain text
    assert f"due {local_day(loan.due_date)}" in message.text
    assert "Pride &amp; Prejudice" in message.html
    notice = Notice.objects.get()
    assert (notice.kind, notice.stage, notice.borrow_id) == ("due_soon", 3, loan.pk)
    notice.email.refresh_from_db()
    assert notice.email.status == STATUS.sent


def test_one_mail_per_patron_lists_all_their_items_of_that_kind(smtp_server):
    alice, bob = UserFactory(), UserFactory()
    first = due_in(1, user=alice, book=BookFactory(title="Emma"))
    second = due_in(3, user=alice, book=BookFactory(title="Persuasion"))
    due_in(2, user=bob, book=BookFactory(title="Dracula"))
    due_in(10, user=bob, book=BookFactory(title="Not Yet"))

    run_and_deliver()

    [to_alice] = smtp_server.to(alice.email)
    [to_bob] = smtp_server.to(bob.email)
    assert to_alice.subject == "2 books are due back soon"
    for loan in (first, second):
        assert (
            f"“{loan.book.title}” by {loan.book.author.name}, due {local_day(loan.due_date)}"
            in (to_alice.text)
        )
    assert "Dracula" in to_bob.text and "Not Yet" not in to_bob.text
    assert Notice.objects.filter(email=Notice.objects.get(borrow=first).email).count() == 2


def test_overdue_notices_at_one_seven_and_fourteen_days_each_once(smtp_server):
    now = timezone.now()
    # Due at noon on the library's yesterday: one calendar day overdue at any hour of today.
    yesterday_noon = day_start(library_today(now) - timedelta(days=1)) + timedelta(hours=12)
    loan = BorrowFactory(borrow_date=now - timedelta(days=20), due_date=yesterday_noon)

    for day in range(0, 20):
        run_and_deliver(now=now + timedelta(days=day))

    stages = list(
        Notice.objects.filter(borrow=loan).order_by("stage").values_list("stage", flat=True)
    )
    assert stages == [1, 7, 14]
    assert [m.subject for m in smtp_server.messages] == [f"Overdue: “{loan.book.title}”"] * 3
    assert "(1 day overdue)" in smtp_server.messages[0].text
    assert "(7 days overdue)" in smtp_server.messages[1].text
    assert "(14 days overdue)" in smtp_server.messages[2].text


def test_a_loan_first_seen_eight_days_overdue_gets_the_seven_day_notice_only(smtp_server):
    now = timezone.now()
    BorrowFactory(borrow_date=now - timedelta(days=30), due_date=now - timedelta(days=8))

    run_and_deliver()
    run_and_deliver()

    assert list(Notice.objects.values_list("kind", "stage")) == [("overdue", 7)]
    assert len(smtp_server.messages) == 1


def test_returned_loans_and_renewed_due_dates_are_not_told(smtp_server):
    returned = due_in(2)
    services.borrow_return(borrow_id=returned.pk, actor=returned.user)

    run_and_deliver()

    assert smtp_server.messages == []
    assert not Notice.objects.exists()


def test_a_renewed_loan_starts_its_stages_again(smtp_server):
    now = timezone.now()
    loan = BorrowFactory(borrow_date=now - timedelta(days=20), due_date=now - timedelta(days=2))
    run_and_deliver()
    services.borrow_renew(borrow_id=loan.pk, actor=loan.user)
    loan.refresh_from_db()

    run_and_deliver(now=loan.due_date + timedelta(days=1, hours=1))

    assert sorted(Notice.objects.values_list("stage", "round")) == [(1, 0), (1, 1)]


def test_patrons_who_opted_out_get_no_courtesy_mail_but_still_overdue_ones(smtp_server):
    patron = UserFactory()
    PatronPreferences.objects.create(user=patron, courtesy_notices=False)
    due_in(2, user=patron)
    overdue = due_in(-2, user=patron)

    run_and_deliver()

    [message] = smtp_server.to(patron.email)
    assert message.subject == f"Overdue: “{overdue.book.title}”"


def test_a_patron_without_an_address_is_logged_for_a_phone_call(smtp_server):
    patron = UserFactory(email="")
    loan = due_in(-3, user=patron)

    result = run_and_deliver()
    run_and_deliver()

    assert smtp_server.messages == []
    notice = Notice.objects.get()
    assert (notice.status, notice.email_id, notice.borrow_id) == ("no_address", None, loan.pk)
    assert result.no_address == {"overdue": 1}


def test_the_hold_ready_mail_is_queued_when_the_return_commits(
    smtp_server, django_capture_on_commit_callbacks
):
    book = BookFactory(title="Middlemarch", total_copies=1)
    loan = BorrowFactory(book=book)
    hold = HoldFactory(book=book)

    with django_capture_on_commit_callbacks(execute=True):
        services.borrow_return(borrow_id=loan.pk, actor=loan.user)
    assert smtp_server.messages == []  # queued, not yet delivered
    mail_deliver()

    hold.refresh_from_db()
    [message] = smtp_server.to(hold.user.email)
    assert message.subject == "“Middlemarch” is waiting for you"
    expires = timezone.localtime(hold.expires_at)
    assert f"kept for you until {local_day(expires)}, {expires:%H:%M}" in message.text
    run_and_deliver()  # the daily run does not tell it again
    assert len(smtp_server.messages) == 1


def test_a_hold_collected_before_the_run_is_not_told_about(smtp_server):
    hold = HoldFactory(ready=True)
    services.borrow_create(user=hold.user, book_id=hold.book_id)

    run_and_deliver()

    hold.refresh_from_db()
    assert hold.status == Hold.Status.FULFILLED
    assert smtp_server.messages == []


def test_pickup_deadline_tomorrow_and_expired_holds(smtp_server, settings):
    now = timezone.now()
    hold = HoldFactory(ready=True, book=BookFactory(title="Ivanhoe"))
    Hold.objects.filter(pk=hold.pk).update(expires_at=now + timedelta(days=1))
    Notice.objects.create(
        kind="hold_ready", hold=hold, user=hold.user, status="queued", run="0" * 32
    )

    run_and_deliver()
    [reminder] = smtp_server.to(hold.user.email)
    assert reminder.subject == "Last chance: collect “Ivanhoe” by tomorrow"

    services.holds_expire(now=now + timedelta(days=1, minutes=1))
    run_and_deliver(now=now + timedelta(days=1, minutes=2))
    expired = smtp_server.to(hold.user.email)[1]
    assert expired.subject == "Your hold on “Ivanhoe” has expired"
    assert "not collected in time" in expired.text


def test_a_run_killed_half_way_loses_nothing_the_next_run_does_not_send_once(
    smtp_server, monkeypatch
):
    patrons = UserFactory.create_batch(3)
    for patron in patrons:
        due_in(-1, user=patron)
    real = services.notices.notice_context
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(services.notices, "notice_context", dies_on_the_second_batch)
    with pytest.raises(SystemExit):
        services.notices_run(batch=1)
    assert Notice.objects.count() == 1  # the second batch rolled back whole
    monkeypatch.setattr(services.notices, "notice_context", real)

    run_and_deliver(batch=1)
    run_and_deliver(batch=1)

    assert sorted(r for m in smtp_server.messages for r in m.recipients) == sorted(
        p.email for p in patrons
    )


def test_smtp_down_retries_with_backoff_then_delivers_exactly_once(smtp_down, settings):
    loan = due_in(-1)
    services.notices_run()
    started = timezone.now()

    first = mail_deliver()
    email = Email.objects.get()
    assert (first.sent, first.requeued, email.status, email.number_of_retries) == (
        0,
        1,
        STATUS.requeued,
        1,
    )
    assert email.scheduled_time >= started + timedelta(seconds=settings.MAIL_RETRY_SECONDS)
    assert mail_deliver().sent == 0  # not due again yet

    Email.objects.update(scheduled_time=timezone.now())
    mail_deliver()
    email.refresh_from_db()
    # The second wait is twice the first.
    assert email.number_of_retries == 2
    assert email.scheduled_time >= timezone.now() + timedelta(
        seconds=2 * settings.MAIL_RETRY_SECONDS - 5
    )
    assert email.logs.filter(status=STATUS.failed).count() == 2

    # The server comes back.

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        Email.objects.update(scheduled_time=timezone.now())
        mail_deliver()
        mail_deliver()
    finally:
        controller.stop()
    assert [m.recipients for m in mailbox.messages] == [[loan.user.email]]
    email.refresh_from_db()
    assert email.status == STATUS.sent


def test_mail_that_failed_every_retry_is_marked_failed_and_can_be_resent(smtp_down, settings):
    settings.MAIL_MAX_RETRIES = 1
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 1}
    due_in(-1)
    services.notices_run()
    mail_deliver()
    Email.objects.update(scheduled_time=timezone.now())
    mail_deliver()
    email = Email.objects.get()
    assert email.status == STATUS.failed

    assert services.notice_resend(notice_ids=Notice.objects.values_list("pk", flat=True)) == 1
    email.refresh_from_db()
    assert (email.status, email.number_of_retries) == (STATUS.queued, 0)


def test_a_run_costs_the_same_queries_per_batch_whatever_the_patrons(django_db_setup):
    def queries_for(patrons: int) -> int:
        Notice.objects.all().delete()
        for _ in range(patrons):
            due_in(-1)
            due_in(2)
        with CaptureQueriesContext(connection) as captured:
            services.notices_run()
        Borrow.objects.update(return_date=timezone.now())
        return len(captured)

    assert queries_for(2) == queries_for(12)


def test_the_beat_tasks_send_the_run_and_catch_up_untold_ready_holds(smtp_server):
    from library.tasks import deliver_mail, send_notices

    loan = due_in(-1)
    # A ready hold whose on-commit mail never got queued (the process died after commit).
    hold = HoldFactory(ready=True, book=BookFactory(title="Kim"))

    sent = deliver_mail.apply().get()
    assert sent["sent"] == 1
    assert [m.subject for m in smtp_server.to(hold.user.email)] == ["“Kim” is waiting for you"]

    summary = send_notices.apply().get()
    assert summary["emails"] == {"overdue": 1} and summary["delivered"]["sent"] == 1
    assert smtp_server.to(loan.user.email)[0].subject == f"Overdue: “{loan.book.title}”"


def test_a_title_that_looks_like_template_code_is_only_text(smtp_server):
    due_in(-1, book=BookFactory(title="{{ 7|add:1 }} {% now 'Y' %}"))
    run_and_deliver()
    assert "“{{ 7|add:1 }} {% now 'Y' %}”" in smtp_server.messages[0].text
