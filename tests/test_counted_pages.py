"""A search's page and its count in one statement (``backoffice.core.counted_pages``): the
same pages and counts as Django's paginator, for every ordering the API offers, with
Django's own path for long lists, pages past the end and querysets it cannot sort."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.core.counted_pages import CountedPagePaginator
from library import selectors
from library.api.serializers import BookSerializer
from library.api.views.catalogue import BookViewSet
from library.models import Book

from .factories import AuthorFactory, BookFactory, BorrowFactory, HoldFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    """23 books with ties on every sortable column but the key."""
    authors = [AuthorFactory(name=name) for name in ("Ann Reed", "Bo Lind", "Ann Reed")]
    for number in range(23):
        BookFactory(
            title=f"Harbour {number % 4}",
            author=authors[number % 3],
            genre=("Fiction", "Poetry")[number % 2],
            total_copies=1 + number % 3,
            publication_date=None if number % 5 == 0 else f"19{50 + number % 7}-01-01",
        )
    BookFactory(title="Elsewhere", author=authors[1], genre="Fiction")


def searched(ordering=None):
    books = selectors.books_matching(selectors.book_list(), ["harbour"])
    return books.order_by(*ordering) if ordering else books


def pages_of(paginator) -> list[list[int]]:
    """Each page's keys, read as a client does: page 1, then the next while there is one."""
    pages, number = [], 1
    while True:
        page = paginator.page(number)
        pages.append([book.pk for book in page])
        if not page.has_next():
            return pages
        number += 1


ORDERINGS = [[term, "pk"] for name in BookViewSet.ordering_fields for term in (name, f"-{name}")]


@pytest.mark.parametrize("ordering", [None, *ORDERINGS], ids=str)
def test_every_page_and_the_count_are_the_ones_djangos_paginator_gives(catalogue, ordering):
    counted = CountedPagePaginator(searched(ordering), 5)
    plain = Paginator(searched(ordering), 5)

    with CaptureQueriesContext(connection) as queries:
        counted_pages = pages_of(counted)
    assert counted_pages == pages_of(plain)
    # Every page came from the one statement: no COUNT of its own.
    assert sum("OVER ()" in query["sql"] for query in queries) == 5
    assert not any("__count" in query["sql"] for query in queries)
    assert counted.count == plain.count == 23
    assert counted.num_pages == 5


def test_a_page_is_read_in_two_statements_and_its_rows_are_whole(catalogue):
    paginator = CountedPagePaginator(searched(), 5)

    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(2)
        titles = [(book.title, book.author.name, book.on_loan) for book in page]

    assert len(queries) == 2
    assert len(titles) == 5
    assert page.has_next() and page.has_previous()
    assert paginator.count == 23


def test_a_list_longer_than_the_cap_is_counted_and_paged_as_django_does(catalogue):
    paginator = CountedPagePaginator(searched(), 5)
    paginator.cap = 10

    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(3)
        keys = [book.pk for book in page]

    assert keys == [book.pk for book in Paginator(searched(), 5).page(3)]
    assert paginator.count == 23
    # The one statement that found the list too long, then Django's count and page.
    assert len(queries) == 3


def test_a_filter_that_can_match_nothing_is_an_empty_first_page(catalogue):
    with CaptureQueriesContext(connection) as queries:
        page = CountedPagePaginator(Book.objects.filter(pk__in=[]), 5).page(1)

    assert list(page) == []
    assert len(queries) == 0


def test_nothing_found_is_one_empty_first_page_from_one_statement(catalogue):
    paginator = CountedPagePaginator(Book.objects.filter(title="No such book"), 5)

    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(1)

    assert list(page) == []
    assert paginator.count == 0
    assert len(queries) == 1


@pytest.mark.parametrize(
    ("number", "error"), [(6, EmptyPage), (0, EmptyPage), ("abc", PageNotAnInteger)]
)
def test_pages_that_do_not_exist_are_refused_as_django_refuses_them(catalogue, number, error):
    with pytest.raises(error):
        CountedPagePaginator(searched(), 5).page(number)


