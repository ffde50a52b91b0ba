"""What the admin reads from URLs, forms, action selections and list filters: no 500s."""

import pytest
from django.urls import reverse

from library.models import Book, Borrow
from tests.factories import BookFactory, BorrowFactory, UserFactory

from .conftest import messages_of, web_client_for
from .test_catalogue import book_form

pytestmark = pytest.mark.django_db

HUGE = str(2**64)
ARABIC_INDIC = 0x0660
EAST, WEST = "Pacific/Kiritimati", "Etc/GMT+12"  # UTC+14, UTC-12
BOOKS = reverse("admin:library_book_changelist")
BORROWS = reverse("admin:library_borrow_changelist")


def in_digits(text: str, zero: int) -> str:
    return text.translate({ord("0") + n: chr(zero + n) for n in range(10)})


def open_loans() -> int:
    return Borrow.objects.open().count()


BAD_IDS = ["abc", "1.5", "-1", "0", HUGE, "1_0", "%00"]


# --- Ids in URLs: history pages ---------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(
    "model", ["library_book", "library_author", "library_borrow", "accounts_user"]
)
def test_a_history_page_for_a_malformed_id_is_a_404(librarian_web, borrowed_book, model, bad):
    url = reverse(f"admin:{model}_history", args=["1"]).replace("/1/", f"/{bad}/")

    assert librarian_web.get(url).status_code == 404


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_history_record_page_for_a_malformed_id_is_a_404(librarian_web, book, bad):
    record = book.history.get()
    record_url = reverse("admin:library_book_simple_history", args=[book.pk, record.history_id])

    assert librarian_web.get(record_url).status_code == 200
    version = record_url.replace(f"/{record.history_id}/", f"/{bad}/")
    assert librarian_web.get(version).status_code == 404
    record_of = record_url.replace(f"/{book.pk}/history/", f"/{bad}/history/")
    assert librarian_web.get(record_of).status_code == 404


def test_an_id_in_other_digits_opens_no_record(librarian_web, book):
    shown = librarian_web.get(
        reverse("admin:library_book_change", args=[in_digits(str(book.pk), ARABIC_INDIC)])
    )
    history = librarian_web.get(
        reverse("admin:library_book_history", args=[in_digits(str(book.pk), ARABIC_INDIC)])
    )

    assert shown.status_code == 302  # Django's "does not exist" redirect, with a message
    assert "exist" in " ".join(messages_of(shown))
    assert history.status_code == 404


# --- Action selections ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [HUGE, "abc", "1.5", "-1", "0"])
def test_an_action_on_a_malformed_selection_is_a_400_and_changes_nothing(
    librarian_web, borrowed_book, bad
):
    borrow = borrowed_book.borrows.get()

    returned = librarian_web.post(
        BORROWS, {"action": "mark_returned", "_selected_action": [borrow.pk, bad]}
    )
    deleted = librarian_web.post(
        BOOKS,
        {"action": "delete_selected", "_selected_action": [bad], "post": "yes"},
    )

    assert (returned.status_code, deleted.status_code) == (400, 400)
    assert open_loans() == 1
    assert Book.objects.filter(pk=borrowed_book.pk).exists()


# --- Foreign keys in forms ------------------------------------------------------------------


@pytest.mark.parametrize("bad", [HUGE, "abc", "-1", in_digits("1", ARABIC_INDIC)])
@pytest.mark.parametrize("field", ["user", "book"])
def test_a_malformed_key_in_the_lending_form_is_a_form_error(
    librarian_web, patron, book, field, bad
):
    data = {"user": patron.pk, "book": book.pk, field: bad}

    response = librarian_web.post(reverse("admin:library_borrow_add"), data)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Borrow.objects.count() == 0
    book.refresh_from_db()
    assert book.available_copies == book.total_copies


@pytest.mark.parametrize("bad", [HUGE, "abc", "-1"])
def test_a_malformed_author_in_the_book_form_is_a_form_error(librarian_web, book, bad):
    response = librarian_web.post(
        reverse("admin:library_book_change", args=[book.pk]), book_form(book, author=bad)
    )

    assert response.status_code == 200
    assert "author" in response.context["adminform"].form.errors
    assert Book.objects.get(pk=book.pk).author_id == book.author_id


# --- List filters and lookups in the query string ----------------------------------------------


