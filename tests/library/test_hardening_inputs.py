"""Inputs the API used to answer with a 500, or to misread; each is a 4xx that changes nothing."""

import pytest
from django.db.models import Sum
from django.utils import timezone

from library.models import Author, Book, Borrow
from tests.conftest import client_for

from ..factories import AuditorFactory, AuthorFactory, BookFactory, BorrowFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = 2**64
ARABIC_INDIC, FULLWIDTH, MATH_BOLD = 0x0660, 0xFF10, 0x1D7CE  # where each script's 0 is


def in_digits(text: str, zero: int) -> str:
    """``text`` with its ASCII digits written in another script's digits."""
    return text.translate({ord("0") + n: chr(zero + n) for n in range(10)})


# UTC+14 and UTC-12: a day at the calendar's edge has no start or no end in UTC.
EAST, WEST = "Pacific/Kiritimati", "Etc/GMT+12"


def state() -> tuple:
    copies = Book.objects.aggregate(total=Sum("total_copies"), available=Sum("available_copies"))
    return (
        Book.objects.count(),
        Author.objects.count(),
        Borrow.objects.count(),
        Borrow.objects.open().count(),
        copies["total"],
        copies["available"],
    )


def post_raw(client, path: str, body: str, method: str = "POST"):
    return client.generic(method, path, body, content_type="application/json")


# --- Bodies nested too deeply, or not objects ---------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_deeply_nested_login_body_is_a_400_before_anything_reads_it(api_client):
    response = post_raw(api_client, "/auth/login/", nested(5000))

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested" in response.json()["detail"]


@pytest.mark.parametrize(
    ("who", "path"),
    [("patron", "/borrow/"), ("librarian", "/books/"), ("librarian", "/authors/")],
)
def test_deeply_nested_bodies_are_a_400_and_change_nothing(patron, librarian, who, path):
    BookFactory()
    client = client_for(patron if who == "patron" else librarian)
    before = state()

    response = post_raw(client, path, '{"book": ' + nested(100_000) + "}")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert state() == before


def test_nesting_up_to_the_limit_is_read_and_brackets_in_strings_do_not_count(librarian_client):
    at_limit = post_raw(librarian_client, "/authors/", '{"name": ' + nested(31) + "}")
    in_text = librarian_client.post("/authors/", {"name": "[" * 200}, format="json")

    assert at_limit.status_code == 400
    assert "name" in at_limit.json()  # a field error: the body was parsed
    assert in_text.status_code == 201
    assert Author.objects.get().name == "[" * 200


@pytest.mark.parametrize("body", ["[]", '"x"', "1", "null", "true", "[{}]"])
@pytest.mark.parametrize(("who", "path"), [("patron", "/borrow/"), ("librarian", "/books/")])
def test_a_body_that_is_not_an_object_is_a_400(patron, librarian, who, path, body):
    BookFactory()
    client = client_for(patron if who == "patron" else librarian)
    before = state()

    response = post_raw(client, path, body)

    assert response.status_code == 400
    assert state() == before


# --- ISBNs: ASCII digits only ---------------------------------------------------------------


@pytest.mark.parametrize(
    "isbn",
    [
        # An ISBN-10 in Arabic-Indic digits, and one fullwidth digit: both were stored
        # beside the ASCII form of the same ISBN.
        in_digits("0141439513", ARABIC_INDIC),
        "97801414395" + in_digits("1", FULLWIDTH) + "8",
        "014143951\u00b3",  # a superscript 3: int() refused it in the check-digit sum (a 500)
        in_digits("9780141439518", ARABIC_INDIC),
        in_digits("9780141439518", MATH_BOLD),
        "978\u20100\u201014\u2010143951\u20108",  # Unicode hyphens
    ],
)
def test_isbns_with_digits_other_than_ascii_are_refused(librarian_client, isbn):
    existing = BookFactory(isbn="9780141439518")
    other = BookFactory()
    before = state()

    created = librarian_client.post(
        "/books/",
        {"title": "T", "author": existing.author_id, "isbn": isbn, "genre": "Drama"},
        format="json",
    )
    changed = librarian_client.patch(f"/books/{other.pk}/", {"isbn": isbn}, format="json")

    assert created.status_code == 400
    assert "isbn" in created.json()
    assert changed.status_code == 400
    assert state() == before
    assert set(Book.objects.values_list("isbn", flat=True)) == {"9780141439518", other.isbn}


# --- Dates: ISO 8601, and none at the calendar's edge ----------------------------------------


