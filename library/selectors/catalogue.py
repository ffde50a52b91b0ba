"""Reads of the catalogue: authors, books and what is on the shelf."""

import functools
from dataclasses import dataclass

from django.db import connections
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber

from backoffice.core.compiled import CompiledQuery, built_once
from library.models import Author, Book, Borrow, Hold

from .holds import waiting_holds_count


@built_once
def author_list() -> QuerySet[Author]:
    """Authors with how many titles each has.

    The count is a correlated subquery on the books' author index, not a join grouped
    by author: grouped, every page and its count joined all 100,000 books to all 20,000
    authors (about 140 ms each); this way a page counts the books of its own authors.
    """
    titles = (
        Book.objects.filter(author_id=OuterRef("pk"))
        .order_by()
        .values("author_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Author.objects.annotate(
        book_count=Coalesce(Subquery(titles, output_field=IntegerField()), 0)
    )


def open_loans_per_book() -> Subquery:
    """Per book: copies on loan now, counted from the open loans.

    "On loan" means this everywhere (API, admin, dashboard): a copy withheld by staff or
    kept on the hold shelf is not on loan. A correlated subquery on ``borrow_open_book_idx``
    rather than a join + GROUP BY, so a page of books counts only its own rows' loans.
    """
    open_loans = (
        Borrow.objects.open()
        .filter(book_id=OuterRef("pk"))
        .order_by()
        .values("book_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(open_loans, output_field=IntegerField()), 0)


@built_once
def book_list() -> QuerySet[Book]:
    return Book.objects.select_related("author").annotate(
        on_loan=open_loans_per_book(), holds_waiting=waiting_holds_count()
    )


def books_with_keys(keys: list[int]) -> list[Book]:
    """The books of ``keys`` as ``book_list()`` gives them (author, copies on loan, holds
    waiting), in no particular order: a page of a search whose keys are already found.

    One compiled statement per number of keys, so a page costs no ORM work: building
    and compiling the list's annotations took more CPU than running the statement.
    """
    if not keys:
        return []
    query = _books_with_keys_query(len(keys))
    return query.rows(**{f"key_{position}": key for position, key in enumerate(keys)})


# One per number of keys, at most a page's maximum size.
@functools.cache
def _books_with_keys_query(size: int) -> CompiledQuery:
    names = [f"key_{position}" for position in range(size)]
    return CompiledQuery(lambda **keys: book_list().filter(pk__in=keys.values()).order_by(), *names)


@dataclass(frozen=True)
class GenreAvailability:
    genre: str
    available_copies: int
    available_titles: int
    held_copies: int  # on the hold shelf for ready holds: never available
    holds_waiting: int
    books: list[Book]


def books_available_by_genre(
    *, genre: str | None = None, books_per_genre: int = 100
) -> list[GenreAvailability]:
    """Per genre with a copy on the shelf: those copies, the titles with one, the copies
    on the hold shelf, the holds waiting, and the first of the titles on the shelf.

    Three queries whatever the catalogue size: one aggregate per genre, the waiting holds
    per genre, and one window-limited list of titles, so a genre with thousands of titles
    stays a bounded response.
    """
    books = Book.objects.filter(genre=genre) if genre else Book.objects.all()
    on_shelf = books.filter(available_copies__gt=0)
    totals = (
        books.values("genre")
        .annotate(
            copies=Coalesce(Sum("available_copies"), 0),
            titles=Count("id", filter=Q(available_copies__gt=0)),
            held=Coalesce(Sum("held_copies"), 0),
        )
        .filter(copies__gt=0)
        .order_by("genre")
    )
    waiting = Hold.objects.waiting()
    if genre:
        waiting = waiting.filter(book__genre=genre)
    waiting_per_genre = dict(
        waiting.order_by()
        .values("book__genre")
        .annotate(n=Count("*"))
        .values_list("book__genre", "n")
    )
    ranked = (
        Book.objects.select_related("author")
        .filter(pk__in=_first_titles_on_shelf(on_shelf, genre, books_per_genre))
        .order_by("genre", "title", "id")
    )
    books_by_genre: dict[str, list[Book]] = {}
    for book in ranked:
        books_by_genre.setdefault(book.genre, []).append(book)
    return [
        GenreAvailability(
            genre=row["genre"],
            available_copies=row["copies"],
            available_titles=row["titles"],
            held_copies=row["held"],
            holds_waiting=waiting_per_genre.get(row["genre"], 0),
            books=books_by_genre.get(row["genre"], []),
        )
        for row in totals
    ]


def book_open_borrow_count(*, book_id: int) -> int:
    """Copies of one book on loan right now (open borrows), for staff copy edits."""
    return Borrow.objects.open().filter(book_id=book_id).count()


# The genres in order without reading every book (see ``genres``). Portable SQL:
# PostgreSQL and SQLite each serve every MIN() with one probe of the genre index.
GENRES_SQL = (
    "WITH RECURSIVE walk (genre) AS ("
    " SELECT MIN(genre) FROM library_book"
    " UNION ALL SELECT (SELECT MIN(b.genre) FROM library_book b WHERE b.genre > walk.genre)"
    " FROM walk WHERE walk.genre IS NOT NULL"
    ") SELECT genre FROM walk WHERE genre IS NOT NULL"
)


def genres(using: str = "default") -> list[str]:
    """Every genre of the catalogue, in order: what the genre filters offer.

    ``SELECT DISTINCT genre`` reads the whole books table (about 50 ms at 100,000 titles,
    on every changelist). Neither PostgreSQL nor SQLite skips through an index for
    DISTINCT, so the walk is spelled out: the smallest genre, then the smallest one after
    it, and so on, each step one probe of the genre index.
    """
    with connections[using].cursor() as cursor:
        cursor.execute(GENRES_SQL)
        return [genre for (genre,) in cursor.fetchall()]


def _first_titles_on_shelf(on_shelf: QuerySet[Book], genre: str | None, count: int):
    """The ids of the first ``count`` titles on the shelf of each genre, by title.

    On PostgreSQL each genre's titles are read from ``book_genre_title_idx`` in order
    and the read stops at ``count`` (``LATERAL … LIMIT``), the genres themselves walked
    from the index (``GENRES_SQL``): about 2,100 index entries for 21 genres. A window
    ranking, all the ORM can spell, reads every title on the shelf first (97,000, about
    110 ms at 100,000 titles): SQLite, with its small demo catalogue, keeps it.
    """
    if connections[on_shelf.db].vendor == "postgresql":
        genres_sql, params = ("SELECT %s::varchar AS genre", [genre]) if genre else (GENRES_SQL, [])
        return RawSQL(
            f"SELECT first.id FROM ({genres_sql}) genres CROSS JOIN LATERAL ("
            " SELECT b.id FROM library_book b"
            " WHERE b.genre = genres.genre AND b.available_copies > 0"
            " ORDER BY b.title, b.id LIMIT %s) first",
            [*params, count],
        )
    return (
        on_shelf.annotate(
            rank_in_genre=Window(
                RowNumber(), partition_by=[F("genre")], order_by=[F("title"), F("id")]
            )
        )
        .filter(rank_in_genre__lte=count)
        .values("id")
    )
