"""Catalogue search: substring matches on title, ISBN and author name, in any case, every
word required; on PostgreSQL through the trigram indexes, never a scan of the books table."""

import pytest
from django.db import connection
from django.db.models import Q

from library import selectors
from library.models import Book
from library.selectors import search

from ...factories import AuthorFactory, BookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    stoker = AuthorFactory(name="Bram Stoker")
    collins = AuthorFactory(name="Wilkie Collins")
    return {
        "dracula": BookFactory(title="Dracula", author=stoker, isbn="9780141439846"),
        "moonstone": BookFactory(title="The Moonstone", author=collins, isbn="9780140434088"),
        "woman": BookFactory(title="The Woman in White", author=collins, isbn="9780141439617"),
        "lair": BookFactory(title="The Lair of the White Worm", author=stoker),
    }


def found(api_client, text: str) -> set[str]:
    response = api_client.get("/books/", {"search": text})
    assert response.status_code == 200
    return {row["title"] for row in response.data["results"]}


def test_a_word_matches_titles_isbns_and_author_names_in_any_case(api_client, shelf):
    assert found(api_client, "moonSTONE") == {"The Moonstone"}
    assert found(api_client, "043408") == {"The Moonstone"}
    assert found(api_client, "stoker") == {"Dracula", "The Lair of the White Worm"}
    assert found(api_client, "WHITE") == {"The Woman in White", "The Lair of the White Worm"}


def test_every_word_must_match_some_field(api_client, shelf):
    assert found(api_client, "white collins") == {"The Woman in White"}
    assert found(api_client, "white stoker") == {"The Lair of the White Worm"}
    assert found(api_client, "moonstone stoker") == set()


def test_words_too_short_for_the_trigram_index_match_as_any_other(api_client, shelf):
    assert found(api_client, "ke") == {"Dracula", "The Lair of the White Worm"}  # stoKEr
    assert found(api_client, "wh") == {"The Woman in White", "The Lair of the White Worm"}
    assert found(api_client, "co wh") == {"The Woman in White"}  # COllins, WHite


def test_search_combines_with_filters_and_counts_what_it_finds(api_client, shelf):
    response = api_client.get("/books/", {"search": "white", "author": shelf["lair"].author_id})

    assert response.data["count"] == 1
    assert [row["title"] for row in response.data["results"]] == ["The Lair of the White Worm"]


def test_like_wildcards_and_backslashes_in_a_word_match_only_themselves(api_client):
    for title in ("100% Proof", "1000 Proofs", "snake_case", "snakeXcase", "back\\slash"):
        BookFactory(title=title)

    assert found(api_client, "100%") == {"100% Proof"}
    assert found(api_client, "e_c") == {"snake_case"}
    assert found(api_client, "k\\s") == {"back\\slash"}
    assert found(api_client, "%") == {"100% Proof"}


@pytest.mark.parametrize(
    "text",
    # Up to three words the condition is compiled once per shape; more are built.
    ["white", "wh", "white collins", "co wh", "the white worm", "th wh wo", "t h e w", "a b c d e"],
)
def test_any_number_of_words_long_or_short_finds_what_the_plain_orm_finds(shelf, text):
    assert search.COMPILED_WORDS == 3
    words = text.split()
    expected = Book.objects.all()
    for word in words:
        expected = expected.filter(
            Q(title__icontains=word) | Q(isbn__icontains=word) | Q(author__name__icontains=word)
        )

    matched = selectors.books_matching(Book.objects.all(), words)

    assert set(matched) == set(expected)


def test_the_admin_book_search_finds_the_same_books(admin_client, shelf):
    response = admin_client.get("/admin/library/book/", {"q": 'collins "in white"'})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [shelf["woman"]]


def explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.parametrize("text", ["island", "stoker", "9780140", "white collins"])
def test_on_postgresql_the_search_reads_books_through_indexes(require_postgres, shelf, text):
    """With sequential scans priced out, the matches are gathered by the trigram indexes
    (a bitmap OR on the books table); a query shape they cannot serve, such as an OR across
    the author join, falls back to reading every book through some other index."""
    words = text.split()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    matching = explain(selectors.books_matching(Book.objects.order_by(), words))
    page = explain(selectors.books_matching(selectors.book_list(), words)[:20])

    assert "Bitmap Index Scan on book_title_trgm_idx" in matching, matching
    assert "Bitmap Index Scan on book_isbn_trgm_idx" in matching, matching
    assert "Bitmap Index Scan on author_name_trgm_idx" in matching, matching
    for plan in (matching, page):
        assert "Seq Scan on library_book" not in plan, plan
        assert "Seq Scan on library_author" not in plan, plan
