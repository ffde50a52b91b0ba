"""Genres read from the index: the genres the admin's filters offer (every genre once, in
order), and the first titles on the shelf of each genre for availability by genre."""

import re

import pytest
from django.db import connection

from library import selectors
from library.models import Book
from library.selectors.catalogue import GENRES_SQL
from tests.factories import BookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    for genre, count in (("Mystery", 120), ("Fantasy", 90), ("Poetry", 3), ("Zen", 1)):
        BookFactory.create_batch(count, genre=genre)


def test_every_genre_once_in_order(catalogue):
    assert selectors.genres() == ["Fantasy", "Mystery", "Poetry", "Zen"]


def test_an_empty_catalogue_has_no_genres():
    assert selectors.genres() == []


def test_the_changelists_offer_the_genres(admin_client, catalogue):
    for url in ("/admin/library/book/", "/admin/library/borrow/"):
        page = admin_client.get(url).content.decode()
        for genre in ("Fantasy", "Mystery", "Poetry", "Zen"):
            assert f'<option value="{genre}">{genre}</option>' in page, (url, genre)


@pytest.mark.postgres
def test_on_postgresql_the_genres_are_read_in_a_few_index_probes(require_postgres, catalogue):
    """214 books in 4 genres: the walk reads about one index entry per genre, where
    DISTINCT reads every book."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE library_book")
        cursor.execute(f"EXPLAIN (ANALYZE) {GENRES_SQL}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    reads = re.findall(r" on library_book\b.*?rows=(\d+) loops=(\d+)\)", plan)
    rows_read = sum(int(rows) * int(loops) for rows, loops in reads)
    assert Book.objects.count() == 214
    assert "Seq Scan" not in plan, plan
    assert 0 < rows_read <= 10, plan


@pytest.mark.postgres
def test_on_postgresql_availability_reads_only_the_first_titles_of_each_genre(
    require_postgres, catalogue
):
    """With 5 titles kept per genre, about 5 books per genre are read, not all 214. On a
    table this small the planner may prefer a sort; with sorts priced out, as on a large
    catalogue, the genre and title index serves each genre and stops at the fifth."""
    from library.selectors.catalogue import _first_titles_on_shelf

    ids = _first_titles_on_shelf(Book.objects.filter(available_copies__gt=0), None, 5)
    sql, params = Book.objects.filter(pk__in=ids).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE library_book")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute(f"EXPLAIN (ANALYZE) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    reads = re.findall(r"Index Scan using book_genre_title_idx.*?rows=(\d+) loops=(\d+)\)", plan)
    assert reads, plan
    assert sum(int(rows) * int(loops) for rows, loops in reads) <= 4 * 5, plan
    assert "Rows Removed by Filter" not in plan.split("book_genre_title_idx", 1)[1], plan
    assert len(Book.objects.filter(pk__in=ids)) == 5 + 5 + 3 + 1
