"""Property-based: arbitrary text, numbers and nesting never give a 500, and a 4xx changes nothing.

Hypothesis throws values at the ISBN parser, the API's bodies and query strings and the
admin's list filters. Every example of one test shares the test's database transaction,
so a 2xx may leave a row behind for the next example; a refusal must leave none.
"""

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from library.isbn import normalize_isbn
from library.models import Author, Book, Borrow
from tests.conftest import client_for

from ..admin.conftest import web_client_for
from ..factories import BookFactory, BorrowFactory, LibrarianFactory, UserFactory, isbn13_for

pytestmark = pytest.mark.django_db

EXAMPLES = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Other scripts' digits (Arabic-Indic, Devanagari, fullwidth, mathematical bold), superscripts.
# The last three are hyphens that are not ASCII's.
FOREIGN_DIGITS = st.sampled_from(
    "\u0663\u0669\u06f5\u096d\uff19\U0001d7d7\U0001d7ce\u00b2\u00b3\u00b9\u2010\u2212\uff0d"
)
# Text the test client can send: any code point but lone surrogates.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
ISBNISH = st.text(st.sampled_from("0123456789Xx- "), min_size=9, max_size=18)
DATES = st.dates(min_value=date.min, max_value=date.max).map(date.isoformat)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-3, max_value=30).map(str),
    st.floats(allow_nan=False, allow_infinity=False),
)
HUGE_TEXT = st.sampled_from(["9" * 25, "9" * 5000, "x" * 20_000, "\x00", "a\x00b"])
SCALARS = st.one_of(
    TEXT,
    NUMBERS,
    st.booleans(),
    st.none(),
    DATES,
    ISBNISH,
    HUGE_TEXT,
    st.builds(lambda head, digit, tail: head + digit + tail, ISBNISH, FOREIGN_DIGITS, ISBNISH),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)
QUERY_VALUES = st.one_of(
    TEXT,
    DATES,
    HUGE_TEXT,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", "true", "false", "1", "0", "12/01/2026", "20260112", "1_0", "1.5"]),
    # The calendar's edges, and the days just inside them.
    st.sampled_from(["0001-01-01", "0001-01-02", "9999-12-30", "9999-12-31"]),
    st.builds(lambda digit: f"2026-0{digit}-01", FOREIGN_DIGITS),
)


def database_state() -> tuple:
    copies = Book.objects.aggregate(total=Sum("total_copies"), available=Sum("available_copies"))
    return (
        Book.objects.count(),
        Author.objects.count(),
        Borrow.objects.count(),
        Borrow.objects.open().count(),
        copies["total"],
        copies["available"],
        Book.history.count(),
        Author.history.count(),
    )


def body_with(fields: list[str]):
    """Objects with the operation's own fields (and stray ones) holding anything, or not
    objects at all."""
    keys = st.one_of(st.sampled_from(fields), TEXT)
    return st.one_of(st.dictionaries(keys, VALUES, max_size=len(fields) + 1), VALUES)


# --- The ISBN parser ------------------------------------------------------------------------


def isbn13_is_valid(isbn: str) -> bool:
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(isbn[:12]))
    return isbn[12] == str((10 - total % 10) % 10)


@EXAMPLES
@given(st.one_of(TEXT, ISBNISH, HUGE_TEXT, st.builds(str.__add__, ISBNISH, FOREIGN_DIGITS)))
def test_the_isbn_parser_returns_an_ascii_isbn13_or_refuses(raw):
    try:
        isbn = normalize_isbn(raw)
    except ValidationError as error:
        assert error.code == "invalid_isbn"
        return
    assert len(isbn) == 13 and isbn.isascii() and isbn.isdigit()
    assert isbn.startswith(("978", "979")) and isbn13_is_valid(isbn)
    assert all(char in "0123456789Xx- " for char in raw.strip())


@EXAMPLES
@given(ISBNISH, FOREIGN_DIGITS, st.integers(min_value=0, max_value=18))
def test_an_isbn_with_any_other_digit_is_refused(raw, digit, at):
    with pytest.raises(ValidationError):
        normalize_isbn(raw[:at] + digit + raw[at:])


