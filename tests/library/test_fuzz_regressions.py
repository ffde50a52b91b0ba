"""What schemathesis (bin/fuzz) found in the API, each pinned by a test.

Found by fuzzing the live /schema/ as an anonymous visitor, a patron and a librarian; the
fix for each is named in the test's docstring.
"""

import pytest
import yaml

from ..factories import BookFactory, BorrowFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past a 64-bit integer


def test_available_false_lists_the_books_with_no_copy_on_the_shelf(api_client):
    """django-filter gave the filter method the raw string, and "false" is truthy: the
    filter answered the opposite. StrictBooleanFilter now hands methods a bool."""
    on_shelf = BookFactory(total_copies=1, available_copies=1)
    all_out = BookFactory(total_copies=1, available_copies=0)

    response = api_client.get("/books/", {"available": "false"})

    assert response.status_code == 200
    assert [book["id"] for book in response.data["results"]] == [all_out.pk]
    response = api_client.get("/books/", {"available": "true"})
    assert [book["id"] for book in response.data["results"]] == [on_shelf.pk]


@pytest.mark.parametrize("parameter", ["returned", "overdue"])
def test_a_malformed_boolean_filter_is_a_400_not_ignored(patron_client, parameter):
    """returned=null used to be ignored (every borrow listed) though the schema says
    boolean; both flags are strict true/false/1/0 filters now."""
    response = patron_client.get("/borrow/", {parameter: "null"})

    assert response.status_code == 400
    assert parameter in response.data


def test_returned_false_lists_open_loans_only(patron, patron_client):
    from django.utils import timezone

    open_loan = BorrowFactory(user=patron)
    now = timezone.now()
    BorrowFactory(user=patron, borrow_date=now - timezone.timedelta(days=3), return_date=now)

    response = patron_client.get("/borrow/", {"returned": "false"})

    assert [row["id"] for row in response.data["results"]] == [open_loan.pk]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/borrow/", "book"),
        ("/borrow/", "user"),
        ("/borrow/", "author"),
        ("/books/", "author"),
    ],
)
def test_an_id_filter_past_64_bits_is_a_400_not_a_500(librarian_client, path, parameter):
    """NumberFilter passed 10**20 to the database: SQLite cannot bind it (OverflowError,
    a 500). Id filters are bounded whole numbers now."""
    response = librarian_client.get(path, {parameter: HUGE})

    assert response.status_code == 400
    assert parameter in response.data


@pytest.mark.parametrize("page_size", ["null", "0", "-3", "1.5"])
def test_a_malformed_page_size_is_a_400(api_client, page_size):
    """DRF fell back to the default page size on page_size=null; the schema says integer."""
    response = api_client.get("/books/", {"page_size": page_size})

    assert response.status_code == 400
    assert "page_size" in response.data


def test_a_page_size_above_the_maximum_is_a_400(api_client):
    """The schema states page_size 1 to 100; above it is refused, not quietly capped."""
    BookFactory.create_batch(3)

    response = api_client.get("/books/", {"page_size": 101})

    assert response.status_code == 400
    assert response.data == {"page_size": ["A whole number from 1 to 100."]}
    assert len(api_client.get("/books/", {"page_size": 100}).data["results"]) == 3


@pytest.mark.parametrize("path", ["/books/0.5/", "/authors/0.5/", "/books/-1e-146/"])
def test_a_malformed_id_in_the_path_is_a_json_404(api_client, path):
    """The router's [^/.]+ id pattern sent /books/0.5/ to Django's HTML 404 page."""
    response = api_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("book", [1.5, HUGE, int(HUGE), 0])
def test_a_book_id_that_is_not_a_valid_key_is_a_400(patron_client, book):
    """{"book": 1.5} borrowed book 1 (the key was truncated); 10**20 reached the database."""
    BookFactory()

    response = patron_client.post("/borrow/", {"book": book}, format="json")

    assert response.status_code == 400
    assert "book" in response.data


def test_a_book_author_that_is_not_a_valid_key_is_a_400(librarian_client):
    response = librarian_client.post(
        "/books/",
        {"title": "T", "author": 1.5, "isbn": "9780000000002", "genre": "Drama"},
        format="json",
    )

    assert response.status_code == 400
    assert "author" in response.data


def test_form_encoded_bodies_are_refused(librarian_client):
    """Multipart posts were accepted, a blank field silently meaning null where the
    schema says "date". The catalogue and circulation speak JSON only."""
    response = librarian_client.post(
        "/authors/", {"name": "A", "birthdate": ""}, format="multipart"
    )

    assert response.status_code == 415