@pytest.mark.parametrize("zone", ["UTC", EAST, WEST])
@pytest.mark.parametrize(
    "query",
    [
        {"start": "0001-01-01"},
        {"end": "9999-12-31"},
        {"start": "9999-12-31", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-01-01"},
    ],
)
def test_stats_dates_at_the_calendar_edges_are_a_400(librarian_client, settings, zone, query):
    settings.TIME_ZONE = zone

    response = librarian_client.get("/stats/", query)

    assert response.status_code == 400
    assert set(response.json()) == set(query)


@pytest.mark.parametrize("zone", ["UTC", EAST, WEST])
def test_stats_take_the_first_and_last_days_of_every_time_zone(librarian_client, settings, zone):
    settings.TIME_ZONE = zone

    first = librarian_client.get("/stats/", {"start": "0001-01-02", "end": "0001-01-31"})
    last = librarian_client.get("/stats/", {"start": "9999-12-01", "end": "9999-12-30"})
    # The default start is 29 days before the end: near the first day, what is left.
    short = librarian_client.get("/stats/", {"end": "0001-01-05"})

    assert (first.status_code, last.status_code, short.status_code) == (200, 200, 200)
    assert last.json()["borrowed_count"] == 0
    assert (short.json()["start"], short.json()["end"]) == ("0001-01-02", "0001-01-05")


@pytest.mark.parametrize(
    "value",
    ["12/01/2026", "20260112", "2026-W03-1", in_digits("2026-01-12", ARABIC_INDIC), "2026-1-5"],
)
@pytest.mark.parametrize("parameter", ["borrow_date_after", "borrow_date_before"])
def test_borrow_date_filters_are_iso_8601_only(librarian_client, parameter, value):
    BorrowFactory()

    response = librarian_client.get("/borrow/", {parameter: value})

    assert response.status_code == 400
    assert "borrow_date" in response.json()


@pytest.mark.parametrize(
    ("zone", "query"),
    [
        (EAST, {"borrow_date_after": "0001-01-01"}),
        (WEST, {"borrow_date_before": "9999-12-31"}),
        ("UTC", {"borrow_date_before": "9999-12-31"}),
    ],
)
def test_borrow_date_filters_at_the_calendar_edges_are_a_400(
    librarian_client, settings, zone, query
):
    settings.TIME_ZONE = zone
    BorrowFactory()

    response = librarian_client.get("/borrow/", query)

    assert response.status_code == 400
    assert "borrow_date" in response.json()


def test_a_borrow_date_filter_reads_year_month_day(librarian_client):
    borrow = BorrowFactory(borrow_date=timezone.now().replace(year=2026, month=1, day=12))

    day_first = librarian_client.get("/borrow/", {"borrow_date_after": "2026-12-01"})
    iso = librarian_client.get(
        "/borrow/", {"borrow_date_after": "2026-01-12", "borrow_date_before": "2026-01-12"}
    )

    assert day_first.json()["count"] == 0
    assert [row["id"] for row in iso.json()["results"]] == [borrow.pk]


@pytest.mark.parametrize(
    "birthdate", ["20260112", "2026-W03-1", in_digits("2026-01-12", ARABIC_INDIC), "12/01/2026"]
)
def test_body_dates_are_iso_8601_only(librarian_client, birthdate):
    response = librarian_client.post(
        "/authors/", {"name": "Ann Other", "birthdate": birthdate}, format="json"
    )

    assert response.status_code == 400
    assert "birthdate" in response.json()
    assert Author.objects.count() == 0


# --- POST /borrow/: unknown books, and lending to a patron -----------------------------------


def test_borrowing_an_unknown_book_is_a_404_from_the_service(patron_client):
    BookFactory()
    before = state()

    response = patron_client.post("/borrow/", {"book": 987654}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such book.", "code": "not_found"}
    assert state() == before


def test_a_librarian_lends_a_book_to_a_patron(librarian, librarian_client, patron):
    book = BookFactory(total_copies=2)

    response = librarian_client.post(
        "/borrow/", {"book": book.pk, "user": patron.pk}, format="json"
    )

    assert response.status_code == 201, response.json()
    borrow = Borrow.objects.get()
    assert (borrow.user, response.json()["borrowed_by"]) == (patron, patron.username)
    assert response.json()["book_title"] == book.title
    assert borrow.history.first().history_user == librarian
    book.refresh_from_db()
    assert book.available_copies == 1


def test_a_patron_naming_another_user_is_refused(patron_client, patron):
    book = BookFactory()
    other = UserFactory()
    before = state()

    response = patron_client.post("/borrow/", {"book": book.pk, "user": other.pk}, format="json")
    unknown = patron_client.post("/borrow/", {"book": book.pk, "user": 987654}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed_to_lend"
    assert (unknown.status_code, unknown.json()["code"]) == (403, "not_allowed_to_lend")
    assert state() == before


def test_a_patron_naming_themself_borrows_as_usual(patron_client, patron):
    book = BookFactory()

    response = patron_client.post("/borrow/", {"book": book.pk, "user": patron.pk}, format="json")

    assert response.status_code == 201
    assert Borrow.objects.get().user == patron


def test_a_librarian_lending_to_an_unknown_user_gets_a_404(librarian_client):
    book = BookFactory()
    before = state()

    response = librarian_client.post("/borrow/", {"book": book.pk, "user": 987654}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such user.", "code": "not_found"}
    assert state() == before


def test_a_librarian_cannot_lend_to_an_auditor(librarian_client):
    book = BookFactory()
    before = state()

    response = librarian_client.post(
        "/borrow/", {"book": book.pk, "user": AuditorFactory().pk}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed_to_borrow"
    assert state() == before


@pytest.mark.parametrize(
    "user", ["abc", 0, -1, HUGE, 1.5, True, None, in_digits("3", ARABIC_INDIC), [1]]
)
def test_a_malformed_user_is_a_400(librarian_client, user):
    book = BookFactory()
    before = state()

    response = librarian_client.post("/borrow/", {"book": book.pk, "user": user}, format="json")

    assert response.status_code == 400
    assert "user" in response.json()
    assert state() == before


# --- Unknown fields are refused, never ignored -----------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "refused"),
    [
        ("post", "/borrow/", lambda ids: {"book": ids["book"], "usr": 5}, "usr"),
        ("post", "/authors/", lambda ids: {"name": "Ann", "nmae": "Ann"}, "nmae"),
        (
            "post",
            "/books/",
            lambda ids: {
                "title": "T",
                "author": ids["author"],
                "isbn": "9780141439518",
                "genre": "Drama",
                "copies": 4,
            },
            "copies",
        ),
        ("patch", "/books/{book}/", lambda ids: {"genre": "Crime", "on_loan": 5}, "on_loan"),
        ("patch", "/books/{book}/", lambda ids: {"genre": "Crime", "id": 99}, "id"),
        ("put", "/authors/{author}/", lambda ids: {"name": "Ann", "book_count": 3}, "book_count"),
        ("put", "/borrow/{borrow}/return/", lambda ids: {"reason": "late"}, "reason"),
        ("post", "/reports/", lambda ids: {"format": "csv"}, "format"),
    ],
)
def test_unknown_and_read_only_fields_are_refused(librarian_client, method, path, body, refused):
    book = BookFactory(genre="Drama")
    borrow = BorrowFactory()
    ids = {"book": book.pk, "author": book.author_id, "borrow": borrow.pk}
    before = state()

    response = getattr(librarian_client, method)(path.format(**ids), body(ids), format="json")

    assert response.status_code == 400
    assert refused in response.json()
    assert state() == before
    book.refresh_from_db()
    assert book.genre == "Drama"


def test_unknown_fields_are_reported_with_the_other_errors(librarian_client):
    response = librarian_client.post("/authors/", {"nmae": "Ann"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."], "nmae": ["Unknown field."]}


def test_an_empty_body_still_returns_a_loan(patron, patron_client):
    borrow = BorrowFactory(user=patron)

    response = patron_client.put(f"/borrow/{borrow.pk}/return/", {}, format="json")

    assert response.status_code == 200


def test_the_schema_says_request_bodies_take_no_other_keys(api_client):
    import yaml

    components = yaml.safe_load(api_client.get("/schema/").content)["components"]["schemas"]

    for name in ("BookRequest", "PatchedBookRequest", "AuthorRequest", "BorrowCreateRequest"):
        assert components[name]["additionalProperties"] is False, name
    assert "user" in components["BorrowCreateRequest"]["properties"]


# --- Ids in URLs ----------------------------------------------------------------------------


def test_an_id_in_other_digits_names_no_record(api_client, patron, patron_client):
    book = BookFactory()
    borrow = BorrowFactory(user=patron, book=book)

    shown = api_client.get(f"/books/{in_digits(str(book.pk), ARABIC_INDIC)}/")
    returned = patron_client.put(f"/borrow/{in_digits(str(borrow.pk), ARABIC_INDIC)}/return/")

    assert shown.status_code == 404
    assert returned.status_code == 404
    assert returned.json()["code"] == "not_found"
    borrow.refresh_from_db()
    assert borrow.return_date is None


@pytest.mark.parametrize("raw", ["1_0", " 1", "+1", "1.0", str(HUGE), "0"])
def test_malformed_ids_in_urls_are_404(api_client, raw):
    AuthorFactory.create_batch(2)

    assert api_client.get(f"/authors/{raw}/").status_code == 404