@EXAMPLES
@given(st.integers(min_value=0, max_value=999_999_999))
def test_an_isbn10_and_its_isbn13_are_one_book(number):
    first9 = f"{number:09d}"
    isbn10 = first9 + isbn10_check_digit(first9)

    isbn13 = normalize_isbn(isbn10)

    assert isbn13 == normalize_isbn(isbn13) and isbn13.startswith("978" + first9)


# --- Bodies through the API ------------------------------------------------------------------


@pytest.fixture
def library(db):
    book = BookFactory(total_copies=3)
    BorrowFactory(book=book)
    return {"book": book, "librarian": client_for(LibrarianFactory()), "patron": UserFactory()}


def assert_refusal_changed_nothing(response, before):
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert database_state() == before, response.content[:300]


@EXAMPLES
@given(
    body=body_with(
        [
            "title",
            "author",
            "isbn",
            "genre",
            "publication_date",
            "total_copies",
            "available_copies",
            "id",
            "on_loan",
        ]
    ),
    method=st.sampled_from(["post", "put", "patch"]),
)
def test_book_bodies(library, body, method):
    client, book = library["librarian"], library["book"]
    path = "/books/" if method == "post" else f"/books/{book.pk}/"
    before = database_state()

    response = getattr(client, method)(path, body, format="json")

    assert_refusal_changed_nothing(response, before)


# Where each script's 0 is: Arabic-Indic, Extended Arabic-Indic, Devanagari, fullwidth, bold.
SCRIPT_ZEROS = [0x0660, 0x06F0, 0x0966, 0xFF10, 0x1D7CE]
SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"


@st.composite
def valid_isbns_with_one_other_digit(draw) -> str:
    """A valid ISBN-13 or ISBN-10 with one digit written in another script: the same
    number to int(), and either a second spelling of the ISBN or a crash, before."""
    isbn = isbn13_for(draw(st.integers(min_value=0, max_value=999_999_999)))
    if draw(st.booleans()):
        isbn = isbn[3:12] + isbn10_check_digit(isbn[3:12])
    at = draw(st.integers(min_value=0, max_value=len(isbn) - 1).filter(lambda i: isbn[i] != "X"))
    digit = int(isbn[at])
    other = draw(
        st.sampled_from([*(chr(zero + digit) for zero in SCRIPT_ZEROS), SUPERSCRIPTS[digit]])
    )
    return isbn[:at] + other + isbn[at + 1 :]


def isbn10_check_digit(first9: str) -> str:
    check = sum((index + 1) * int(digit) for index, digit in enumerate(first9)) % 11
    return "X" if check == 10 else str(check)


@EXAMPLES
@given(isbn=valid_isbns_with_one_other_digit())
def test_isbns_with_other_digits_in_book_bodies(library, isbn):
    client, book = library["librarian"], library["book"]
    body = {"title": "T", "author": book.author_id, "isbn": isbn, "genre": "Drama"}
    before = database_state()

    created = client.post("/books/", body, format="json")
    changed = client.patch(f"/books/{book.pk}/", {"isbn": isbn}, format="json")

    assert (created.status_code, changed.status_code) == (400, 400)
    assert database_state() == before


@EXAMPLES
@given(body=body_with(["name", "bio", "birthdate", "nationality", "book_count"]))
def test_author_bodies(library, body):
    before = database_state()

    response = library["librarian"].post("/authors/", body, format="json")

    assert_refusal_changed_nothing(response, before)


@EXAMPLES
@given(
    body=st.one_of(
        body_with(["book", "user"]),
        st.fixed_dictionaries(
            {"book": st.integers(min_value=-3, max_value=10)},
            optional={"user": st.integers(min_value=-3, max_value=10)},
        ),
    ),
    who=st.sampled_from(["patron", "librarian"]),
)
def test_borrow_bodies(library, settings, body, who):
    settings.BORROW_RATE = "100000/hour"  # the throttle would answer before the parser
    client = library["librarian"] if who == "librarian" else client_for(library["patron"])
    before = database_state()

    response = client.post("/borrow/", body, format="json")

    assert_refusal_changed_nothing(response, before)


