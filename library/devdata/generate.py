"""A realistic library of any size, generated fast: for benchmarks and scale tests.

``library_generate()`` writes authors, books, patrons and a borrow history straight into
the tables (PostgreSQL ``COPY``; batched ``executemany`` elsewhere), never through the
ORM's per-row ``save()``. So:

- no django-simple-history rows are written for generated data (history is for what
  people did; a generated past has nobody to attribute it to);
- patrons all share one password hash, computed once (an unusable password by default);
- the shelf counts are set at the end by one UPDATE (``library.services.copies.counters_recompute``,
  the copy ledger's bulk path).

The borrow history is simulated in time order, so it holds the rules a real history
would: a book never has more copies out than it owns, a patron never has more than
``MAX_OPEN_BORROWS`` loans at once nor the same book twice, every loan is due
``LOAN_PERIOD_DAYS`` after it began and is returned (if at all) after it began.
Popularity is Zipf-like: a few titles and a few readers account for a large share of
the loans. Loans still out today are open; those past their due date are overdue, and a
few were never returned at all.

Everything is drawn from one ``random.Random(seed)`` relative to ``now``, so a seed gives
the same library (shifted in time) on every run and on every database."""

from __future__ import annotations

import heapq
import math
import random
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from library.isbn import isbn13_check_digit
from library.models import Author, Book, Borrow
from library.services.copies import counters_recompute

from .skew import zipf_cum_weights, zipf_draws
from .words import (
    FIRST_NAMES,
    GENRES,
    LAST_NAMES,
    NATIONALITIES,
    TITLE_ADJECTIVES,
    TITLE_NOUNS,
    TITLE_PLACES,
)
from .writers import (
    DAY,
    GENERATED_EMAIL_DOMAIN,
    PATRON_USERNAME_PREFIX,
    patron_cards,
    truncate_generated,
    writer_for,
)


@dataclass(frozen=True)
class LibrarySize:
    books: int = 100_000
    authors: int = 20_000
    genres: int = 20
    patrons: int = 10_000
    borrows: int = 1_000_000
    years: float = 3


INSERTED_TABLES = frozenset({"authors", "books", "patrons", "borrows"})


@dataclass
class TableLoad:
    table: str
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class GenerationResult:
    loads: list[TableLoad] = field(default_factory=list)
    seconds: float = 0.0
    open_borrows: int = 0
    overdue_borrows: int = 0
    redrawn: int = 0  # draws refused (no copy free, patron at the loan limit) and redrawn
    skipped: int = 0  # borrows given up on: nothing could be lent at that moment

    @property
    def rows(self) -> int:
        """Rows inserted (the counters UPDATE and the truncate are not counted)."""
        return sum(load.rows for load in self.loads if load.table in INSERTED_TABLES)


