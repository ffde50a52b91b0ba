"""Book imports of thousands of rows: batched writes, a bounded preview, the same rules."""

import csv
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from library import services
from library.isbn import isbn13_check_digit
from library.models import Author, Book
from library.resources import PREVIEW_ROWS, BookResource
from tests.factories import AuthorFactory, BookFactory, BorrowFactory

from .test_import_export import dataset, preview

pytestmark = pytest.mark.django_db

HEADERS = ["title", "author", "isbn", "genre", "publication_date", "total_copies"]


def isbn(number: int) -> str:
    first12 = f"979820{number:06d}"
    return first12 + isbn13_check_digit(first12)


def book_rows(count: int, *, authors: list[str], start: int = 0) -> list[list]:
    return [
        [f"Title {n}", authors[n % len(authors)], isbn(n), "Drama", "1900-01-01", 1 + n % 4]
        for n in range(start, start + count)
    ]


def as_csv(rows: list[list], headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


def import_file(user, content: bytes, *, dry_run=False, file_name="books.csv"):
    return BookResource().import_data(
        dataset(content), dry_run=dry_run, user=user, file_name=file_name
    )


def invalid_messages(result) -> list[str]:
    return [
        message
        for row in result.invalid_rows
        for messages in row.error_dict.values()
        for message in messages
    ]


def test_a_large_file_previews_its_first_rows_and_imports_every_row(librarian_web, librarian):
    AuthorFactory(name="Known Author")
    rows = book_rows(1200, authors=["Known Author", "New Author A", "New Author B"])
    content = as_csv(rows)

    response = preview(librarian_web, "library_book", "big.csv", content)

    assert response.status_code == 200
    result = response.context["result"]
    assert result.totals["new"] == 1200
    assert len(result.valid_rows()) == PREVIEW_ROWS
    assert result.rows_not_shown == 1200 - PREVIEW_ROWS
    page = response.content.decode()
    assert f"The first {PREVIEW_ROWS} rows of 1200 are shown" in page
    assert "Title 99" in page and "Title 100<" not in page
    assert not Book.objects.exists() and not Author.objects.filter(name="New Author A").exists()

    confirm = response.context["confirm_form"]
    response = librarian_web.post(reverse("admin:library_book_process_import"), confirm.initial)

    assert response.status_code == 302
    assert Book.objects.count() == 1200
    assert Author.objects.filter(name__startswith="New Author").count() == 2
    title_8 = Book.objects.get(isbn=isbn(8))
    assert (title_8.author.name, title_8.total_copies, title_8.available_copies) == (
        "New Author B",
        1,
        1,
    )
    history = Book.history.filter(history_type="+")
    assert history.count() == 1200
    assert set(history.values_list("history_user", "history_change_reason")) == {
        (librarian.pk, "CSV import (big.csv)")
    }
    new_author = Author.history.get(name="New Author A")
    assert (new_author.history_user, new_author.history_change_reason) == (
        librarian,
        "CSV import (big.csv)",
    )
    log = LogEntry.objects.get()
    assert log.user == librarian and log.object_repr == "CSV import: 1200 new"


def test_queries_grow_with_batches_not_rows(librarian):
    authors = [author.name for author in AuthorFactory.create_batch(3)]

    def queries_for(count: int, start: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            result = import_file(librarian, as_csv(book_rows(count, authors=authors, start=start)))
        assert not result.has_errors() and not result.has_validation_errors()
        return len(captured)

    small = queries_for(10, start=0)
    large = queries_for(1000, start=100)

    assert Book.objects.count() == 1010
    # Per batch of 500: the ISBN check, the INSERTs of the books and of their history (one
    # each on PostgreSQL; SQLite splits them at 999 parameters) and a savepoint pair. The
    # row-by-row import spent about six queries on every row.
    assert (large - small) / (1000 - 10) < 0.05


def test_an_error_past_the_preview_still_stops_the_whole_file(librarian):
    AuthorFactory(name="Known Author")
    rows = book_rows(300, authors=["Known Author"])
    rows[250][5] = "three"

    result = import_file(librarian, as_csv(rows))

    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [251]
    assert "Enter a whole number of copies, not 'three'." in invalid_messages(result)
    assert not Book.objects.exists()


def test_a_repeated_isbn_is_an_error_on_its_second_row(librarian):
    AuthorFactory(name="Known Author")
    rows = book_rows(3, authors=["Known Author"])
    rows[2][2] = "979-8-20-000001-" + isbn(1)[-1]  # row 2's ISBN, written with hyphens

    result = import_file(librarian, as_csv(rows))

    assert [row.number for row in result.invalid_rows] == [3]
    assert "This ISBN is on an earlier row of the file." in invalid_messages(result)
    assert not Book.objects.exists()


def test_an_author_name_too_long_is_a_row_error(librarian):
    rows = book_rows(2, authors=["Known Author"])
    rows[1][1] = "x" * 300

    result = import_file(librarian, as_csv(rows))

    assert [row.number for row in result.invalid_rows] == [2]
    assert any("at most 255 characters" in message for message in invalid_messages(result))
    assert not Book.objects.exists() and not Author.objects.exists()


def test_more_available_than_owned_is_a_row_error(librarian):
    AuthorFactory(name="Known Author")
    rows = [[*row, row[5] + 1] for row in book_rows(2, authors=["Known Author"])]

    result = import_file(librarian, as_csv(rows, headers=[*HEADERS, "available_copies"]))

    assert [row.number for row in result.invalid_rows] == [1, 2]
    assert "Available copies cannot exceed total copies." in invalid_messages(result)
    assert not Book.objects.exists()


def test_known_isbns_update_their_books_beside_new_ones(librarian):
    author = AuthorFactory(name="Known Author")
    known = BookFactory(isbn=isbn(0), author=author, total_copies=2)
    BorrowFactory(book=known)  # one copy out
    known.refresh_from_db()
    rows = book_rows(3, authors=["Known Author"])
    rows[0][5] = 5  # two copies owned -> five, one still out

    result = import_file(librarian, as_csv(rows))

    assert not result.has_validation_errors() and not result.has_errors()
    assert (result.totals["update"], result.totals["new"]) == (1, 2)
    known.refresh_from_db()
    assert (known.title, known.total_copies, known.available_copies) == ("Title 0", 5, 4)
    assert Book.objects.count() == 3


def test_book_create_many_refuses_a_taken_isbn_and_writes_nothing(librarian):
    author = AuthorFactory()
    BookFactory(isbn=isbn(1))
    books = [
        Book(title=f"T{n}", author=author, isbn=isbn(n), genre="Drama", total_copies=1)
        for n in (1, 2)
    ]

    with pytest.raises(ValidationError) as refused:
        services.book_create_many(actor=librarian, books=books, reason="test")

    assert isbn(1) in " ".join(refused.value.messages)
    assert Book.objects.count() == 1


def test_book_create_many_checks_each_book_like_book_create(librarian):
    author = AuthorFactory()
    books = [
        Book(title="Fine", author=author, isbn=isbn(1), genre="Drama", total_copies=2),
        Book(title="Bad", author=author, isbn="12345", genre="Drama", total_copies=1),
    ]

    books[0].available_copies = None  # every copy on the shelf, as book_create does

    with pytest.raises(ValidationError) as refused:
        services.book_create_many(actor=librarian, books=books)

    assert "12345" in " ".join(refused.value.messages)

    assert not Book.objects.exists()
    created = services.book_create_many(actor=librarian, books=books[:1], reason="why")
    assert (created[0].pk, created[0].available_copies) == (Book.objects.get().pk, 2)
    assert created[0].history.get().history_change_reason == "why"


def test_book_new_validate_reports_every_problem_of_a_book_at_once():
    book = Book(title="", isbn="978-0-00-000000-1", genre="Drama", total_copies=1)
    book.available_copies = 2

    with pytest.raises(ValidationError) as refused:
        services.book_new_validate(book)

    assert set(refused.value.message_dict) == {"title", "isbn", "author", "available_copies"}
