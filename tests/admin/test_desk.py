"""The circulation desk as a librarian and an auditor use it: scan, lend, check in, renew."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from library.models import Borrow, Hold

from ..factories import BookFactory, BorrowFactory, HoldFactory, UserFactory
from .conftest import messages_of

pytestmark = pytest.mark.django_db

DESK = reverse("admin:library_desk")
SCAN = reverse("admin:library_desk_scan")
RETURN = reverse("admin:library_desk_return")
RENEW = reverse("admin:library_desk_renew")
HOLD = reverse("admin:library_desk_hold")
HOLD_CANCEL = reverse("admin:library_desk_hold_cancel")


def hyphenated(isbn13: str) -> str:
    return f"{isbn13[:3]}-{isbn13[3]}-{isbn13[4:8]}-{isbn13[8:12]}-{isbn13[12]}"


def isbn10_of(isbn13: str) -> str:
    from stdnum import isbn

    return isbn.to_isbn10(isbn13)


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", first_name="Alice", last_name="Smith")


@pytest.fixture
def moonstone(db):
    return BookFactory(title="The Moonstone", total_copies=2)


def scan(client, text, patron=None, **extra):
    data = {"scan": text, **extra}
    if patron is not None:
        data["patron"] = patron.pk
    return client.post(SCAN, data)


# --- scanning a card -------------------------------------------------------------------


def test_a_scanned_card_opens_the_patron_panel(librarian_web, alice, moonstone):
    BorrowFactory(
        user=alice,
        book=moonstone,
        borrow_date=timezone.now() - timedelta(days=20),
        due_date=timezone.now() - timedelta(days=6),
    )
    ready = HoldFactory(user=alice, book=BookFactory(title="Dracula", total_copies=1), ready=True)

    response = scan(librarian_web, alice.card_number)

    assert response.status_code == 302
    assert response.url == f"{DESK}?patron={alice.pk}"
    page = librarian_web.get(response.url)
    html = page.content.decode()
    assert "Alice Smith" in html and alice.card_number in html and alice.email in html
    assert "The Moonstone" in html and "6 days" in html  # days overdue
    assert "Dracula" in html and "Ready for pickup" in html
    assert f"on the hold shelf until {timezone.localtime(ready.expires_at):%-d %b %Y}" in html


def test_a_card_is_found_however_it_was_typed(librarian_web, alice):
    spaced = f"{alice.card_number[:4]} {alice.card_number[4:8]}-{alice.card_number[8:]}"

    response = scan(librarian_web, f"  {spaced.lower()} ")

    assert response.url == f"{DESK}?patron={alice.pk}"


def test_words_search_patrons_by_name(librarian_web, alice):
    UserFactory(username="bob", first_name="Bob", last_name="Jones")

    response = scan(librarian_web, "alice smi")

    assert response.status_code == 302
    page = librarian_web.get(response.url)
    assert [p.username for p in page.context["found_patrons"]] == ["alice"]
    assert "Bob Jones" not in page.content.decode()


def test_an_unknown_card_or_a_misread_isbn_is_said_so(librarian_web, moonstone):
    response = scan(librarian_web, "29000000000000")
    assert "No library card has the number 29000000000000." in messages_of(response)

    wrong = moonstone.isbn[:-1] + str((int(moonstone.isbn[-1]) + 1) % 10)
    response = scan(librarian_web, wrong)
    assert any("check digit does not match" in m for m in messages_of(response))


# --- lending ----------------------------------------------------------------------------


def test_with_a_patron_open_an_isbn_lends_the_title(librarian_web, librarian, alice, moonstone):
    other = BookFactory(title="Armadale")

    first = scan(librarian_web, moonstone.isbn, patron=alice)
    second = scan(librarian_web, hyphenated(other.isbn), patron=alice)

    assert first.url == second.url == f"{DESK}?patron={alice.pk}"
    loans = Borrow.objects.open().filter(user=alice)
    assert {loan.book.title for loan in loans} == {"The Moonstone", "Armadale"}
    assert loans.first().history.first().history_user == librarian
    due = timezone.localtime(loans.get(book=moonstone).due_date)
    assert f"Lent “The Moonstone” to Alice Smith, due back {due:%-d %b %Y}." in messages_of(first)
    page = librarian_web.get(first.url).content.decode()
    assert "Armadale" in page and "The Moonstone" in page


def test_an_isbn10_lends_the_same_title(librarian_web, alice, moonstone):
    scan(librarian_web, isbn10_of(moonstone.isbn), patron=alice)

    assert Borrow.objects.open().filter(user=alice, book=moonstone).exists()


def test_lending_fulfils_the_patrons_ready_hold(librarian_web, alice):
    book = BookFactory(title="Dracula", total_copies=1)
    hold = HoldFactory(user=alice, book=book, ready=True)

    scan(librarian_web, book.isbn, patron=alice)

    hold.refresh_from_db()
    assert hold.status == Hold.Status.FULFILLED
    assert hold.borrow.user == alice


def test_refusals_come_from_the_services_worded_for_staff(librarian_web, alice, settings):
    settings.MAX_OPEN_BORROWS = 1
    first, second = BookFactory(), BookFactory(title="Emma")
    BorrowFactory(user=alice, book=first)

    response = scan(librarian_web, second.isbn, patron=alice)

    assert messages_of(response) == ["Alice Smith already has 1 books on loan, the most allowed."]
    assert not Borrow.objects.filter(book=second).exists()
    assert response.url == f"{DESK}?patron={alice.pk}"


def test_an_isbn_not_in_the_catalogue_is_said_so(librarian_web, alice):
    response = scan(librarian_web, "9780000000002", patron=alice)

    assert messages_of(response) == ["No book with ISBN 9780000000002 is in the catalogue."]


# --- checking in ------------------------------------------------------------------------


def test_without_a_patron_an_isbn_checks_the_only_loan_in(librarian_web, alice, moonstone):
    loan = BorrowFactory(user=alice, book=moonstone)

    response = scan(librarian_web, moonstone.isbn)

    loan.refresh_from_db()
    assert loan.return_date is not None
    assert messages_of(response) == ["Checked in “The Moonstone” from Alice Smith."]
    assert response.url == DESK


def test_when_several_have_the_title_out_the_desk_lists_them(librarian_web, alice, moonstone):
    bob = UserFactory(first_name="Bob", last_name="Jones")
    loans = [BorrowFactory(user=alice, book=moonstone), BorrowFactory(user=bob, book=moonstone)]

    response = scan(librarian_web, moonstone.isbn)

    assert response.url == f"{DESK}?checkin={moonstone.pk}"
    assert Borrow.objects.open().filter(book=moonstone).count() == 2
    page = librarian_web.get(response.url)
    html = page.content.decode()
    assert "2 patrons have “The Moonstone” out" in html
    assert "Alice Smith" in html and "Bob Jones" in html and bob.card_number in html
    librarian_web.post(RETURN, {"borrow": loans[1].pk})
    assert list(Borrow.objects.open().filter(book=moonstone)) == [loans[0]]


def test_a_return_that_traps_a_copy_says_so_plainly(librarian_web, alice):
    book = BookFactory(title="Dracula", total_copies=1)
    BorrowFactory(user=alice, book=book)
    waiting = HoldFactory(book=book, user=UserFactory(first_name="Bob", last_name="Jones"))

    response = scan(librarian_web, book.isbn)

    waiting.refresh_from_db()
    assert waiting.status == Hold.Status.READY
    deadline = timezone.localtime(waiting.expires_at)
    said = messages_of(response)
    assert said[1] == (
        f"Hold shelf: put “Dracula” on the hold shelf for Bob Jones (card "
        f"{waiting.user.card_number}); it waits for them until {deadline:%-d %b %Y}."
    )
    assert "desk-hold-shelf" in librarian_web.get(response.url).content.decode()
    assert "desk-hold-shelf" not in librarian_web.get(response.url).content.decode()


def test_checking_in_a_title_nobody_has_out_is_said_so(librarian_web, moonstone):
    response = scan(librarian_web, moonstone.isbn)

    assert messages_of(response) == [
        "No copy of “The Moonstone” is on loan; there is nothing to check in."
    ]


# --- renewing, holds --------------------------------------------------------------------


def test_renew_one_loan(librarian_web, alice, moonstone):
    loan = BorrowFactory(user=alice, book=moonstone)
    due = loan.due_date

    response = librarian_web.post(RENEW, {"borrow": loan.pk, "patron": alice.pk})

    loan.refresh_from_db()
    assert loan.renewals == 1
    assert loan.due_date == due + timedelta(days=settings.LOAN_PERIOD_DAYS)
    assert response.url == f"{DESK}?patron={alice.pk}"


def test_renew_all_renews_each_loan_and_says_which_were_refused(librarian_web, alice):
    free = BorrowFactory(user=alice, book=BookFactory(title="Emma"))
    wanted_book = BookFactory(title="Dracula", total_copies=1)
    wanted = BorrowFactory(user=alice, book=wanted_book)
    HoldFactory(book=wanted_book)

    response = librarian_web.post(RENEW, {"patron": alice.pk, "all": "1"})

    free.refresh_from_db()
    wanted.refresh_from_db()
    assert (free.renewals, wanted.renewals) == (1, 0)
    said = messages_of(response)
    assert any(m.startswith("Renewed “Emma”: due back") for m in said)
    assert "“Dracula”: Another patron is waiting for this book" in " ".join(said)


def test_place_and_cancel_a_hold_for_the_patron(librarian_web, alice):
    book = BookFactory(title="Dracula", total_copies=1)
    BorrowFactory(book=book)

    placed = librarian_web.post(HOLD, {"patron": alice.pk, "isbn": hyphenated(book.isbn)})

    hold = Hold.objects.get(user=alice)
    assert messages_of(placed) == ["Hold placed for Alice Smith on “Dracula”, number 1 in line."]
    again = librarian_web.post(HOLD, {"patron": alice.pk, "isbn": book.isbn})
    assert messages_of(again)[-1] == "Alice Smith already has a hold on this book."

    librarian_web.post(HOLD_CANCEL, {"hold": hold.pk, "patron": alice.pk})

    hold.refresh_from_db()
    assert hold.status == Hold.Status.CANCELLED


def test_an_action_returns_to_the_page_it_came_from_on_this_site_only(librarian_web, alice):
    loan = BorrowFactory(user=alice)
    record = reverse("admin:accounts_user_change", args=[alice.pk])

    back = librarian_web.post(RENEW, {"borrow": loan.pk, "next": record})
    away = librarian_web.post(RENEW, {"borrow": loan.pk, "next": "https://evil.example/"})

    assert back.url == record
    assert away.url == DESK


@pytest.mark.parametrize(
    "url,data",
    [
        (SCAN, {"scan": "", "patron": "abc"}),
        (SCAN, {"scan": "x" * 5000}),
        (SCAN, {"scan": "٣٣٣٣", "patron": "99999999999999999999"}),
        (SCAN, {"scan": "ali\x00ce"}),
        (SCAN, {"scan": "2900\x0012345"}),
        (HOLD, {"patron": "1", "isbn": "978\x00"}),
        (RETURN, {"borrow": "1.0"}),
        (RETURN, {"borrow": "424242"}),
        (RENEW, {"borrow": "-1"}),
        (RENEW, {"patron": "424242", "all": "1"}),
        (HOLD, {"patron": "", "isbn": "123"}),
        (HOLD_CANCEL, {"hold": "\x00"}),
        (HOLD_CANCEL, {"hold": "424242"}),
    ],
)
def test_bad_input_is_a_message_never_a_500(librarian_web, url, data):
    response = librarian_web.post(url, data)

    assert response.status_code == 302
    assert messages_of(response)


def test_a_patron_id_in_the_url_that_does_not_parse_is_no_patron(librarian_web):
    response = librarian_web.get(DESK, {"patron": "1 OR 1=1", "checkin": "x"})

    assert response.status_code == 200
    assert response.context["panel"] is None


def test_the_actions_take_posts_only(librarian_web):
    for url in (SCAN, RETURN, RENEW, HOLD, HOLD_CANCEL):
        assert librarian_web.get(url).status_code == 405


# --- auditors and patrons ---------------------------------------------------------------


def test_auditors_see_the_desk_and_the_panel_without_actions(auditor_web, alice, moonstone):
    BorrowFactory(user=alice, book=moonstone)

    opened = scan(auditor_web, alice.card_number)
    page = auditor_web.get(opened.url)

    html = page.content.decode()
    assert page.status_code == 200 and "The Moonstone" in html
    for action in (RETURN, RENEW, HOLD, HOLD_CANCEL):
        assert f'action="{action}"' not in html
    assert "Check in</button>" not in html and "Renew</button>" not in html
    assert 'id="hold-isbn"' not in html


def test_auditors_forged_actions_are_refused(auditor_web, alice, moonstone):
    loan = BorrowFactory(user=alice, book=moonstone)
    hold_book = BookFactory(total_copies=1)
    BorrowFactory(book=hold_book)
    hold = HoldFactory(user=alice, book=hold_book)

    answers = [
        scan(auditor_web, BookFactory().isbn, patron=alice).status_code,
        scan(auditor_web, moonstone.isbn).status_code,
        auditor_web.post(RETURN, {"borrow": loan.pk}).status_code,
        auditor_web.post(RENEW, {"borrow": loan.pk}).status_code,
        auditor_web.post(RENEW, {"patron": alice.pk, "all": "1"}).status_code,
        auditor_web.post(HOLD, {"patron": alice.pk, "isbn": moonstone.isbn}).status_code,
        auditor_web.post(HOLD_CANCEL, {"hold": hold.pk}).status_code,
    ]

    assert answers == [403] * 7
    loan.refresh_from_db()
    hold.refresh_from_db()
    assert (loan.return_date, loan.renewals, hold.status) == (None, 0, Hold.Status.WAITING)
    assert Borrow.objects.filter(user=alice).count() == 1


def test_patrons_do_not_reach_the_desk(patron_web):
    assert patron_web.get(DESK).status_code == 302  # to the admin login
    assert patron_web.post(SCAN, {"scan": "x"}).status_code == 302


# --- what blocks a patron, and what they were told --------------------------------------


def test_the_panel_says_what_blocks_a_patron_and_lists_their_notices(
    librarian_web, librarian, alice, moonstone
):
    from library.models import Notice
    from library.services import blocks

    loan = BorrowFactory(
        user=alice,
        book=moonstone,
        borrow_date=timezone.now() - timedelta(days=50),
        due_date=timezone.now() - timedelta(days=36),
    )
    blocks.block_set(user=alice, reason="Lost card reported by phone", actor=librarian)
    Notice.objects.create(
        kind="overdue", stage=7, borrow=loan, user=alice, status="no_address", run="0" * 32
    )

    html = librarian_web.get(DESK, {"patron": alice.pk}).content.decode()

    blocked = html[html.index('id="patron-blocks"') : html.index('id="patron-loans"')]
    assert "Lost card reported by phone" in blocked
    assert "A librarian blocked the account (Lost card reported by phone)." in blocked
    assert "is more than 28 days overdue; return it first." in blocked
    notices = html[html.index('id="patron-notices"') :]
    assert "The Moonstone" in notices and "no address: phone" in notices


def test_a_patron_nothing_blocks_shows_no_block(librarian_web, alice, moonstone):
    html = librarian_web.get(DESK, {"patron": alice.pk}).content.decode()

    assert 'id="patron-blocks"' not in html
    assert "No notices sent yet." in html