def library_generate(
    *,
    size: LibrarySize,
    seed: int = 1,
    truncate: bool = False,
    patron_password: str | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenerationResult:
    """Generate a library of ``size`` into the default database; return per-table timings.

    ``truncate`` first wipes authors, books, borrows (and their history) and the patrons an
    earlier run generated. Without it the new rows are added beside what is there; then
    ``counters_recompute`` also resets hand-withdrawn copies of existing books.
    """
    if min(size.books, size.authors, size.genres, size.patrons) < 1 or size.borrows < 0:
        raise ValueError("books, authors, genres and patrons must be at least 1.")
    if size.years <= 0:
        raise ValueError("years must be positive.")
    say = progress or (lambda message: None)
    now = now or timezone.now()
    rng = random.Random(seed)
    writer = writer_for(connection)
    result = GenerationResult()
    started = time.perf_counter()

    def timed(table: str, work: Callable[[], int]) -> None:
        begun = time.perf_counter()
        rows = work()
        load = TableLoad(table, rows, time.perf_counter() - begun)
        result.loads.append(load)
        if rows:
            say(
                f"{table}: {rows} rows in {load.seconds:.2f} s ({load.rows_per_second:,.0f} rows/s)"
            )
        else:
            say(f"{table}: {load.seconds:.2f} s")

    with transaction.atomic():
        writer.prepare()
        if truncate:
            timed("truncate (generated patrons deleted)", lambda: truncate_generated(writer))
        genres = _genre_names(size.genres)
        author_ids: list[int] = []
        book_rows: list[tuple[int, int]] = []  # (id, total copies)
        patron_ids: list[int] = []
        # Keys and indexes are rebuilt once at the end (PostgreSQL; a no-op elsewhere):
        # borrows' first, because the shelf counts are computed through them.
        books_rebuild = writer.keys_drop(Book)
        borrows_rebuild = writer.keys_drop(Borrow)
        timed("authors", lambda: _authors_write(writer, rng, size, author_ids))
        timed("books", lambda: _books_write(writer, rng, size, genres, author_ids, book_rows))
        timed(
            "patrons",
            lambda: _patrons_write(writer, rng, size, now, patron_password, patron_ids),
        )
        timed(
            "borrows",
            lambda: _borrows_write(writer, rng, size, now, book_rows, patron_ids, result),
        )
        timed("borrow indexes and keys", borrows_rebuild)
        # The planner needs the new row counts before the correlated UPDATE, or it may
        # plan a scan of the whole (formerly empty) borrow table for every book.
        writer.analyze(vacuum=False)
        timed("counters", _counters_set)
        timed("book indexes and keys", books_rebuild)
    timed("analyze", lambda: writer.analyze())
    result.seconds = time.perf_counter() - started
    return result


def _counters_set() -> int:
    counters_recompute()
    return Book.objects.count()


def _genre_names(count: int) -> list[str]:
    return [GENRES[i] if i < len(GENRES) else f"Genre {i + 1}" for i in range(count)]


def _author_name(index: int) -> str:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    rest = index // len(FIRST_NAMES)
    last = LAST_NAMES[rest % len(LAST_NAMES)]
    rest //= len(LAST_NAMES)
    if rest == 0:
        return f"{first} {last}"
    initial = chr(ord("A") + (rest - 1) % 26)
    rest = (rest - 1) // 26
    return f"{first} {initial}. {last}" + (f" {rest + 1}" if rest else "")


def _authors_write(writer, rng, size: LibrarySize, author_ids: list[int]) -> int:
    ids = writer.reserve_ids(Author, size.authors)
    # Names are unique within a run (an import matches authors by name); shuffled so
    # that alphabetical order and id order differ, as in a real catalogue.
    order = list(range(size.authors))
    rng.shuffle(order)
    start_offset = writer.existing_count(Author)
    rows = []
    for author_id, index in zip(ids, order, strict=True):
        born = (
            date(1800, 1, 1) + timedelta(days=rng.randrange(190 * 365))
            if rng.random() < 0.9
            else None
        )
        rows.append(
            (
                author_id,
                _author_name(index + start_offset),
                "" if rng.random() < 0.8 else "Author of several novels and essays.",
                born,
                rng.choice(NATIONALITIES),
            )
        )
    writer.insert(Author, ["id", "name", "bio", "birthdate", "nationality"], rows)
    author_ids.extend(ids)
    return len(rows)


def _isbns(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    isbns: list[str] = []
    seen = set(taken)
    while len(isbns) < count:
        for body in rng.sample(range(10**9), count - len(isbns) + 16):
            first12 = f"978{body:09d}"
            isbn = first12 + isbn13_check_digit(first12)
            if isbn not in seen:
                seen.add(isbn)
                isbns.append(isbn)
                if len(isbns) == count:
                    break
    return isbns


def _title(rng: random.Random) -> str:
    pattern = rng.random()
    if pattern < 0.35:
        return f"The {rng.choice(TITLE_ADJECTIVES)} {rng.choice(TITLE_NOUNS)}"
    if pattern < 0.6:
        return f"The {rng.choice(TITLE_NOUNS)} of {rng.choice(TITLE_NOUNS)}s"
    if pattern < 0.8:
        return f"A {rng.choice(TITLE_NOUNS)} in {rng.choice(TITLE_PLACES)}"
    return f"{rng.choice(TITLE_ADJECTIVES)} {rng.choice(TITLE_NOUNS)}s"


def _books_write(writer, rng, size, genres, author_ids, book_rows) -> int:
    ids = writer.reserve_ids(Book, size.books)
    taken = writer.existing_isbns()
    isbns = _isbns(rng, size.books, taken)
    genre_draws = zipf_draws(rng, zipf_cum_weights(len(genres), exponent=0.8), size.books)
    # Prolific authors: a Zipf-like share of the titles, over a shuffled author list.
    shuffled_authors = author_ids[:]
    rng.shuffle(shuffled_authors)
    author_draws = zipf_draws(
        rng,
        zipf_cum_weights(len(author_ids), exponent=0.9, offset=len(author_ids) / 200),
        size.books,
    )
    # Popular titles get more copies: roughly the copies their expected demand needs, so
    # a bestseller is often, but not always, all out on loan.
    copies = _copies_by_rank(rng, size)
    today = date.today()
    rows = []
    for index, book_id in enumerate(ids):
        published = (
            today - timedelta(days=int(rng.random() ** 2.5 * 120 * 365))
            if rng.random() < 0.95
            else None
        )
        total = copies[index]
        rows.append(
            (
                book_id,
                _title(rng),
                shuffled_authors[author_draws[index]],
                isbns[index],
                genres[genre_draws[index]],
                published,
                total,
                total,
            )
        )
        book_rows.append((book_id, total))
    writer.insert(
        Book,
        [
            "id",
            "title",
            "author_id",
            "isbn",
            "genre",
            "publication_date",
            "total_copies",
            "available_copies",
        ],
        rows,
    )
    return len(rows)


# Book i (in id order) has popularity rank i: ids are already in random title order.
BOOK_EXPONENT = 1.0

PATRON_EXPONENT = 1.0

MEAN_LOAN_DAYS = 12.0


def _book_offset(size: LibrarySize) -> float:
    return size.books / 1000


def _patron_offset(size: LibrarySize) -> float:
    return size.patrons / 20


def _copies_by_rank(rng: random.Random, size: LibrarySize) -> list[int]:
    weights = [1.0 / (rank + 1 + _book_offset(size)) ** BOOK_EXPONENT for rank in range(size.books)]
    total_weight = sum(weights)
    loans_out = size.borrows / (size.years * 365) * MEAN_LOAN_DAYS  # loans out on a day
    base = rng.choices([1, 2, 3, 4, 5], weights=[45, 30, 15, 6, 4], k=size.books)
    return [
        max(base[rank], min(60, round(loans_out * weight / total_weight * rng.uniform(0.7, 1.6))))
        for rank, weight in enumerate(weights)
    ]


def _patrons_write(writer, rng, size, now, password, patron_ids) -> int:
    User = get_user_model()
    ids = writer.reserve_ids(User, size.patrons)
    first_number = writer.next_patron_number()
    # One hash for every patron: hashing 10,000 passwords would take minutes.
    password_hash = make_password(password)
    start = now - timedelta(days=size.years * 365)
    cards = patron_cards(ids)
    rows = []
    for offset, user_id in enumerate(ids):
        username = f"{PATRON_USERNAME_PREFIX}{first_number + offset:06d}"
        joined = start - timedelta(seconds=rng.randrange(2 * 365 * DAY))
        rows.append(
            (
                user_id,
                password_hash,
                None,
                False,
                username,
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
                f"{username}@{GENERATED_EMAIL_DOMAIN}",
                False,
                True,
                joined,
                cards[offset],
            )
        )
    writer.insert(
        User,
        [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "card_number",
        ],
        rows,
    )
    patron_ids.extend(ids)
    return len(rows)


NEVER = math.inf

LOST_SHARE = 0.003  # loans never returned

MAX_ATTEMPTS = 12


def _loan_seconds(rng: random.Random, pace: float) -> float:
    """How long a loan lasts; NEVER for the few never returned."""
    draw = rng.random()
    if draw < LOST_SHARE:
        return NEVER
    if draw < 0.80:
        days = 0.3 + 13.7 * draw / 0.80  # back on time (draw is uniform in this band)
    elif draw < 0.95:
        days = 14 + 14 * (draw - 0.80) / 0.15  # late
    else:
        days = 28 + 62 * (draw - 0.95) / 0.05  # very late
    return int(days * DAY * pace)


def _borrow_times(rng: random.Random, size: LibrarySize, now_ts: int) -> list[int]:
    """Start times of the loans, oldest first: busier lately, during opening hours."""
    days = max(int(size.years * 365), 1)
    midnight = now_ts - now_ts % DAY
    random_ = rng.random
    times = []
    for _ in range(size.borrows):
        while True:
            day = int(random_() ** 0.85 * days)  # more loans in recent years
            moment = midnight - day * DAY + 9 * 3600 + int(random_() * 11 * 3600)
            if moment < now_ts - 60:
                break
        times.append(moment)
    times.sort()
    return times


def _borrows_write(writer, rng, size, now, book_rows, patron_ids, result) -> int:
    if size.borrows == 0 or not book_rows or not patron_ids:
        return 0
    now_ts = int(now.timestamp())
    loan = settings.LOAN_PERIOD_DAYS * DAY
    limit = settings.MAX_OPEN_BORROWS
    times = _borrow_times(rng, size, now_ts)

    n_books, n_patrons = len(book_rows), len(patron_ids)
    copies = [total for _, total in book_rows]
    book_ids = [book_id for book_id, _ in book_rows]
    # Patron rank r is patrons[r] after a shuffle; the busiest read fastest.
    patrons = patron_ids[:]
    rng.shuffle(patrons)
    pace = [
        0.35 if r < n_patrons / 100 else 0.7 if r < n_patrons / 10 else 1.0
        for r in range(n_patrons)
    ]
    book_cw = zipf_cum_weights(n_books, exponent=BOOK_EXPONENT, offset=_book_offset(size))
    patron_cw = zipf_cum_weights(n_patrons, exponent=PATRON_EXPONENT, offset=_patron_offset(size))
    book_draws = iter(zipf_draws(rng, book_cw, size.borrows))
    patron_draws = iter(zipf_draws(rng, patron_cw, size.borrows))
    book_total, last_book = book_cw[-1], n_books - 1
    random_ = rng.random
    heappush, heappop = heapq.heappush, heapq.heappop

    # Loans out at the simulated moment: per book a heap of return times, per patron a
    # heap of (return time, book). NEVER marks a loan that will not come back.
    out_by_book: list[list[float]] = [[] for _ in range(n_books)]
    out_by_patron: list[list[tuple[float, int]]] = [[] for _ in range(n_patrons)]
    counts = {"open": 0, "overdue": 0, "redrawn": 0, "skipped": 0}

    def rows() -> Iterator[tuple]:
        for borrowed in times:
            for attempt in range(MAX_ATTEMPTS):
                if attempt == 0:
                    patron, book = next(patron_draws), next(book_draws)
                elif attempt < MAX_ATTEMPTS // 2:
                    # Another title, popular ones first; every other time, another reader.
                    if attempt % 2 == 0:
                        patron = int(random_() * n_patrons)
                    book = min(bisect_left(book_cw, random_() * book_total), last_book)
                else:
                    patron, book = int(random_() * n_patrons), int(random_() * n_books)
                held = out_by_patron[patron]
                while held and held[0][0] <= borrowed:
                    heappop(held)
                if len(held) >= limit:
                    continue
                if held and any(b == book for _, b in held):
                    continue
                shelf = out_by_book[book]
                while shelf and shelf[0] <= borrowed:
                    heappop(shelf)
                if len(shelf) >= copies[book]:
                    continue
                break
            else:
                counts["skipped"] += 1
                continue
            counts["redrawn"] += attempt
            back = borrowed + _loan_seconds(rng, pace[patron])
            heappush(shelf, back)
            heappush(held, (back, book))
            due = borrowed + loan
            if back >= now_ts:
                counts["open"] += 1
                counts["overdue"] += due < now_ts
                returned = None
            else:
                returned = int(back)
            yield (patrons[patron], book_ids[book], borrowed, due, returned)

    written = writer.insert_borrows(rows())
    result.open_borrows = counts["open"]
    result.overdue_borrows = counts["overdue"]
    result.redrawn = counts["redrawn"]
    result.skipped = counts["skipped"]
    return written
