"""A realistic library of any size, generated fast: for benchmarks and scale tests.

``library_generate()`` writes authors, books, patrons and a borrow history straight into
the tables (PostgreSQL ``COPY``; batched ``executemany`` elsewhere), never through the
ORM's per-row ``save()``. So:

- no django-simple-history rows are written for generated data (history is for what
  people did; a generated past has nobody to attribute it to);
- patrons all share one password hash, computed once (an unusable password by default);
- the shelf counts are set at the end by one UPDATE (``library.demo.counters_recompute``).

The borrow history is simulated in time order, so it holds the rules a real history
would: a book never has more copies out than it owns, a patron never has more than
``MAX_OPEN_BORROWS`` loans at once nor the same book twice, every loan is due
``LOAN_PERIOD_DAYS`` after it began and is returned (if at all) after it began.
Popularity is Zipf-like: a few titles and a few readers account for a large share of
the loans. Loans still out today are open; those past their due date are overdue, and a
few were never returned at all.

Everything is drawn from one ``random.Random(seed)`` relative to ``now``, so a seed gives
the same library (shifted in time) on every run and on every database.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from .demo import counters_recompute
from .isbn import isbn13_check_digit
from .models import Author, Book, Borrow

# Generated patrons are recognised by this e-mail domain (``--truncate`` deletes them).
GENERATED_EMAIL_DOMAIN = "generated.shelfwise.example"
PATRON_USERNAME_PREFIX = "member"

DAY = 86_400
SQLITE_BATCH = 20_000
COPY_CHUNK = 50_000

GENRES = [
    "Fiction",
    "Mystery",
    "Science Fiction",
    "Fantasy",
    "Romance",
    "History",
    "Biography",
    "Children",
    "Young Adult",
    "Thriller",
    "Poetry",
    "Travel",
    "Science",
    "Philosophy",
    "Cookery",
    "Art",
    "Drama",
    "Horror",
    "Religion",
    "Economics",
]
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Alice",
    "Amara",
    "Anna",
    "Arthur",
    "Beatrix",
    "Ben",
    "Carla",
    "Chen",
    "Clara",
    "Daniel",
    "Dara",
    "Edith",
    "Elena",
    "Emil",
    "Erin",
    "Farah",
    "Felix",
    "Frida",
    "George",
    "Grace",
    "Hana",
    "Hugo",
    "Ida",
    "Ines",
    "Isaac",
    "Jane",
    "Jonas",
    "Kai",
    "Karin",
    "Laila",
    "Leo",
    "Lena",
    "Liam",
    "Lucia",
    "Maya",
    "Mehmet",
    "Mia",
    "Nadia",
    "Nils",
    "Nora",
    "Olga",
    "Omar",
    "Oskar",
    "Paula",
    "Pedro",
    "Priya",
    "Rafael",
    "Rosa",
    "Ruth",
    "Sami",
    "Sara",
    "Sofia",
    "Tariq",
    "Thea",
    "Tomas",
    "Una",
    "Vera",
    "Wanda",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abbott",
    "Achebe",
    "Adler",
    "Alvarez",
    "Bauer",
    "Becker",
    "Bell",
    "Brandt",
    "Carter",
    "Castro",
    "Chowdhury",
    "Costa",
    "Dahl",
    "Davies",
    "Dubois",
    "Eriksen",
    "Evans",
    "Fischer",
    "Fontaine",
    "Garcia",
    "Gupta",
    "Hahn",
    "Hansen",
    "Ito",
    "Jansen",
    "Kaur",
    "Keller",
    "Khan",
    "Kim",
    "Kowalski",
    "Larsen",
    "Laurent",
    "Lee",
    "Lindqvist",
    "Lopez",
    "Marsh",
    "Meyer",
    "Moreau",
    "Murphy",
    "Nakamura",
    "Novak",
    "Nowak",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Petrov",
    "Quinn",
    "Reyes",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Singh",
    "Sousa",
    "Tanaka",
    "Torres",
    "Vogel",
    "Wagner",
    "Walsh",
    "Weber",
    "Wright",
    "Yilmaz",
    "Zhang",
]
NATIONALITIES = [
    "British",
    "Irish",
    "French",
    "German",
    "Italian",
    "Spanish",
    "Portuguese",
    "Dutch",
    "Danish",
    "Swedish",
    "Norwegian",
    "Polish",
    "Czech",
    "Russian",
    "Turkish",
    "Nigerian",
    "Kenyan",
    "Egyptian",
    "Indian",
    "Japanese",
    "Chinese",
    "Korean",
    "Brazilian",
    "Argentine",
    "Mexican",
    "Canadian",
    "American",
    "Australian",
]
TITLE_ADJECTIVES = [
    "Silent",
    "Hidden",
    "Last",
    "Broken",
    "Golden",
    "Quiet",
    "Distant",
    "Lost",
    "Burning",
    "Frozen",
    "Secret",
    "Winter",
    "Summer",
    "Crimson",
    "Silver",
    "Hollow",
    "Wild",
    "Gentle",
    "Forgotten",
    "Endless",
    "Bright",
    "Northern",
    "Southern",
    "Little",
    "Long",
    "Dark",
    "Open",
    "Second",
    "Final",
    "Empty",
]
TITLE_NOUNS = [
    "River",
    "Garden",
    "House",
    "Road",
    "Sea",
    "Mountain",
    "City",
    "Letter",
    "Song",
    "Island",
    "Forest",
    "Door",
    "Window",
    "Kingdom",
    "Promise",
    "Journey",
    "Harbour",
    "Orchard",
    "Station",
    "Lighthouse",
    "Library",
    "Clock",
    "Bridge",
    "Shadow",
    "Mirror",
    "Storm",
    "Voyage",
    "Map",
    "Lantern",
    "Field",
    "Tide",
    "Archive",
    "Festival",
    "Machine",
    "Empire",
]
TITLE_PLACES = [
    "Lisbon",
    "Kyoto",
    "Prague",
    "Lagos",
    "Oslo",
    "Venice",
    "Cairo",
    "Dublin",
    "Havana",
    "Istanbul",
    "Marrakesh",
    "Quebec",
    "Samarkand",
    "Tangier",
    "Valparaiso",
    "Vienna",
    "Zanzibar",
]


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


# --- Entry point -------------------------------------------------------------------------


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
    writer = _writer_for(connection)
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
            timed("truncate (generated patrons deleted)", lambda: _truncate(writer))
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


# --- Catalogue -----------------------------------------------------------------------------


def _genre_names(count: int) -> list[str]:
    return [GENRES[i] if i < len(GENRES) else f"Genre {i + 1}" for i in range(count)]


def zipf_cum_weights(count: int, *, exponent: float = 1.0, offset: float = 0.0) -> list[float]:
    """Cumulative weights of ranks 0..count-1, rank r weighing 1/(r + 1 + offset)^exponent."""
    return list(
        itertools.accumulate(1.0 / (rank + 1 + offset) ** exponent for rank in range(count))
    )


def _zipf_draws(rng: random.Random, cum_weights: list[float], k: int) -> list[int]:
    total = cum_weights[-1]
    last = len(cum_weights) - 1
    random_ = rng.random
    # Same as rng.choices(range(n), cum_weights=..., k=k), without building the range.
    return [min(bisect_left(cum_weights, random_() * total), last) for _ in range(k)]


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
    genre_draws = _zipf_draws(rng, zipf_cum_weights(len(genres), exponent=0.8), size.books)
    # Prolific authors: a Zipf-like share of the titles, over a shuffled author list.
    shuffled_authors = author_ids[:]
    rng.shuffle(shuffled_authors)
    author_draws = _zipf_draws(
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


# --- Patrons -------------------------------------------------------------------------------


def _patrons_write(writer, rng, size, now, password, patron_ids) -> int:
    User = get_user_model()
    ids = writer.reserve_ids(User, size.patrons)
    first_number = writer.next_patron_number()
    # One hash for every patron: hashing 10,000 passwords would take minutes.
    password_hash = make_password(password)
    start = now - timedelta(days=size.years * 365)
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
        ],
        rows,
    )
    patron_ids.extend(ids)
    return len(rows)


# --- Borrows -------------------------------------------------------------------------------

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
    book_draws = iter(_zipf_draws(rng, book_cw, size.borrows))
    patron_draws = iter(_zipf_draws(rng, patron_cw, size.borrows))
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


class _Stamps:
    """POSIX seconds to the text a database column takes, fast: 2 million per load.

    ``datetime.isoformat`` costs about 2 µs a call; a cached date string per day plus a
    cached time-of-day string costs a tenth of that.
    """

    def __init__(self, suffix: str):
        self.suffix = suffix
        self.days: dict[int, str] = {}
        self.clock = [
            f" {h:02d}:{m:02d}:{s:02d}{suffix}"
            for h in range(24)
            for m in range(60)
            for s in range(60)
        ]

    def __call__(self, ts: int | None) -> str | None:
        if ts is None:
            return None
        day, second = divmod(ts, DAY)
        text = self.days.get(day)
        if text is None:
            text = self.days[day] = (_EPOCH + timedelta(days=day)).isoformat()
        return text + self.clock[second]


_EPOCH = date(1970, 1, 1)


# --- Writers: COPY on PostgreSQL, executemany elsewhere --------------------------------------


def _writer_for(conn):
    return _PostgresWriter(conn) if conn.vendor == "postgresql" else _BatchWriter(conn)


def _library_tables() -> list[str]:
    """Borrows, books, authors and their simple-history tables."""
    tables = []
    for model in (Borrow, Book, Author):
        tables.append(model._meta.db_table)
        history = getattr(model, "history", None)
        if history is not None:
            tables.append(history.model._meta.db_table)
    return tables


def _truncate(writer) -> int:
    """Wipe the catalogue, circulation and their history, then the generated patrons."""
    tables = _library_tables()
    with connection.cursor() as cursor:
        for statement in connection.ops.sql_flush(no_style(), tables, reset_sequences=True):
            cursor.execute(statement)
    return _patrons_delete_generated()


def _patrons_delete_generated() -> int:
    """Delete generated patrons with set SQL: ``QuerySet.delete()`` would write 10,000
    history rows and walk every relation in Python."""
    User = get_user_model()
    user_table = connection.ops.quote_name(User._meta.db_table)
    generated = f"SELECT id FROM {user_table} WHERE email LIKE %s AND is_staff = %s"
    params = [f"%@{GENERATED_EMAIL_DOMAIN}", False]
    flushed = set(_library_tables())
    with connection.cursor() as cursor:
        for relation in User._meta.get_fields(include_hidden=True):
            if not (relation.auto_created and not relation.concrete):
                continue
            if relation.many_to_many:
                through = relation.through if hasattr(relation, "through") else None
                through = through or relation.field.remote_field.through
                column = next(
                    f.column
                    for f in through._meta.fields
                    if f.is_relation and f.related_model is User
                )
                table = through._meta.db_table
                action = "CASCADE"
            else:
                table = relation.related_model._meta.db_table
                column = relation.field.column
                action = relation.on_delete.__name__
            if table in flushed:
                continue
            table_q, column_q = connection.ops.quote_name(table), connection.ops.quote_name(column)
            if action == "SET_NULL":
                cursor.execute(
                    f"UPDATE {table_q} SET {column_q} = NULL WHERE {column_q} IN ({generated})",
                    params,
                )
            elif action in {"CASCADE", "DO_NOTHING"}:
                cursor.execute(
                    f"DELETE FROM {table_q} WHERE {column_q} IN ({generated})",
                    params,
                )
            else:  # PROTECT, RESTRICT: refuse rather than break what refers to them
                cursor.execute(
                    f"SELECT 1 FROM {table_q} WHERE {column_q} IN ({generated}) LIMIT 1",
                    params,
                )
                if cursor.fetchone():
                    raise ValueError(
                        f"Generated patrons are still referenced by {table}; not deleting them."
                    )
        cursor.execute(f"DELETE FROM {user_table} WHERE id IN ({generated})", params)
        return cursor.rowcount


class _BatchWriter:
    """SQLite (and any other backend): batched executemany inside the caller's transaction."""

    def __init__(self, conn):
        self.conn = conn

    def prepare(self) -> None:
        pass

    def existing_count(self, model) -> int:
        return model.objects.count()

    def existing_isbns(self) -> set[str]:
        return set(Book.objects.values_list("isbn", flat=True))

    def next_patron_number(self) -> int:
        import re

        pattern = re.compile(rf"\A{PATRON_USERNAME_PREFIX}(\d+)\Z")
        numbers = [
            int(match[1])
            for name in get_user_model()
            .objects.filter(username__startswith=PATRON_USERNAME_PREFIX)
            .values_list("username", flat=True)
            if (match := pattern.match(name))
        ]
        return max(numbers, default=0) + 1

    def keys_drop(self, model) -> Callable[[], int]:
        return lambda: 0

    def reserve_ids(self, model, count: int) -> list[int]:
        # Safe because the caller holds the write lock (SQLite: one writer at a time).
        first = (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        return list(range(first, first + count))

    def _adapt(self, value):
        if isinstance(value, datetime):
            return self.conn.ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return self.conn.ops.adapt_datefield_value(value)
        return value

    def insert(self, model, columns: list[str], rows: Iterable[tuple]) -> int:
        sql = self._insert_sql(model._meta.db_table, columns)
        adapt = self._adapt
        return self._executemany(sql, ([adapt(v) for v in row] for row in rows))

    def _insert_sql(self, table: str, columns: list[str]) -> str:
        quote = self.conn.ops.quote_name
        return (
            f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )

    def _executemany(self, sql: str, rows: Iterable) -> int:
        written = 0
        with self.conn.cursor() as cursor:
            for batch in _batches(rows, SQLITE_BATCH):
                cursor.executemany(sql, batch)
                written += len(batch)
        return written

    def insert_borrows(self, rows: Iterable[tuple]) -> int:
        sql = self._insert_sql(
            Borrow._meta.db_table, ["user_id", "book_id", "borrow_date", "due_date", "return_date"]
        )
        if self.conn.vendor == "sqlite":
            # Django keeps aware datetimes on SQLite as naive UTC text.
            stamp = _Stamps("")
        else:

            def stamp(ts):
                return None if ts is None else self._adapt(datetime.fromtimestamp(ts, UTC))

        return self._executemany(
            sql,
            ((user, book, stamp(b), stamp(d), stamp(r)) for user, book, b, d, r in rows),
        )

    def analyze(self, *, vacuum: bool = True) -> int:
        if vacuum and self.conn.vendor == "sqlite":
            with self.conn.cursor() as cursor:
                cursor.execute("ANALYZE")
        return 0


class _PostgresWriter(_BatchWriter):
    """PostgreSQL: ids reserved from the sequences, rows streamed with COPY."""

    def prepare(self) -> None:
        with self.conn.cursor() as cursor:
            # Nothing is lost if the machine crashes mid-load: the load is one transaction.
            cursor.execute("SET LOCAL synchronous_commit = off")
            # TRUNCATE and DDL refuse tables with pending (deferred) foreign-key checks,
            # such as rows the caller's transaction inserted just before: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def reserve_ids(self, model, count: int) -> list[int]:
        table = model._meta.db_table
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def insert(self, model, columns: list[str], rows: Iterable[tuple]) -> int:
        return self._copy(model._meta.db_table, columns, rows)

    def _copy(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        quote = self.conn.ops.quote_name
        written = 0
        copy_sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        # CursorWrapper hands .copy() through to psycopg 3's cursor.
        with self.conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        return written

    def keys_drop(self, model) -> Callable[[], int]:
        """Drop a table's foreign keys and secondary indexes; return what rebuilds them.

        Row by row, COPY would fire two foreign-key triggers per borrow and update eight
        indexes; checking each key once with a join and building each index with one sort
        is several times faster. The primary key and unique constraints stay, and the
        rebuilt definitions are read from the catalogue, so nothing drifts from the
        migrations. It all runs in the load's transaction: a failure restores everything.
        The tables are locked meanwhile (a load is not for a live library).
        """
        table = model._meta.db_table
        quote = self.conn.ops.quote_name
        with self.conn.cursor() as cursor:
            # Run the checks deferred so far (the truncate's deletes): DDL refuses to
            # touch a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _ in foreign_keys:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")

        def rebuild() -> int:
            with self.conn.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                for _, definition in indexes:
                    cursor.execute(definition)
                for name, definition in foreign_keys:
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )
            return 0

        return rebuild

    def insert_borrows(self, rows: Iterable[tuple]) -> int:
        stamp = _Stamps("+00")
        return self._copy(
            Borrow._meta.db_table,
            ["user_id", "book_id", "borrow_date", "due_date", "return_date"],
            ((user, book, stamp(b), stamp(d), stamp(r)) for user, book, b, d, r in rows),
        )

    def analyze(self, *, vacuum: bool = True) -> int:
        # Fresh statistics for the planner, and a visibility map for index-only scans.
        # VACUUM cannot run inside a transaction (pytest's, or a caller's): ANALYZE then.
        tables = [Borrow._meta.db_table, Book._meta.db_table, Author._meta.db_table]
        tables.append(get_user_model()._meta.db_table)
        command = "VACUUM (ANALYZE)" if vacuum and not self.conn.in_atomic_block else "ANALYZE"
        with self.conn.cursor() as cursor:
            for table in tables:
                cursor.execute(f"{command} {self.conn.ops.quote_name(table)}")
        return 0


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
