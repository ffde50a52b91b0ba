from datetime import timedelta

import pytest
from django.utils import timezone

from library.models import Borrow

from ...conftest import client_for
from ...factories import AuthorFactory, BookFactory, BorrowFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_patron_borrows_a_book_and_the_shelf_count_drops(patron_client, patron):
    book = BookFactory(total_copies=2)

    response = patron_client.post("/borrow/", {"book": book.pk}, format="json")

    assert response.status_code == 201
    assert response.data["book"] == book.pk
    assert response.data["borrowed_by"] == patron.username
    assert response.data["is_returned"] is False
    due = timezone.datetime.fromisoformat(response.data["due_date"])
    borrowed = timezone.datetime.fromisoformat(response.data["borrow_date"])
    assert due - borrowed == timedelta(days=14)
    book.refresh_from_db()
    assert book.available_copies == 1
    borrow = Borrow.objects.get(pk=response.data["id"])
    assert borrow.history.first().history_user == patron


def test_borrowing_the_last_copy_then_no_copies_available(patron_client):
    book = BookFactory(total_copies=1)
    BorrowFactory(book=book)

    response = patron_client.post("/borrow/", {"book": book.pk}, format="json")

    assert response.status_code == 409
    assert response.data["code"] == "no_copies_available"
    book.refresh_from_db()
    assert book.available_copies == 0


def test_a_patron_cannot_hold_two_copies_of_one_book(patron_client, patron):
    book = BookFactory(total_copies=3)
    BorrowFactory(book=book, user=patron)

    response = patron_client.post("/borrow/", {"book": book.pk}, format="json")

    assert response.status_code == 409
    assert response.data["code"] == "already_borrowed"
    book.refresh_from_db()
    assert book.available_copies == 2


def test_loan_limit_refuses_the_sixth_open_loan(patron_client, patron):
    for _ in range(5):
        BorrowFactory(user=patron)
    book = BookFactory()

    response = patron_client.post("/borrow/", {"book": book.pk}, format="json")

    assert response.status_code == 409
    assert response.data["code"] == "loan_limit_reached"
    assert Borrow.objects.filter(user=patron).count() == 5


def test_a_returned_book_can_be_borrowed_again(patron_client, patron):
    book = BookFactory(total_copies=1)
    now = timezone.now()
    BorrowFactory(book=book, user=patron, borrow_date=now - timedelta(days=2), return_date=now)

    assert patron_client.post("/borrow/", {"book": book.pk}, format="json").status_code == 201


@pytest.mark.parametrize(
    "payload", [{}, {"book": None}, {"book": "abc"}, {"book": [1]}, {"book": -1}]
)
def test_malformed_borrow_requests_are_400_and_change_nothing(patron_client, payload):
    book = BookFactory()

    response = patron_client.post("/borrow/", payload, format="json")

    assert response.status_code == 400
    assert "book" in response.data
    book.refresh_from_db()
    assert book.available_copies == book.total_copies
    assert Borrow.objects.count() == 0


def test_patron_returns_a_book_and_the_copy_goes_back(patron_client, patron):
    borrow = BorrowFactory(user=patron, book=BookFactory(total_copies=1))

    response = patron_client.put(f"/borrow/{borrow.pk}/return/")

    assert response.status_code == 200
    assert response.data["is_returned"] is True
    assert response.data["return_date"] is not None
    borrow.refresh_from_db()
    assert borrow.return_date is not None
    borrow.book.refresh_from_db()
    assert borrow.book.available_copies == 1


def test_returning_twice_is_409_and_counts_once(patron_client, patron):
    borrow = BorrowFactory(user=patron, book=BookFactory(total_copies=2))
    patron_client.put(f"/borrow/{borrow.pk}/return/")

    response = patron_client.put(f"/borrow/{borrow.pk}/return/")

    assert response.status_code == 409
    assert response.data["code"] == "already_returned"
    borrow.book.refresh_from_db()
    assert borrow.book.available_copies == 2


def test_someone_elses_borrow_is_404_for_a_patron(patron_client):
    borrow = BorrowFactory()

    assert patron_client.put(f"/borrow/{borrow.pk}/return/").status_code == 404
    assert patron_client.get(f"/borrow/{borrow.pk}/").status_code == 404
    borrow.refresh_from_db()
    assert borrow.return_date is None


def test_librarian_returns_a_patrons_book(librarian_client, librarian):
    borrow = BorrowFactory()

    response = librarian_client.put(f"/borrow/{borrow.pk}/return/")

    assert response.status_code == 200
    borrow.refresh_from_db()
    assert borrow.return_date is not None
    assert borrow.history.first().history_user == librarian


def test_auditor_cannot_borrow_or_return(auditor_client):
    borrow = BorrowFactory()

    assert auditor_client.post("/borrow/", {"book": borrow.book_id}).status_code == 403
    assert auditor_client.put(f"/borrow/{borrow.pk}/return/").status_code == 403
    borrow.refresh_from_db()
    assert borrow.return_date is None


