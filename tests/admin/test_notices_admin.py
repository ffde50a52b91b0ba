"""Notices, templates and blocks in the back office, as librarians and auditors use them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from post_office.models import STATUS, Email, EmailTemplate

from backoffice.core.mail import mail_deliver
from library import services
from library.models import Notice, PatronBlock

from ..factories import BookFactory, BorrowFactory, UserFactory
from .conftest import messages_of, queries_for_get

pytestmark = pytest.mark.django_db

NOTICES = reverse("admin:library_notice_changelist")
BLOCKS = reverse("admin:library_patronblock_changelist")
ADD_BLOCK = reverse("admin:library_patronblock_add")


def overdue(patron=None, days=3, title="Emma"):
    now = timezone.now()
    return BorrowFactory(
        user=patron or UserFactory(),
        book=BookFactory(title=title),
        borrow_date=now - timedelta(days=days + 14),
        due_date=now - timedelta(days=days),
    )


def test_the_notice_log_shows_kind_patron_delivery_and_filters(librarian_web, settings):
    sent = overdue(title="Emma")
    phone = overdue(UserFactory(email="", first_name="Ada", last_name="Byron"), title="Kim")
    services.notices_run()
    mail_deliver()

    page = librarian_web.get(NOTICES)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Emma" in html and "Kim" in html and "Sent" in html and "No address: phone" in html
    no_address = librarian_web.get(NOTICES, {"delivery": "no_address"})
    assert [n.borrow_id for n in no_address.context["cl"].result_list] == [phone.pk]
    by_kind = librarian_web.get(NOTICES, {"kind": "overdue", "delivery": "sent"})
    assert [n.borrow_id for n in by_kind.context["cl"].result_list] == [sent.pk]


def test_the_notice_log_is_a_constant_number_of_queries(librarian_web):
    overdue()
    services.notices_run()
    few = queries_for_get(librarian_web, NOTICES)
    for i in range(6):
        overdue(title=f"Book {i}")
    services.notices_run()
    assert queries_for_get(librarian_web, NOTICES) == few


def test_a_librarian_resends_failed_mail_and_an_auditor_cannot(librarian_web, auditor_web):
    overdue()
    services.notices_run()
    Email.objects.update(status=STATUS.failed)
    notice = Notice.objects.get()
    body = {"action": "resend", "_selected_action": [notice.pk]}

    refused = auditor_web.post(NOTICES, body)
    assert Email.objects.get().status == STATUS.failed
    assert refused.status_code in (200, 302, 403)

    done = librarian_web.post(NOTICES, body, follow=True)
    assert "1 e-mail queued again." in messages_of(done)
    assert Email.objects.get().status == STATUS.queued


def test_the_patrons_page_lists_their_notices_and_blocks(librarian_web, librarian):
    loan = overdue(title="Middlemarch")
    services.notices_run()
    services.block_set(user=loan.user, reason="Lost card", actor=librarian)

    page = librarian_web.get(reverse("admin:accounts_user_change", args=[loan.user.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Notices sent" in html and "Middlemarch" in html
    assert "Lost card" in html and "in force since" in html
    assert "&lt;span" not in html


def test_librarians_edit_templates_and_preview_them_for_a_real_patron(librarian_web):
    loan = overdue(UserFactory(username="reader", first_name="Rosa"), title="Pride & Prejudice")
    template = EmailTemplate.objects.get(name="notice_overdue")
    change = reverse("admin:post_office_emailtemplate_change", args=[template.pk])
    edited = librarian_web.post(
        change,
        {
            "description": template.description,
            "subject": "Please return {{ items.0.title }}",
            "content": template.content.replace("Dear", "Hello"),
            "html_content": template.html_content,
        },
    )
    assert edited.status_code == 302, edited.content
    preview = reverse("admin:post_office_emailtemplate_preview", args=[template.pk])

    page = librarian_web.get(preview, {"patron": "Reader"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "Please return Pride &amp; Prejudice" in html  # "&", shown in the page
    assert "Hello Rosa" in html and "Pride &amp; Prejudice" in html
    assert loan.user.email in html
    # The next run uses the edited template.
    services.notices_run()
    assert Email.objects.get().subject == "Please return Pride & Prejudice"


def test_a_template_preview_for_an_unknown_patron_says_so(librarian_web):
    template = EmailTemplate.objects.get(name="notice_hold_ready")
    preview = reverse("admin:post_office_emailtemplate_preview", args=[template.pk])
    page = librarian_web.get(preview, {"patron": "nobody"})
    assert page.status_code == 200
    assert "No patron with that username." in page.content.decode()
    assert (
        librarian_web.get(
            reverse("admin:post_office_emailtemplate_preview", args=["x1"])
        ).status_code
        == 404
    )


def test_auditors_read_templates_but_cannot_change_them(auditor_web):
    template = EmailTemplate.objects.get(name="notice_due_soon")
    change = reverse("admin:post_office_emailtemplate_change", args=[template.pk])
    assert auditor_web.get(change).status_code == 200
    forged = auditor_web.post(
        change, {"subject": "hacked", "content": "x", "html_content": "", "description": ""}
    )
    assert forged.status_code == 403
    template.refresh_from_db()
    assert template.subject != "hacked"


def test_a_librarian_sets_and_lifts_a_block_with_reasons(librarian_web, librarian):
    patron = UserFactory()

    added = librarian_web.post(ADD_BLOCK, {"user": patron.pk, "reason": "Damaged books"})
    assert added.status_code == 302, added.content
    block = PatronBlock.objects.get(user=patron)
    assert (block.created_by, block.is_active) == (librarian, True)
    with pytest.raises(services.PatronBlocked):
        services.borrow_create(user=patron, book_id=BookFactory().pk)

    again = librarian_web.post(ADD_BLOCK, {"user": patron.pk, "reason": "Twice"}, follow=True)
    assert any("already blocked" in m for m in messages_of(again))

    change = reverse("admin:library_patronblock_change", args=[block.pk])
    lifted = librarian_web.post(change, {"lift_reason": "Paid"})
    assert lifted.status_code == 302, lifted.content
    block.refresh_from_db()
    assert (block.lifted_by, block.lift_reason) == (librarian, "Paid")
    assert services.borrow_create(user=patron, book_id=BookFactory().pk).pk
    assert librarian_web.get(BLOCKS, {"active": "no"}).status_code == 200


def test_lending_at_the_desk_to_a_blocked_patron_is_refused_on_the_form(librarian_web, librarian):
    patron = UserFactory()
    services.block_set(user=patron, reason="Lost card", actor=librarian)
    book = BookFactory()

    page = librarian_web.post(
        reverse("admin:library_borrow_add"), {"user": patron.pk, "book": book.pk}
    )

    assert page.status_code == 200
    assert "may not borrow, renew or place holds" in page.content.decode()
    assert not patron.borrows.exists()