@EXAMPLES
@given(
    depth=st.integers(min_value=1, max_value=5000),
    path=st.sampled_from(["/borrow/", "/books/", "/authors/"]),
)
def test_nesting_of_any_depth(library, settings, depth, path):
    settings.BORROW_RATE = "100000/hour"
    before = database_state()
    body = json.dumps({"book": 1, "name": "n"})[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"

    response = library["librarian"].generic("POST", path, body, content_type="application/json")

    assert 400 <= response.status_code < 500
    assert database_state() == before


# --- Query strings ------------------------------------------------------------------------------

API_PARAMETERS = {
    "/books/": ["genre", "author", "available", "search", "ordering", "page", "page_size"],
    "/borrow/": [
        "genre",
        "author",
        "book",
        "user",
        "borrow_date_after",
        "borrow_date_before",
        "returned",
        "overdue",
        "page",
        "page_size",
        "search",
        "ordering",
    ],
    "/stats/": ["start", "end", "limit"],
    "/books/available-by-genre/": ["genre", "limit"],
}


@EXAMPLES
@given(
    path=st.sampled_from(sorted(API_PARAMETERS)),
    data=st.data(),
    zone=st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12"]),
)
def test_api_query_strings(library, settings, path, data, zone):
    settings.TIME_ZONE = zone
    query = data.draw(
        st.dictionaries(st.sampled_from(API_PARAMETERS[path]), QUERY_VALUES, max_size=4)
    )

    response = library["librarian"].get(path, query)

    assert response.status_code in {200, 400, 404}, (query, response.content[:300])


DATE_PARAMETERS = [
    ("/stats/", "start"),
    ("/stats/", "end"),
    ("/borrow/", "borrow_date_after"),
    ("/borrow/", "borrow_date_before"),
]
EDGE_DATES = st.one_of(
    st.dates(min_value=date.min, max_value=date(1, 2, 1)),
    st.dates(min_value=date(9999, 12, 1), max_value=date.max),
).map(date.isoformat)


@EXAMPLES
@given(
    parameters=st.lists(st.sampled_from(DATE_PARAMETERS), min_size=1, max_size=2, unique=True),
    data=st.data(),
    zone=st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12"]),
)
def test_date_parameters_near_the_calendar_edges(library, settings, parameters, data, zone):
    settings.TIME_ZONE = zone
    path = parameters[0][0]
    query = {
        name: data.draw(st.one_of(EDGE_DATES, DATES, QUERY_VALUES))
        for where, name in parameters
        if where == path
    }

    response = library["librarian"].get(path, query)

    assert response.status_code in {200, 400}, (query, response.content[:300])


ADMIN_PARAMETERS = {
    "/admin/library/book/": [
        "genre",
        "author__id__exact",
        "availability",
        "q",
        "o",
        "p",
        "id__in",
        "total_copies__gte",
        "title__icontains",
        "isbn",
        "publication_date__gte",
    ],
    "/admin/library/borrow/": [
        "returned",
        "overdue",
        "genre",
        "q",
        "borrow_date_from_0",
        "borrow_date_from_1",
        "borrow_date_to_0",
        "borrow_date_to_1",
        "borrow_date__gte",
        "borrow_date__year",
        "user__id__exact",
        "book__id__in",
    ],
    "/admin/library/author/": ["nationality", "q", "id", "birthdate__lt"],
    "/admin/accounts/user/": ["role", "is_active__exact", "q", "date_joined__gte", "id__in"],
}
ADMIN_VALUES = st.one_of(
    QUERY_VALUES,
    st.sampled_from(["01/01/0001", "31/12/9999", "30/12/9999", "25:00", "yes", "no"]),
)


@EXAMPLES
@given(
    path=st.sampled_from(sorted(ADMIN_PARAMETERS)),
    data=st.data(),
    zone=st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12"]),
)
def test_admin_changelist_query_strings(library, settings, path, data, zone):
    settings.TIME_ZONE = zone
    client = web_client_for(LibrarianFactory())
    query = data.draw(
        st.dictionaries(st.sampled_from(ADMIN_PARAMETERS[path]), ADMIN_VALUES, max_size=4)
    )

    response = client.get(path, query)

    assert response.status_code in {200, 302} or 400 <= response.status_code < 500, query
