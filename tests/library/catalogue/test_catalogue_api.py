import pytest

from library.models import Author, Book

from ...factories import AuthorFactory, BookFactory, BorrowFactory

pytestmark = pytest.mark.django_db


def book_payload(writer, **overrides):
    payload = {
        "title": "The Moonstone",
        "author": writer.pk,
        "isbn": "978-0-14-043408-8",
        "genre": "Mystery",
        "publication_date": "1868-01-01",
        "total_copies": 4,
    }
    payload.update(overrides)
    return payload


# --- Reading the catalogue -----------------------------------------------------------------


def test_anyone_can_list_books_with_author_and_copies(api_client):
    book = BookFactory(title="Emma", total_copies=3)
    BorrowFactory(book=book)

    response = api_client.get("/books/")

    assert response.status_code == 200
    assert response.data["count"] == 1
    row = response.data["results"][0]
    assert row["title"] == "Emma"
    assert row["author_name"] == book.author.name
    assert (row["total_copies"], row["available_copies"], row["on_loan"]) == (3, 2, 1)


def test_books_filter_by_genre_author_and_availability(api_client):
    austen = AuthorFactory(name="Jane Austen")
    emma = BookFactory(title="Emma", author=austen, genre="Romance")
    BookFactory(title="Persuasion", author=austen, genre="Romance", total_copies=0)
    BookFactory(title="Dracula", genre="Gothic")

    by_genre = api_client.get("/books/", {"genre": "romance"})
    by_author_available = api_client.get("/books/", {"author": austen.pk, "available": "true"})

    assert {row["title"] for row in by_genre.data["results"]} == {"Emma", "Persuasion"}
    assert [row["id"] for row in by_author_available.data["results"]] == [emma.pk]


def test_books_search_matches_title_isbn_and_author_name(api_client):
    BookFactory(title="Dracula", author=AuthorFactory(name="Bram Stoker"))
    moonstone = BookFactory(title="The Moonstone", isbn="9780140434088")

    assert api_client.get("/books/", {"search": "stoker"}).data["results"][0]["title"] == "Dracula"
    found = api_client.get("/books/", {"search": "9780140434088"}).data["results"]
    assert [row["id"] for row in found] == [moonstone.pk]


def test_books_ordering_and_pagination(api_client):
    for title in ["Cranford", "Adam Bede", "Beowulf"]:
        BookFactory(title=title)

    response = api_client.get("/books/", {"ordering": "-title", "page_size": 2})

    assert response.data["count"] == 3
    assert [row["title"] for row in response.data["results"]] == ["Cranford", "Beowulf"]
    assert response.data["next"] is not None


def test_page_beyond_the_end_is_404_and_huge_page_size_is_400(api_client):
    BookFactory.create_batch(3)

    assert api_client.get("/books/", {"page": 999999}).status_code == 404
    assert api_client.get("/books/", {"page": "abc"}).status_code == 404
    assert api_client.get("/books/", {"page_size": 10**9}).status_code == 400


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"author": "abc"}, "author"),
        ({"author": "99999999999999999999999"}, "author"),
        ({"available": "perhaps"}, "available"),
    ],
)
def test_malformed_filters_are_400_naming_the_filter(api_client, query, field):
    BookFactory()
    response = api_client.get("/books/", query)
    assert response.status_code == 400
    assert field in response.data


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "99999999999999999999999999"])
def test_unknown_or_malformed_book_ids_are_404(api_client, bad_id):
    response = api_client.get(f"/books/{bad_id}/")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"


# --- Writing the catalogue -----------------------------------------------------------------


def test_librarian_creates_a_book_with_isbn10_stored_as_isbn13(librarian_client, librarian):
    author = AuthorFactory()

    response = librarian_client.post(
        "/books/", book_payload(author, isbn="0-14-043408-9"), format="json"
    )

    assert response.status_code == 201, response.data
    book = Book.objects.get(pk=response.data["id"])
    assert book.isbn == "9780140434088"
    assert (book.total_copies, book.available_copies) == (4, 4)
    assert book.history.first().history_user == librarian


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"isbn": "9780140434089"}, "isbn"),
        ({"isbn": "not an isbn"}, "isbn"),
        ({"total_copies": -1}, "total_copies"),
        ({"total_copies": "many"}, "total_copies"),
        ({"total_copies": 2, "available_copies": 3}, "available_copies"),
        ({"available_copies": -2}, "available_copies"),
        ({"total_copies": 10**12}, "total_copies"),
        ({"author": 987654}, "author"),
        ({"author": "someone"}, "author"),
        ({"publication_date": "yesterday"}, "publication_date"),
        ({"publication_date": "1868-02-30"}, "publication_date"),
        ({"title": ""}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"genre": "   "}, "genre"),
    ],
)
def test_bad_book_input_is_400_with_the_field_named_and_changes_nothing(
    librarian_client, overrides, field
):
    author = AuthorFactory()

    response = librarian_client.post("/books/", book_payload(author, **overrides), format="json")

    assert response.status_code == 400
    assert field in response.data
    assert Book.objects.count() == 0