@pytest.mark.parametrize(
    "ordering",
    [
        ["?"],  # shuffled
        ["author", "pk"],  # a relation: sorted by the author's own ordering
        ["-borrows__borrow_date", "pk"],  # through a relation to many rows
    ],
    ids=str,
)
def test_a_queryset_it_cannot_sort_in_one_statement_is_paged_by_django(catalogue, ordering):
    books = Book.objects.order_by(*ordering)
    with CaptureQueriesContext(connection) as queries:
        page = CountedPagePaginator(books, 5).page(1)
        keys = [book.pk for book in page]

    assert "OVER ()" not in " ".join(query["sql"] for query in queries)
    assert len(keys) == 5
    if ordering != ["?"]:
        assert keys == [book.pk for book in Paginator(books, 5).page(1)]


def test_the_api_search_pages_ties_without_repeating_a_book(api_client, catalogue):
    seen = []
    for number in (1, 2, 3):
        response = api_client.get(
            "/books/", {"search": "harbour", "ordering": "genre", "page_size": 10, "page": number}
        )
        assert response.status_code == 200
        assert response.data["count"] == 23
        seen += [row["id"] for row in response.data["results"]]

    assert sorted(seen) == sorted(searched().values_list("pk", flat=True))
    assert api_client.get("/books/", {"search": "harbour", "page": 3}).status_code == 404
    # Past the end by far: more than the database's OFFSET could take.
    huge = api_client.get("/books/", {"search": "harbour", "page": "9" * 21})
    assert huge.status_code == 404
    last = api_client.get(
        "/books/", {"search": "harbour", "ordering": "genre", "page": "last", "page_size": 10}
    )
    assert [row["id"] for row in last.data["results"]] == seen[20:]


def test_the_api_search_reads_its_page_by_key_with_each_books_loans_and_holds(
    api_client, catalogue
):
    lent, held = Book.objects.filter(title="Harbour 0", total_copies__gt=1).order_by("pk")[:2]
    BorrowFactory(book=lent)
    HoldFactory(book=held)
    HoldFactory(book=held)

    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/books/", {"search": "harbour", "page_size": 10})

    expected = [BookSerializer(book).data for book in Paginator(searched(), 10).page(1)]
    assert response.data["results"] == expected
    by_id = {row["id"]: row for row in response.data["results"]}
    assert (by_id[lent.pk]["on_loan"], by_id[held.pk]["holds_waiting"]) == (1, 2)
    assert by_id[lent.pk]["author_name"] == lent.author.name
    # The page's rows by their keys alone: the search is not run a second time.
    assert len(queries) == 2
    assert "LIKE" in queries[0]["sql"].upper()
    assert "LIKE" not in queries[1]["sql"].upper()
    last = api_client.get("/books/", {"search": "harbour", "page_size": 10, "page": 3})
    assert [row["id"] for row in last.data["results"]] == [
        book.pk for book in Paginator(searched(), 10).page(3)
    ]


def test_unsearched_lists_also_order_ties_by_key(api_client, catalogue):
    response = api_client.get("/books/", {"ordering": "-genre", "page_size": 100})

    rows = [(row["genre"], row["id"]) for row in response.data["results"]]
    by_key = sorted(rows, key=lambda row: row[1])
    assert rows == [row for row in by_key if row[0] == "Poetry"] + [
        row for row in by_key if row[0] == "Fiction"
    ]


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_on_postgresql_the_search_statements_read_books_through_indexes(
    require_postgres, api_client, catalogue
):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/books/", {"search": "harbour"})
    assert response.data["count"] == 23

    plans = [explain(query["sql"]) for query in queries]
    assert len(plans) == 2
    assert "Bitmap Index Scan on book_title_trgm_idx" in plans[0], plans[0]
    for plan in plans:
        assert "Seq Scan on library_book" not in plan, plan
        assert "Seq Scan on library_author" not in plan, plan