@pytest.mark.parametrize("bad_id", ["abc", "0", "99999999999999999999999999"])
def test_return_of_a_malformed_or_unknown_id_is_404(patron_client, bad_id):
    response = patron_client.put(f"/borrow/{bad_id}/return/")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"


# --- History -----------------------------------------------------------------------------


def test_patrons_see_only_their_own_borrows_with_status(patron_client, patron):
    now = timezone.now()
    mine_open = BorrowFactory(user=patron)
    mine_returned = BorrowFactory(
        user=patron, borrow_date=now - timedelta(days=3), return_date=now - timedelta(days=1)
    )
    BorrowFactory()  # someone else's

    response = patron_client.get("/borrow/")

    assert response.status_code == 200
    rows = {row["id"]: row for row in response.data["results"]}
    assert set(rows) == {mine_open.pk, mine_returned.pk}
    assert rows[mine_open.pk]["is_returned"] is False
    assert rows[mine_returned.pk]["is_returned"] is True
    assert rows[mine_open.pk]["book_title"] == mine_open.book.title
    assert rows[mine_open.pk]["author_name"] == mine_open.book.author.name


def test_history_filters_genre_author_dates_returned_overdue(patron_client, patron):
    now = timezone.now()
    dickens = AuthorFactory(name="Charles Dickens")
    gothic_old = BorrowFactory(
        user=patron,
        book=BookFactory(genre="Gothic"),
        borrow_date=now - timedelta(days=40),
        due_date=now - timedelta(days=26),
    )
    dickens_returned = BorrowFactory(
        user=patron,
        book=BookFactory(author=dickens, genre="Drama"),
        borrow_date=now - timedelta(days=10),
        return_date=now - timedelta(days=2),
    )
    recent = BorrowFactory(user=patron, book=BookFactory(genre="Drama"))

    def ids(**query):
        response = patron_client.get("/borrow/", query)
        assert response.status_code == 200, response.data
        return {row["id"] for row in response.data["results"]}

    assert ids(genre="gothic") == {gothic_old.pk}
    assert ids(author=dickens.pk) == {dickens_returned.pk}
    assert ids(returned="true") == {dickens_returned.pk}
    assert ids(returned="false") == {gothic_old.pk, recent.pk}
    assert ids(overdue="true") == {gothic_old.pk}
    assert ids(overdue="false") == {dickens_returned.pk, recent.pk}
    after = (now - timedelta(days=11)).date().isoformat()
    before = (now - timedelta(days=9)).date().isoformat()
    assert ids(borrow_date_after=after, borrow_date_before=before) == {dickens_returned.pk}
    assert ids(borrow_date_before=(now - timedelta(days=30)).date().isoformat()) == {gothic_old.pk}


def test_overdue_rows_are_flagged(patron_client, patron):
    now = timezone.now()
    BorrowFactory(
        user=patron, borrow_date=now - timedelta(days=20), due_date=now - timedelta(days=6)
    )

    row = patron_client.get("/borrow/").data["results"][0]

    assert row["is_overdue"] is True


@pytest.mark.parametrize(
    "query",
    [
        {"borrow_date_after": "not-a-date"},
        {"borrow_date_before": "2026-02-30"},
        {"author": "abc"},
        {"genre": "x" * 5000, "page": "0"},
    ],
)
def test_malformed_history_filters_are_4xx(patron_client, query):
    response = patron_client.get("/borrow/", query)
    assert 400 <= response.status_code < 500


def test_librarian_sees_all_borrows_and_filters_by_user(librarian_client):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    BorrowFactory(user=alice)
    bobs = BorrowFactory(user=bob)

    everyone = librarian_client.get("/borrow/")
    only_bob = librarian_client.get("/borrow/", {"user": bob.pk})

    assert everyone.data["count"] == 2
    assert [row["id"] for row in only_bob.data["results"]] == [bobs.pk]


def test_auditor_reads_all_borrows(auditor_client):
    BorrowFactory.create_batch(2)
    assert auditor_client.get("/borrow/").data["count"] == 2


def test_borrow_throttle_refuses_the_21st_request_in_an_hour(patron):
    client = client_for(patron)
    book = BookFactory(total_copies=1)
    for attempt in range(20):
        borrowed = client.post("/borrow/", {"book": book.pk}, format="json")
        assert borrowed.status_code == 201, (attempt, borrowed.data)
        client.put(f"/borrow/{borrowed.data['id']}/return/")

    response = client.post("/borrow/", {"book": book.pk}, format="json")

    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert Borrow.objects.filter(user=patron).count() == 20
    other = client_for(UserFactory())
    assert other.post("/borrow/", {"book": book.pk}, format="json").status_code == 201
