"""The holds API: place, list, read, cancel, and what the books and loans show of holds."""

import pytest
from django.utils import timezone

from library.models import Book, Hold

from ...conftest import client_for
from ...factories import BookFactory, BorrowFactory, HoldFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def all_out(db):
    book = BookFactory(title="Dracula", total_copies=1)
    BorrowFactory(book=book)
    return book


def test_a_patron_places_a_hold_and_sees_its_position(patron_client, all_out):
    HoldFactory(book=all_out)  # someone is already in line

    response = patron_client.post("/holds/", {"book": all_out.pk}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "waiting"
    assert body["position"] == 2
    assert body["book"] == {
        "id": all_out.pk,
        "title": "Dracula",
        "author": {"id": all_out.author_id, "name": all_out.author.name},
    }
    assert body["placed_at"] and body["expires_at"] is None
    assert Hold.objects.filter(pk=body["id"], status="waiting").exists()


@pytest.mark.parametrize(
    ("situation", "code"),
    [
        ("on_shelf", "copies_available"),
        ("borrowed", "already_borrowed"),
        ("twice", "already_on_hold"),
    ],
)
def test_refused_holds_answer_409_with_the_code(patron, patron_client, situation, code):
    book = BookFactory(total_copies=2)
    if situation == "borrowed":
        BorrowFactory(book=book, user=patron)
        BorrowFactory(book=book)
    elif situation == "twice":
        BorrowFactory.create_batch(2, book=book)
        HoldFactory(book=book, user=patron)
    before = Hold.objects.count()

    response = patron_client.post("/holds/", {"book": book.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == code
    assert Hold.objects.count() == before


def test_the_hold_limit_is_a_409(patron, patron_client, settings):
    settings.MAX_OPEN_HOLDS = 1
    first, second = BookFactory(total_copies=1), BookFactory(total_copies=1)
    BorrowFactory(book=first)
    BorrowFactory(book=second)
    HoldFactory(book=first, user=patron)

    response = patron_client.post("/holds/", {"book": second.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "hold_limit_reached"


def test_a_hold_on_an_unknown_book_is_a_404(patron_client):
    response = patron_client.post("/holds/", {"book": 999999}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_librarian_places_a_hold_for_a_patron(librarian, librarian_client, all_out):
    patron = UserFactory()

    response = librarian_client.post(
        "/holds/", {"book": all_out.pk, "user": patron.pk}, format="json"
    )

    assert response.status_code == 201
    hold = Hold.objects.get(pk=response.json()["id"])
    assert hold.user == patron
    assert hold.history.get().history_user == librarian


def test_a_patron_cannot_place_a_hold_for_someone_else(patron_client, all_out):
    response = patron_client.post(
        "/holds/", {"book": all_out.pk, "user": UserFactory().pk}, format="json"
    )

    assert response.status_code == 403
    assert not Hold.objects.exists()


def test_patrons_list_their_own_holds_and_staff_see_all(
    patron, patron_client, auditor_client, all_out
):
    mine = HoldFactory(book=all_out, user=patron)
    theirs = HoldFactory(book=all_out)

    own = patron_client.get("/holds/").json()
    everyone = auditor_client.get("/holds/", {"user": theirs.user_id}).json()

    assert [row["id"] for row in own["results"]] == [mine.pk]
    assert own["results"][0]["position"] == 1
    assert [row["id"] for row in everyone["results"]] == [theirs.pk]
    assert everyone["results"][0]["position"] == 2


def test_a_ready_hold_shows_its_pickup_deadline_and_no_position(patron, patron_client):
    hold = HoldFactory(user=patron, book=BookFactory(total_copies=1), ready=True)

    body = patron_client.get(f"/holds/{hold.pk}/").json()

    assert body["status"] == "ready"
    assert body["position"] is None
    assert body["expires_at"] > timezone.now().isoformat()


def test_someone_elses_hold_is_not_found(patron_client, all_out):
    hold = HoldFactory(book=all_out)

    assert patron_client.get(f"/holds/{hold.pk}/").status_code == 404
    assert patron_client.put(f"/holds/{hold.pk}/cancel/").status_code == 404
    hold.refresh_from_db()
    assert hold.status == "waiting"


def test_cancelling_a_hold_then_again(patron, patron_client, all_out):
    hold = HoldFactory(book=all_out, user=patron)

    first = patron_client.put(f"/holds/{hold.pk}/cancel/")
    second = patron_client.put(f"/holds/{hold.pk}/cancel/")

    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    assert second.status_code == 409 and second.json()["code"] == "hold_closed"


def test_books_show_held_copies_and_waiting_holds(api_client):
    book = BookFactory(total_copies=3)
    HoldFactory(book=book, ready=True)
    BorrowFactory.create_batch(2, book=book)
    HoldFactory.create_batch(2, book=book)

    body = api_client.get(f"/books/{book.pk}/").json()

    assert (body["available_copies"], body["held_copies"], body["on_loan"]) == (0, 1, 2)
    assert body["holds_waiting"] == 2
    assert api_client.get("/books/", {"available": "true"}).json()["count"] == 0


def test_a_return_through_the_api_traps_the_copy_for_the_queue(patron_client, patron):
    book = BookFactory(total_copies=1)
    loan = BorrowFactory(book=book, user=patron)
    waiting = HoldFactory(book=book)

    response = patron_client.put(f"/borrow/{loan.pk}/return/")

    assert response.status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == "ready"
    assert Book.objects.filter(pk=book.pk, available_copies=0, held_copies=1).exists()


def test_the_holder_collects_through_the_api_and_others_cannot(patron, patron_client):
    book = BookFactory(total_copies=1)
    hold = HoldFactory(book=book, user=patron, ready=True)

    other = client_for(UserFactory()).post("/borrow/", {"book": book.pk}, format="json")
    mine = patron_client.post("/borrow/", {"book": book.pk}, format="json")

    assert other.status_code == 409 and other.json()["code"] == "no_copies_available"
    assert mine.status_code == 201
    hold.refresh_from_db()
    assert hold.status == "fulfilled" and hold.borrow_id == mine.json()["id"]


def test_the_holds_list_is_a_constant_number_of_queries(
    auditor_client, django_assert_max_num_queries
):
    for _ in range(6):
        book = BookFactory(total_copies=1)
        BorrowFactory(book=book)
        HoldFactory.create_batch(2, book=book)
    auditor_client.get("/holds/")  # warm the token's user and permissions

    with django_assert_max_num_queries(4):
        response = auditor_client.get("/holds/")

    assert response.json()["count"] == 12