def test_an_empty_stats_date_is_a_400(librarian_client):
    """?start= (empty) used to mean "the default period"; the schema says a date."""
    response = librarian_client.get("/stats/", {"start": ""})

    assert response.status_code == 400
    assert "start" in response.data


def test_an_empty_genre_means_every_genre(api_client):
    """?genre= was accepted though the schema said minLength 1; blank is now documented
    as "every genre", which is what it did."""
    BookFactory(genre="Drama")
    BookFactory(genre="Poetry")

    response = api_client.get("/books/available-by-genre/", {"genre": ""})

    assert response.status_code == 200
    assert {row["genre"] for row in response.data} == {"Drama", "Poetry"}


def _schema(api_client) -> dict:
    return yaml.safe_load(api_client.get("/schema/").content)


def test_the_schema_documents_the_error_answers(api_client):
    """Every 400/401/403/404/409/429 the API gives was undocumented (ST103)."""
    paths = _schema(api_client)["paths"]

    assert {"201", "400", "401", "403", "409", "429"} <= set(paths["/borrow/"]["post"]["responses"])
    assert {"401", "403", "404", "409"} <= set(paths["/borrow/{id}/return/"]["put"]["responses"])
    assert {"400", "401", "404"} <= set(paths["/books/"]["get"]["responses"])
    assert {"400", "401", "429"} <= set(paths["/auth/login/"]["post"]["responses"])
    # No token, no 401: the health check takes no authentication at all.
    assert "401" not in paths["/health/"]["get"]["responses"]


def test_the_schema_states_the_real_bounds_of_the_stats_parameters(api_client):
    """/stats/ documented ``limit`` as any integer; the view takes 1 to 50."""
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in _schema(api_client)["paths"]["/stats/"]["get"]["parameters"]
    }

    assert parameters["limit"]["minimum"] == 1
    assert parameters["limit"]["maximum"] == 50
    assert parameters["start"]["format"] == "date"


def test_an_empty_borrow_date_bound_is_a_400(patron_client):
    """?borrow_date_before= (empty) was read as "no bound"; the schema says a date."""
    response = patron_client.get("/borrow/", {"borrow_date_before": ""})

    assert response.status_code == 400
    assert "borrow_date" in str(response.data)


@pytest.mark.parametrize("field", ["name", "nationality", "bio"])
def test_text_fields_take_strings_only(librarian_client, field):
    """{"nationality": 0} was stored as "0"; the schema says string."""
    body = {"name": "Ann Other", field: 0}

    response = librarian_client.post("/authors/", body, format="json")

    assert response.status_code == 400
    assert field in response.data


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/books/", "available"),
        ("/books/", "author"),
        ("/borrow/", "book"),
        ("/borrow/", "overdue"),
        ("/borrow/", "returned"),
        ("/stats/", "limit"),
        ("/books/available-by-genre/", "limit"),
    ],
)
def test_an_empty_typed_query_parameter_is_a_400(librarian_client, path, parameter):
    """A longer run (100 examples) found ?available=, ?book=, ?limit= ... (empty) read as
    "not given"; the schema says a number or true/false."""
    response = librarian_client.get(path, {parameter: ""})

    assert response.status_code == 400
    assert parameter in response.data


def test_an_empty_page_is_an_invalid_page(api_client):
    """?page= (empty) was page 1; like ?page=abc it is now an invalid page."""
    response = api_client.get("/books/", {"page": ""})

    assert response.status_code == 404


def test_empty_free_text_filters_still_mean_no_filter(api_client):
    BookFactory(genre="Drama")

    response = api_client.get("/books/", {"genre": "", "search": ""})

    assert response.status_code == 200
    assert response.data["count"] == 1


def test_a_stats_start_after_today_without_an_end_is_a_400(librarian_client):
    """?start=5655-07-23 alone gave a period from 5655 back to today (end defaults to
    today), answered as if it were valid."""
    response = librarian_client.get("/stats/", {"start": "5655-07-23"})

    assert response.status_code == 400
    assert "start" in response.data


def test_a_validation_error_without_a_field_is_still_a_field_map(api_client):
    """?search= with a NUL byte: DRF's SearchFilter refuses it with a bare message, which
    rendered as a JSON list where the schema (and every other 400) has an object."""
    response = api_client.get("/books/", {"search": "a\x00b"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Null characters are not allowed."]}
