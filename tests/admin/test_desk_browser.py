"""A session at the circulation desk in a real browser (Chromium through Playwright).

A librarian scans a card, lends two books by scanning them, renews one, places a hold,
prints the slip, then checks books in: one that two patrons have out (the desk asks whose),
and one that a waiting hold traps. An auditor sees the same panel with nothing to press.
The screenshots land in docs/screenshots/ with SCREENSHOTS_DIR=docs/screenshots.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from stdnum import isbn as stdnum_isbn

from library.models import Borrow, Hold
from tests.factories import (
    AuditorFactory,
    AuthorFactory,
    BookFactory,
    BorrowFactory,
    LibrarianFactory,
    UserFactory,
)

from .test_browser import browser, open_page, screenshot  # noqa: F401  (browser: a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def hyphenated(isbn13: str) -> str:
    return stdnum_isbn.format(isbn13)


def a_small_library():
    collins, stoker, austen = (
        AuthorFactory(name=name) for name in ("Wilkie Collins", "Bram Stoker", "Jane Austen")
    )
    books = {
        "moonstone": BookFactory(title="The Moonstone", author=collins, total_copies=2),
        "woman": BookFactory(title="The Woman in White", author=collins, total_copies=2),
        "dracula": BookFactory(title="Dracula", author=stoker, total_copies=1),
        "emma": BookFactory(title="Emma", author=austen, total_copies=2),
    }
    alice = UserFactory(
        username="alice", first_name="Alice", last_name="Smith", email="alice@example.org"
    )
    bob = UserFactory(username="bob", first_name="Bob", last_name="Jones")
    carol = UserFactory(username="carol", first_name="Carol", last_name="White")
    now = timezone.now()
    BorrowFactory(
        user=alice,
        book=books["woman"],
        borrow_date=now - timedelta(days=17),
        due_date=now - timedelta(days=3),
    )
    BorrowFactory(user=bob, book=books["dracula"], borrow_date=now - timedelta(days=5))
    BorrowFactory(user=carol, book=books["moonstone"], borrow_date=now - timedelta(days=2))
    return books, alice, bob, carol


def scan(page, text):
    page.fill("#desk-scan", text)
    page.press("#desk-scan", "Enter")
    page.wait_for_load_state()


def test_a_desk_session(browser, live_server):  # noqa: F811
    librarian = LibrarianFactory(username="librarian", first_name="Ada", last_name="Lovelace")
    books, alice, _bob, carol = a_small_library()
    page = open_page(browser, live_server, librarian)

    page.get_by_role("link", name="Desk").click()
    page.wait_for_selector("#desk-scan:focus")  # the scanner types straight into the box
    screenshot(page, "desk.png")

    # A card: the patron panel, with the overdue loan.
    scan(page, alice.card_number)
    panel = page.locator("#patron-panel")
    assert "Alice Smith" in panel.inner_text() and alice.card_number in panel.inner_text()
    assert "3 days" in page.locator("#patron-loans").inner_text()
    assert page.locator("#desk-scan:focus").count() == 1

    # Two books scanned in a row, as printed (hyphenated ISBN-13) and as ISBN-10.
    scan(page, hyphenated(books["moonstone"].isbn))
    scan(page, stdnum_isbn.to_isbn10(books["emma"].isbn))
    loans = page.locator("#patron-loans")
    assert loans.locator("tr.desk-loan").count() == 3
    assert "The Moonstone" in loans.inner_text() and "Emma" in loans.inner_text()
    emma = Borrow.objects.get(user=alice, book=books["emma"])
    assert f"{timezone.localtime(emma.due_date):%-d %b %Y}" in loans.inner_text()
    screenshot(page, "desk_patron.png", full_page=True)

    # Renew one: its renewals left drop from 2 to 1.
    row = page.locator(f'tr[data-loan="{emma.pk}"]')
    row.get_by_role("button", name="Renew").click()
    page.wait_for_load_state()
    assert page.locator(f'tr[data-loan="{emma.pk}"] .desk-renewals-left').inner_text() == "1"
    emma.refresh_from_db()
    assert emma.renewals == 1

    # A hold for Alice on Dracula, whose only copy Bob has.
    page.fill("#hold-isbn", books["dracula"].isbn)
    page.get_by_role("button", name="Place hold").click()
    page.wait_for_load_state()
    assert "number 1 in line" in page.locator("#patron-holds").inner_text()

    # The slip: the button opens the print dialog; printed, only the slip shows.
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Print slip").click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    assert page.locator("#desk-slip").is_visible()
    assert not page.locator("#desk-scan").is_visible()
    slip = page.locator("#desk-slip").inner_text()
    assert "Alice Smith" in slip and "Emma" in slip and "The Woman in White" in slip
    screenshot(page, "desk_slip.png")
    page.emulate_media(media="screen")

    # Check-in without a patron: two patrons have The Moonstone, the desk asks whose.
    page.get_by_role("link", name="Done with this patron").click()
    page.wait_for_load_state()
    scan(page, books["moonstone"].isbn)
    choose = page.locator("#desk-checkin-choose")
    assert "2 patrons have “The Moonstone” out" in choose.inner_text()
    screenshot(page, "desk_checkin_choose.png")
    choose.locator("tr", has_text="Carol White").get_by_role("button", name="Check in").click()
    page.wait_for_load_state()
    assert not Borrow.objects.open().filter(user=carol).exists()

    # Bob's Dracula comes back: it is trapped for Alice, and the desk says so plainly.
    scan(page, books["dracula"].isbn)
    box = page.locator(".desk-hold-shelf")
    hold = Hold.objects.get(user=alice)
    assert hold.status == Hold.Status.READY
    assert "hold shelf for Alice Smith" in box.inner_text()
    assert f"{timezone.localtime(hold.expires_at):%-d %b %Y}" in box.inner_text()
    screenshot(page, "desk_hold_trapped.png")

    # Alice's record shows the same panel, her ready hold and her returned loans.
    page.goto(f"{live_server.url}/admin/accounts/user/{alice.pk}/change/")
    assert "Ready for pickup" in page.locator("#patron-holds").inner_text()
    screenshot(page, "patron_record.png")

    # The users list: open and overdue loans per patron, and the overdue filter.
    page.goto(f"{live_server.url}/admin/accounts/user/?loans=overdue")
    assert page.locator("#result_list tbody tr").count() == 1
    assert "alice" in page.locator("#result_list").inner_text()
    page.goto(f"{live_server.url}/admin/accounts/user/?role=patron")
    screenshot(page, "users_changelist.png")


def test_the_auditors_desk_is_read_only(browser, live_server):  # noqa: F811
    auditor = AuditorFactory(username="auditor")
    books, alice, _bob, _carol = a_small_library()
    page = open_page(browser, live_server, auditor)

    page.goto(f"{live_server.url}/admin/library/borrow/desk/")
    scan(page, alice.card_number)

    assert "The Woman in White" in page.locator("#patron-loans").inner_text()
    assert page.get_by_role("button", name="Renew").count() == 0
    assert page.get_by_role("button", name="Check in").count() == 0
    assert page.locator("#hold-isbn").count() == 0
    assert page.locator("#desk-read-only").is_visible()
    screenshot(page, "desk_auditor.png")

    # A forged lend is refused, and nothing is lent.
    page.fill("#desk-scan", books["emma"].isbn)
    with page.expect_response("**/desk/scan/") as answer:
        page.press("#desk-scan", "Enter")
    assert answer.value.status == 403
    assert not Borrow.objects.filter(book=books["emma"]).exists()