def refused(response) -> bool:
    return response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    ("url", "query"),
    [
        (BOOKS, {"author__id__exact": HUGE}),
        (BOOKS, {"id__in": f"1,{HUGE}"}),
        (BOOKS, {"total_copies__in": HUGE}),
        (BOOKS, {"genre": "Mys\x00tery"}),
        (BOOKS, {"title__regex": "("}),
        (BOOKS, {"q": "moon\x00"}),
        (BORROWS, {"book__author__id__in": HUGE}),
        (reverse("admin:library_author_changelist"), {"nationality": "\x00"}),
        (reverse("admin:accounts_user_changelist"), {"id__in": HUGE}),
        (reverse("admin:django_celery_results_taskresult_changelist"), {"task_id": "\x00"}),
    ],
)
def test_a_lookup_the_database_cannot_run_is_refused_with_a_message(
    librarian_web, book, url, query
):
    BorrowFactory(book=book)

    response = librarian_web.get(url, query)

    assert refused(response)
    assert messages_of(response)


@pytest.mark.parametrize(
    ("zone", "query"),
    [
        (EAST, {"borrow_date_from_0": "01/01/0001"}),
        (WEST, {"borrow_date_to_0": "31/12/9999"}),
        ("UTC", {"borrow_date_to_0": "31/12/9999", "borrow_date_to_1": "23:59"}),
        (EAST, {"borrow_date__gte": "0001-01-01"}),
        (WEST, {"borrow_date__lte": "9999-12-31 23:00"}),
        (WEST, {"borrow_date__year": "9999"}),
        (EAST, {"borrow_date__year__gte": "1"}),
    ],
)
def test_borrow_dates_at_the_calendar_edges_are_refused(librarian_web, settings, zone, query):
    settings.TIME_ZONE = zone
    BorrowFactory()

    response = librarian_web.get(BORROWS, query)

    assert refused(response)
    assert any("Dates run from" in m or "A year from" in m for m in messages_of(response))


def test_the_first_and_last_days_still_filter(librarian_web, settings):
    settings.TIME_ZONE = EAST
    borrow = BorrowFactory()

    response = librarian_web.get(
        BORROWS, {"borrow_date_from_0": "02/01/0001", "borrow_date_to_0": "30/12/9999"}
    )

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [borrow.pk]


def test_ordinary_lookups_in_links_still_work(librarian_web, book):
    other = BookFactory()

    response = librarian_web.get(BOOKS, {"author__id__exact": book.author_id})
    by_ids = librarian_web.get(BOOKS, {"id__in": f"{book.pk},{other.pk}"})

    assert [row.pk for row in response.context["cl"].result_list] == [book.pk]
    assert {row.pk for row in by_ids.context["cl"].result_list} == {book.pk, other.pk}


def test_an_autocomplete_search_with_a_nul_byte_is_a_400(librarian_web, book):
    response = librarian_web.get(
        reverse("admin:autocomplete"),
        {"app_label": "library", "model_name": "book", "field_name": "author", "term": "a\x00"},
    )

    assert response.status_code == 400


def test_ids_are_checked_on_the_user_admin_too(librarian):
    client = web_client_for(librarian)
    user = UserFactory()
    url = reverse("admin:accounts_user_history", args=[user.pk])

    assert client.get(url).status_code == 200
    assert client.get(url.replace(f"/{user.pk}/", "/abc/")).status_code == 404
    assert client.get(url.replace(f"/{user.pk}/", f"/{HUGE}/")).status_code == 404


# --- The CSV import preview ------------------------------------------------------------------

CSV_HEADER = "title,author,isbn,genre,publication_date,total_copies\n"


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (f"T,A,{in_digits('0141439513', ARABIC_INDIC)},Drama,,2", "isbn"),  # was imported
        ("T,A,014143951\u00b3,Drama,,2", "isbn"),  # a superscript 3: was a 500
        ("T,A,97801414395\uff118,Drama,,2", "isbn"),  # a fullwidth 1: was imported
        (f"T,A,9780141439518,Drama,,{in_digits('3', ARABIC_INDIC)}", "total_copies"),
        ("T,A,9780141439518,Drama,,\u00b3", "total_copies"),
        ("T,A,9780141439518,Drama,,2147483648", "total_copies"),  # was taken on SQLite
        ("T,A,9780141439518,Drama,,99999999999999999999", "total_copies"),
        ("T,A,9780141439518,Drama,10000-01-01,2", "publication_date"),
    ],
)
def test_the_import_preview_reports_bad_cells_and_imports_nothing(librarian_web, row, column):
    from .test_import_export import preview

    response = preview(librarian_web, "library_book", "books.csv", (CSV_HEADER + row).encode())

    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    assert column in result.invalid_rows[0].error_dict
    assert Book.objects.count() == 0
