"""Holds and renewals in the back office, as a librarian and an auditor use them."""

import pytest
from django.urls import reverse

from library.models import Book, Borrow, Hold

from ..factories import BookFactory, BorrowFactory, HoldFactory, UserFactory
from .conftest import messages_of, queries_for_get

pytestmark = pytest.mark.django_db

HOLDS = reverse("admin:library_hold_changelist")
ADD_HOLD = reverse("admin:library_hold_add")
BORROWS = reverse("admin:library_borrow_changelist")


@pytest.fixture
def queue(db):
    """A title with its one copy out, a ready hold elsewhere, and two patrons in line."""
    book = BookFactory(title="Dracula", total_copies=2)
    BorrowFactory(book=book)
    ready = HoldFactory(book=book, ready=True)
    first, second = HoldFactory(book=book), HoldFactory(book=book)
    return book, ready, first, second


def test_the_holds_list_shows_status_position_and_filters(librarian_web, queue):
    _book, _ready, first, second = queue

    response = librarian_web.get(HOLDS, {"status": "waiting"})

    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert {hold.pk for hold in rows} == {first.pk, second.pk}
    html = response.content.decode()
    assert "Dracula" in html and "Waiting" in html


def test_the_holds_list_is_a_constant_number_of_queries(librarian_web, queue):
    small = queries_for_get(librarian_web, HOLDS)
    for _ in range(5):
        HoldFactory(book=queue[0])

    assert queries_for_get(librarian_web, HOLDS) == small


def test_the_books_page_shows_its_hold_shelf_and_queue_in_order(librarian_web, queue):
    book, ready, first, second = queue

    response = librarian_web.get(reverse("admin:library_book_change", args=[book.pk]))

    html = response.content.decode()
    assert "Holds: the hold shelf and the queue" in html
    names = [h.user.get_username() for h in (ready, first, second)]
    assert html.index(names[0]) < html.index(names[1]) < html.index(names[2])


def test_a_librarian_places_a_hold_for_a_patron(librarian_web, librarian, queue):
    book = queue[0]
    patron = UserFactory()

    response = librarian_web.post(ADD_HOLD, {"user": patron.pk, "book": book.pk, "_save": "Save"})

    assert response.status_code == 302, response.context["adminform"].form.errors
    hold = Hold.objects.get(user=patron)
    assert hold.status == "waiting"
    assert hold.history.get().history_user == librarian


def test_a_refused_hold_is_a_form_error_worded_for_staff(librarian_web):
    book = BookFactory(total_copies=1)  # its copy is on the shelf
    patron = UserFactory(first_name="Alice", last_name="Smith")

    response = librarian_web.post(ADD_HOLD, {"user": patron.pk, "book": book.pk, "_save": "Save"})

    assert response.status_code == 200
    errors = str(response.context["adminform"].form.non_field_errors())
    assert "A copy of this book is on the shelf" in errors
    assert not Hold.objects.exists()


def test_the_cancel_action_passes_a_ready_hold_copy_on(librarian_web, queue):
    book, ready, first, _second = queue

    response = librarian_web.post(HOLDS, {"action": "cancel", "_selected_action": [ready.pk]})

    assert response.status_code == 302
    assert "1 hold cancelled." in messages_of(response)
    first.refresh_from_db()
    assert first.status == "ready"
    assert Book.objects.filter(pk=book.pk, held_copies=1, available_copies=0).exists()


def test_auditors_read_holds_but_cannot_cancel_or_add(auditor_web, queue):
    ready = queue[1]

    assert auditor_web.get(HOLDS).status_code == 200
    assert auditor_web.get(reverse("admin:library_hold_change", args=[ready.pk])).status_code == 200
    assert auditor_web.get(ADD_HOLD).status_code == 403
    forged = auditor_web.post(HOLDS, {"action": "cancel", "_selected_action": [ready.pk]})
    assert forged.status_code in (200, 302, 403)
    ready.refresh_from_db()
    assert ready.status == "ready"


def test_returning_in_the_admin_says_the_copy_goes_to_the_hold_shelf(librarian_web):
    book = BookFactory(title="Emma", total_copies=1)
    loan = BorrowFactory(book=book)
    waiting = HoldFactory(book=book, user=UserFactory(first_name="Alice", last_name="Smith"))

    response = librarian_web.post(
        BORROWS, {"action": "mark_returned", "_selected_action": [loan.pk]}
    )

    said = messages_of(response)
    assert any("“Emma” goes to the hold shelf for Alice Smith, until" in m for m in said)
    waiting.refresh_from_db()
    assert waiting.status == "ready"


def test_the_renew_action_renews_and_names_what_it_refused(librarian_web, settings):
    settings.RENEWALS_ALLOWED = 1
    renewable = BorrowFactory()
    wanted_book = BookFactory(title="Persuasion", total_copies=1)
    wanted = BorrowFactory(book=wanted_book)
    HoldFactory(book=wanted_book)

    response = librarian_web.post(
        BORROWS, {"action": "renew", "_selected_action": [renewable.pk, wanted.pk]}
    )

    said = messages_of(response)
    assert "1 loan renewed." in said
    assert any(m.startswith("“Persuasion”: Another patron is waiting") for m in said)
    assert Borrow.objects.get(pk=renewable.pk).renewals == 1
    assert Borrow.objects.get(pk=wanted.pk).renewals == 0
