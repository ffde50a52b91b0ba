from datetime import UTC, datetime

import pytest
import time_machine

from ...factories import AuthorFactory, BookFactory, BorrowFactory, UserFactory

pytestmark = pytest.mark.django_db


def at(day: int, month: int = 3, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def march_loans():
    """Three loans in 1-10 March 2026 and one in February, with known figures."""
    dickens, eliot = AuthorFactory(name="Charles Dickens"), AuthorFactory(name="George Eliot")
    bleak_house = BookFactory(title="Bleak House", author=dickens, genre="Drama")
    middlemarch = BookFactory(title="Middlemarch", author=eliot, genre="Drama")
    ada, ben = UserFactory(username="ada"), UserFactory(username="ben")
    BorrowFactory(
        book=bleak_house, user=ada, borrow_date=at(1), due_date=at(15), return_date=at(5)
    )  # 4 days
    BorrowFactory(
        book=bleak_house, user=ben, borrow_date=at(2), due_date=at(16), return_date=at(4)
    )  # 2 days
    BorrowFactory(book=middlemarch, user=ada, borrow_date=at(3), due_date=at(17))  # still out
    BorrowFactory(
        book=bleak_house,
        user=ben,
        borrow_date=at(20, month=2),
        due_date=at(6),
        return_date=at(21, month=2),
    )
    return {"bleak_house": bleak_house, "middlemarch": middlemarch, "ada": ada, "ben": ben}


def test_stats_for_a_period_match_hand_computed_figures(librarian_client, march_loans):
    response = librarian_client.get("/stats/", {"start": "2026-03-01", "end": "2026-03-10"})

    assert response.status_code == 200
    assert response.data["start"] == "2026-03-01"
    assert response.data["end"] == "2026-03-10"
    assert response.data["borrowed_count"] == 3
    assert [
        (row["title"], row["author"]["name"], row["borrow_count"])
        for row in response.data["most_borrowed_books"]
    ] == [("Bleak House", "Charles Dickens", 2), ("Middlemarch", "George Eliot", 1)]
    assert [
        (row["username"], row["borrow_count"]) for row in response.data["most_active_borrowers"]
    ] == [("ada", 2), ("ben", 1)]
    assert response.data["average_borrow_duration_days"] == 3.0


def test_stats_limit_trims_the_top_lists(librarian_client, march_loans):
    response = librarian_client.get(
        "/stats/", {"start": "2026-03-01", "end": "2026-03-10", "limit": 1}
    )
    assert [row["title"] for row in response.data["most_borrowed_books"]] == ["Bleak House"]
    assert len(response.data["most_active_borrowers"]) == 1


def test_stats_of_an_empty_period(auditor_client, march_loans):
    response = auditor_client.get("/stats/", {"start": "2025-01-01", "end": "2025-01-31"})

    assert response.status_code == 200
    assert response.data["borrowed_count"] == 0
    assert response.data["most_borrowed_books"] == []
    assert response.data["most_active_borrowers"] == []
    assert response.data["average_borrow_duration_days"] is None


def test_stats_default_to_the_last_30_days(librarian_client, march_loans):
    with time_machine.travel(at(10, hour=12), tick=False):
        response = librarian_client.get("/stats/")

    assert response.data["start"] == "2026-02-09"
    assert response.data["end"] == "2026-03-10"
    assert response.data["borrowed_count"] == 4


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-03-10", "end": "2026-03-01"},
        {"start": "tomorrow"},
        {"end": "2026-02-30"},
        {"limit": 0},
        {"limit": 51},
        {"limit": "ten"},
    ],
)
def test_bad_stats_queries_are_400(librarian_client, query):
    assert librarian_client.get("/stats/", query).status_code == 400


def test_available_by_genre_groups_books_on_the_shelf(api_client):
    collins = AuthorFactory(name="Wilkie Collins")
    moonstone = BookFactory(title="The Moonstone", author=collins, genre="Mystery", total_copies=2)
    woman_in_white = BookFactory(
        title="The Woman in White", author=collins, genre="Mystery", total_copies=1
    )
    BorrowFactory(book=woman_in_white)  # its only copy is out
    emma = BookFactory(title="Emma", genre="Romance", total_copies=3)
    BorrowFactory(book=emma)
    BookFactory(title="Withdrawn", genre="Poetry", total_copies=0)

    response = api_client.get("/books/available-by-genre/")

    assert response.status_code == 200
    assert [
        (g["genre"], g["available_copies"], g["available_titles"], [b["id"] for b in g["books"]])
        for g in response.data
    ] == [("Mystery", 2, 1, [moonstone.pk]), ("Romance", 2, 1, [emma.pk])]
    assert response.data[0]["books"][0]["author"] == {"id": collins.pk, "name": "Wilkie Collins"}


def test_available_by_genre_limit_and_genre_filter(api_client):
    for title in ["C", "A", "B"]:
        BookFactory(title=title, genre="Mystery", total_copies=1)
    BookFactory(title="Emma", genre="Romance", total_copies=1)

    limited = api_client.get("/books/available-by-genre/", {"limit": 2, "genre": "Mystery"})

    assert len(limited.data) == 1
    assert limited.data[0]["available_titles"] == 3
    assert [book["title"] for book in limited.data[0]["books"]] == ["A", "B"]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": "x"}, {"limit": 100000}])
def test_available_by_genre_bad_limit_is_400(api_client, query):
    assert api_client.get("/books/available-by-genre/", query).status_code == 400


def test_statistics_show_the_hold_shelf_and_the_queues(librarian_client):
    from ...factories import HoldFactory

    HoldFactory(book=BookFactory(total_copies=1), ready=True)
    out = BookFactory(total_copies=1)
    BorrowFactory(book=out)
    HoldFactory.create_batch(2, book=out)

    body = librarian_client.get("/stats/").json()

    assert (body["held_copies"], body["holds_waiting"]) == (1, 2)
