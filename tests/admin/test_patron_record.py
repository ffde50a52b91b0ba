"""The patron's record (the user page), the users list's loan columns, and the loans list."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from library.models import Borrow

from ..factories import BookFactory, BorrowFactory, HoldFactory, UserFactory
from .conftest import queries_for_get

pytestmark = pytest.mark.django_db

USERS = reverse("admin:accounts_user_changelist")
LOANS = reverse("admin:library_borrow_changelist")


def record(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def overdue_loan(user, days=3, **kwargs):
    now = timezone.now()
    return BorrowFactory(
        user=user,
        borrow_date=now - timedelta(days=14 + days),
        due_date=now - timedelta(days=days),
        **kwargs,
    )


def returned(user):
    now = timezone.now()
    return BorrowFactory(
        user=user,
        borrow_date=now - timedelta(days=10),
        due_date=now + timedelta(days=4),
        return_date=now - timedelta(days=1),
    )


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", first_name="Alice", last_name="Smith")


def test_a_patrons_page_shows_loans_holds_and_history(librarian_web, alice):
    overdue_loan(alice, book=BookFactory(title="The Moonstone"))
    BorrowFactory(
        user=alice,
        book=BookFactory(title="Emma"),
        borrow_date=timezone.now() - timedelta(days=40),
        due_date=timezone.now() - timedelta(days=26),
        return_date=timezone.now() - timedelta(days=30),
    )
    held = BookFactory(title="Dracula", total_copies=1)
    BorrowFactory(book=held)
    HoldFactory(user=alice, book=held)

    html = librarian_web.get(record(alice)).content.decode()

    loans = html[html.index('id="patron-loans"') : html.index('id="patron-holds"')]
    holds = html[html.index('id="patron-holds"') : html.index('id="patron-history"')]
    history = html[html.index('id="patron-history"') :]
    assert "The Moonstone" in loans and "3 days" in loans
    assert "Dracula" in holds and "number 1 in line" in holds
    assert "Emma" in history
    assert 'id="lend-isbn"' in html and "Renew</button>" in html and "Check in</button>" in html


def test_lend_renew_and_check_in_from_the_record_come_back_to_it(librarian_web, alice):
    book = BookFactory(title="Kidnapped")
    url = record(alice)

    lent = librarian_web.post(
        reverse("admin:library_desk_scan"), {"scan": book.isbn, "patron": alice.pk, "next": url}
    )
    loan = Borrow.objects.get(user=alice, book=book)
    renewed = librarian_web.post(
        reverse("admin:library_desk_renew"), {"borrow": loan.pk, "next": url}
    )
    returned = librarian_web.post(
        reverse("admin:library_desk_return"), {"borrow": loan.pk, "next": url}
    )

    assert lent.url == renewed.url == returned.url == url
    loan.refresh_from_db()
    assert loan.renewals == 1 and loan.return_date is not None


def test_the_record_is_a_constant_number_of_queries(librarian_web, alice):
    BorrowFactory(user=alice)
    small = queries_for_get(librarian_web, record(alice))
    for _ in range(4):
        overdue_loan(alice)
        returned(alice)

    assert queries_for_get(librarian_web, record(alice)) == small


def test_auditors_see_the_record_without_actions(auditor_web, alice):
    BorrowFactory(user=alice, book=BookFactory(title="The Moonstone"))

    html = auditor_web.get(record(alice)).content.decode()

    assert "The Moonstone" in html
    assert 'id="lend-isbn"' not in html and "Renew</button>" not in html


def test_staff_pages_have_no_patron_panel(admin_client, librarian):
    assert 'id="patron-panel"' not in admin_client.get(record(librarian)).content.decode()


def test_the_users_list_counts_open_and_overdue_loans(librarian_web, alice):
    bob = UserFactory(username="bob")
    overdue_loan(alice)
    BorrowFactory(user=alice)
    BorrowFactory(user=bob)

    response = librarian_web.get(USERS, {"role": "patron"})

    rows = {
        user.username: (user.open_loans, user.overdue_loans)
        for user in response.context["cl"].result_list
    }
    assert rows["alice"] == (2, 1) and rows["bob"] == (1, 0)


def test_the_users_list_filters_patrons_with_overdue_loans(librarian_web, alice):
    UserFactory(username="bob")
    BorrowFactory(user=UserFactory(username="carol"))
    overdue_loan(alice)

    response = librarian_web.get(USERS, {"loans": "overdue"})

    assert [u.username for u in response.context["cl"].result_list] == ["alice"]


def test_the_users_list_is_a_constant_number_of_queries(librarian_web, alice):
    small = queries_for_get(librarian_web, USERS)
    for _ in range(5):
        patron = UserFactory()
        overdue_loan(patron)
        BorrowFactory(user=patron)

    assert queries_for_get(librarian_web, USERS) == small


def test_librarians_deactivate_patrons_with_loan_history_rather_than_delete(librarian_web):
    reader = UserFactory()
    returned(reader)
    newcomer = UserFactory()

    page = librarian_web.get(record(reader)).content.decode()
    refused = librarian_web.post(
        reverse("admin:accounts_user_delete", args=[reader.pk]), {"post": "yes"}
    )

    assert reverse("admin:accounts_user_delete", args=[reader.pk]) not in page
    assert refused.status_code == 403
    assert User.objects.filter(pk=reader.pk).exists()
    assert (
        reverse("admin:accounts_user_delete", args=[newcomer.pk])
        in librarian_web.get(record(newcomer)).content.decode()
    )


# --- the loans list and a loan's page ---------------------------------------------------


def test_the_loans_list_shows_days_overdue_and_the_patron_by_name_and_card(librarian_web, alice):
    overdue_loan(alice, days=4)

    html = librarian_web.get(LOANS).content.decode()

    assert "Days overdue" in html
    assert "Alice Smith" in html and alice.card_number in html
    row = html[html.index("Alice Smith") :]
    assert ">4<" in row.replace(" ", "").replace("\n", "")[:2000]


def test_the_loans_list_sorts_by_due_date(librarian_web, alice):
    late = overdue_loan(alice, days=9)
    soon = BorrowFactory(user=alice)
    middle = overdue_loan(alice, days=2)
    due_column = librarian_web.get(LOANS).context["cl"].list_display.index("due_on")

    response = librarian_web.get(LOANS, {"o": str(due_column)})

    assert [b.pk for b in response.context["cl"].result_list] == [late.pk, middle.pk, soon.pk]


def test_a_loans_page_has_return_and_renew_buttons(librarian_web, auditor_web, alice):
    loan = BorrowFactory(user=alice)
    url = reverse("admin:library_borrow_change", args=[loan.pk])

    page = librarian_web.get(url).content.decode()
    assert 'id="loan-actions"' in page and ">Return</button>" in page and ">Renew</button>" in page
    assert 'id="loan-actions"' not in auditor_web.get(url).content.decode()

    librarian_web.post(reverse("admin:library_desk_renew"), {"borrow": loan.pk, "next": url})
    back = librarian_web.post(
        reverse("admin:library_desk_return"), {"borrow": loan.pk, "next": url}
    )

    assert back.url == url
    loan.refresh_from_db()
    assert loan.renewals == 1 and loan.return_date is not None
    assert 'id="loan-actions"' not in librarian_web.get(url).content.decode()
