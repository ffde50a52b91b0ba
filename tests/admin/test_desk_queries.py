"""Each desk action costs a fixed number of queries, however much the patron has out.

The counts include the admin's own: the session, the user and their groups and
permissions (3). Renew-all renews every loan in one pass (library.services.renewals): the
same count for one loan as for five.
"""

import pytest
from django.urls import reverse

from library.models import Hold

from ..factories import BookFactory, BorrowFactory, HoldFactory, UserFactory
from ..folded import saved_by_lending, saved_by_returning
from .conftest import web_client_for

pytestmark = pytest.mark.django_db

DESK = reverse("admin:library_desk")
SCAN = reverse("admin:library_desk_scan")


@pytest.fixture
def web(librarian):
    client = web_client_for(librarian)
    assert client.get(DESK).status_code == 200  # session and content types warmed up
    return client


def patron_with(loans: int, holds: int):
    patron = UserFactory(first_name="Alice", last_name="Smith")
    borrows = [BorrowFactory(user=patron) for _ in range(loans)]
    for _ in range(holds):
        book = BookFactory(total_copies=1)
        BorrowFactory(book=book)
        HoldFactory(user=patron, book=book)
    return patron, borrows


@pytest.mark.parametrize("size", [1, 4])
def test_the_patron_panel(web, django_assert_num_queries, size):
    patron, _ = patron_with(loans=size, holds=size)
    # session, user, groups; the patron; their loans; their holds with positions; their
    # manual blocks (the overdue block is read off the loans); their latest notices
    with django_assert_num_queries(8):
        response = web.get(DESK, {"patron": patron.pk})
    assert len(response.context["panel"].loans) == size


def test_scanning_a_card(web, django_assert_num_queries):
    patron, _ = patron_with(loans=2, holds=1)
    with django_assert_num_queries(4):
        response = web.post(SCAN, {"scan": patron.card_number})
    assert response.status_code == 302


@pytest.mark.parametrize("size", [0, 3])
def test_lending_by_isbn(web, django_assert_num_queries, size):
    patron, _ = patron_with(loans=size, holds=1)
    book = BookFactory()
    with django_assert_num_queries(14 - saved_by_lending()):
        web.post(SCAN, {"scan": book.isbn, "patron": patron.pk})
    assert book.borrows.filter(user=patron).exists()


def test_lending_a_title_on_the_patrons_ready_hold(web, django_assert_num_queries):
    patron, _ = patron_with(loans=1, holds=0)
    book = BookFactory(total_copies=1)
    hold = HoldFactory(user=patron, book=book, ready=True)
    with django_assert_num_queries(18):
        web.post(SCAN, {"scan": book.isbn, "patron": patron.pk})
    hold.refresh_from_db()
    assert hold.status == Hold.Status.FULFILLED


@pytest.mark.parametrize("waiting", [False, True])
def test_checking_in_by_isbn(web, django_assert_num_queries, waiting):
    patron = UserFactory()
    loan = BorrowFactory(user=patron, book=BookFactory(total_copies=1))
    if waiting:
        HoldFactory(book=loan.book)
    # A return that traps the copy for a hold reads the queue and marks the hold ready.
    with django_assert_num_queries((16 if waiting else 13) - saved_by_returning()):
        web.post(SCAN, {"scan": loan.book.isbn})
    loan.refresh_from_db()
    assert loan.return_date is not None


def test_checking_in_a_title_several_have_out_lists_them(web, django_assert_num_queries):
    book = BookFactory(total_copies=5)
    for _ in range(4):
        BorrowFactory(book=book)
    with django_assert_num_queries(6):
        response = web.post(SCAN, {"scan": book.isbn})
    assert response.url.endswith(f"?checkin={book.pk}")
    with django_assert_num_queries(4):
        page = web.get(response.url)
    assert len(page.context["checkin_loans"]) == 4


def test_checking_in_from_the_list(web, django_assert_num_queries):
    _, (loan,) = patron_with(loans=1, holds=0)
    with django_assert_num_queries(9 - saved_by_returning()):
        web.post(reverse("admin:library_desk_return"), {"borrow": loan.pk})
    loan.refresh_from_db()
    assert loan.return_date is not None


def test_renewing_one_loan(web, django_assert_num_queries):
    _patron, borrows = patron_with(loans=3, holds=0)
    with django_assert_num_queries(10):
        web.post(reverse("admin:library_desk_renew"), {"borrow": borrows[0].pk})
    borrows[0].refresh_from_db()
    assert borrows[0].renewals == 1


@pytest.mark.parametrize("size", [1, 5])
def test_renewing_all_loans(web, django_assert_num_queries, size):
    patron, _borrows = patron_with(loans=size, holds=0)
    # admin (3); the patron; the patron's open loans; savepoint; those loans locked with
    # their patron's blocks; the books locked; their waiting holds; the loans' UPDATE;
    # their history rows; release
    with django_assert_num_queries(12):
        web.post(reverse("admin:library_desk_renew"), {"patron": patron.pk, "all": "1"})
    assert {b.renewals for b in patron.borrows.all()} == {1}


def test_placing_a_hold(web, django_assert_num_queries):
    patron, _ = patron_with(loans=2, holds=2)
    book = BookFactory(total_copies=1)
    BorrowFactory(book=book)
    with django_assert_num_queries(17):
        web.post(reverse("admin:library_desk_hold"), {"patron": patron.pk, "isbn": book.isbn})
    assert Hold.objects.filter(user=patron, book=book).exists()


def test_cancelling_a_hold(web, django_assert_num_queries):
    patron, _ = patron_with(loans=1, holds=2)
    hold = Hold.objects.filter(user=patron).first()
    with django_assert_num_queries(11):
        web.post(reverse("admin:library_desk_hold_cancel"), {"hold": hold.pk, "patron": patron.pk})
    hold.refresh_from_db()
    assert hold.status == Hold.Status.CANCELLED