def test_duplicate_isbn_in_another_form_is_refused(librarian_client):
    existing = BookFactory(isbn="9780140434088")

    response = librarian_client.post(
        "/books/", book_payload(existing.author, isbn="0140434089"), format="json"
    )

    assert response.status_code == 400
    assert "isbn" in response.data
    assert Book.objects.count() == 1


def test_adding_copies_moves_available_by_the_same_amount(librarian_client):
    book = BookFactory(total_copies=3)
    BorrowFactory(book=book)

    response = librarian_client.patch(f"/books/{book.pk}/", {"total_copies": 5}, format="json")

    assert response.status_code == 200
    book.refresh_from_db()
    assert (book.total_copies, book.available_copies) == (5, 4)
    assert response.data["on_loan"] == 1


def test_total_copies_cannot_drop_below_copies_on_loan(librarian_client):
    book = BookFactory(total_copies=3)
    BorrowFactory.create_batch(2, book=book)

    response = librarian_client.patch(f"/books/{book.pk}/", {"total_copies": 1}, format="json")

    assert response.status_code == 400
    assert "on loan" in str(response.data["total_copies"])
    book.refresh_from_db()
    assert (book.total_copies, book.available_copies) == (3, 1)


def test_available_copies_cannot_exceed_total_minus_on_loan(librarian_client):
    book = BookFactory(total_copies=3)
    BorrowFactory(book=book)

    response = librarian_client.patch(f"/books/{book.pk}/", {"available_copies": 3}, format="json")

    assert response.status_code == 400
    assert "available_copies" in response.data
    book.refresh_from_db()
    assert book.available_copies == 2


def test_staff_can_withhold_copies_from_the_shelf(librarian_client):
    book = BookFactory(total_copies=3)

    response = librarian_client.patch(f"/books/{book.pk}/", {"available_copies": 1}, format="json")

    assert response.status_code == 200
    book.refresh_from_db()
    assert (book.total_copies, book.available_copies) == (3, 1)


def test_put_replaces_a_book(librarian_client):
    book = BookFactory(title="Old title")
    payload = book_payload(book.author, title="New title", isbn=book.isbn, total_copies=3)

    response = librarian_client.put(f"/books/{book.pk}/", payload, format="json")

    assert response.status_code == 200, response.data
    book.refresh_from_db()
    assert book.title == "New title"


def test_deleting_a_never_borrowed_book_works(librarian_client):
    book = BookFactory()
    assert librarian_client.delete(f"/books/{book.pk}/").status_code == 204
    assert not Book.objects.filter(pk=book.pk).exists()


def test_deleting_a_book_with_borrow_history_is_409(librarian_client):
    borrow = BorrowFactory(return_date=None)

    response = librarian_client.delete(f"/books/{borrow.book_id}/")

    assert response.status_code == 409
    assert response.data["code"] == "protected"
    assert Book.objects.filter(pk=borrow.book_id).exists()


def test_deleting_an_author_with_books_is_409(librarian_client):
    book = BookFactory()

    response = librarian_client.delete(f"/authors/{book.author_id}/")

    assert response.status_code == 409
    assert response.data == {
        "detail": "This author has books in the catalogue; delete or reassign them first.",
        "code": "protected",
    }
    assert Author.objects.filter(pk=book.author_id).exists()


def test_authors_crud_and_book_count(librarian_client, api_client):
    created = librarian_client.post(
        "/authors/", {"name": "Wilkie Collins", "nationality": "British"}, format="json"
    )
    assert created.status_code == 201
    author_id = created.data["id"]
    BookFactory.create_batch(2, author_id=author_id)

    listed = api_client.get("/authors/", {"search": "wilkie"})
    assert listed.data["results"][0]["book_count"] == 2

    updated = librarian_client.put(
        f"/authors/{author_id}/", {"name": "W. Collins", "birthdate": "1824-01-08"}, format="json"
    )
    assert updated.status_code == 200
    assert Author.objects.get(pk=author_id).name == "W. Collins"

    empty = AuthorFactory()
    assert librarian_client.delete(f"/authors/{empty.pk}/").status_code == 204


@pytest.mark.parametrize(
    "payload", [{}, {"name": ""}, {"name": "A", "birthdate": "1824-13-01"}, {"name": "x" * 300}]
)
def test_bad_author_input_is_400(librarian_client, payload):
    response = librarian_client.post("/authors/", payload, format="json")
    assert response.status_code == 400
    assert Author.objects.count() == 0


def test_available_by_genre_never_counts_a_held_copy_and_shows_the_queue(api_client):
    from ...factories import HoldFactory

    shelf_and_hold = BookFactory(genre="Gothic", total_copies=3)
    HoldFactory(book=shelf_and_hold, ready=True)  # 2 on the shelf, 1 on the hold shelf
    all_out = BookFactory(genre="Gothic", total_copies=1)
    BorrowFactory(book=all_out)
    HoldFactory.create_batch(2, book=all_out)

    (gothic,) = api_client.get("/books/available-by-genre/", {"genre": "Gothic"}).json()

    assert (gothic["available_copies"], gothic["available_titles"]) == (2, 1)
    assert (gothic["held_copies"], gothic["holds_waiting"]) == (1, 2)
    assert [(b["id"], b["available_copies"], b["held_copies"]) for b in gothic["books"]] == [
        (shelf_and_hold.pk, 2, 1)
    ]
