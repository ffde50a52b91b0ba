"""Writing generated rows fast: COPY on PostgreSQL, batched executemany elsewhere.

Also the truncation of generated data (``--truncate``): generated patrons are recognised by
their e-mail domain and deleted with set-based SQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from accounts.cards import card_number_for_id, card_number_new
from backoffice.core.resources import chunks
from library.models import Author, Book, Borrow

# Generated patrons are recognised by this e-mail domain (``--truncate`` deletes them).
GENERATED_EMAIL_DOMAIN = "generated.shelfwise.example"

PATRON_USERNAME_PREFIX = "member"

DAY = 86_400

SQLITE_BATCH = 20_000

COPY_CHUNK = 50_000


class Stamps:
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
            text = self.days[day] = (EPOCH + timedelta(days=day)).isoformat()
        return text + self.clock[second]


EPOCH = date(1970, 1, 1)


def writer_for(conn):
    return _PostgresWriter(conn) if conn.vendor == "postgresql" else _BatchWriter(conn)


def _library_tables() -> list[str]:
    """Every table of the library app (books, loans, holds and their history).

    Taken from the app registry, so a model added later is wiped too: a forgotten table
    that references a flushed one would make TRUNCATE refuse on PostgreSQL.
    """
    return [model._meta.db_table for model in apps.get_app_config("library").get_models()]


def truncate_generated(writer) -> int:
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
            for batch in batches(rows, SQLITE_BATCH):
                cursor.executemany(sql, batch)
                written += len(batch)
        return written

    def insert_borrows(self, rows: Iterable[tuple]) -> int:
        sql = self._insert_sql(
            Borrow._meta.db_table, ["user_id", "book_id", "borrow_date", "due_date", "return_date"]
        )
        if self.conn.vendor == "sqlite":
            # Django keeps aware datetimes on SQLite as naive UTC text.
            stamp = Stamps("")
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
        stamp = Stamps("+00")
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


def batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def patron_cards(ids: list[int]) -> list[str]:
    """A card per new patron, derived from its id; a random one where that is taken."""
    User = get_user_model()
    cards = [card_number_for_id(user_id) for user_id in ids]
    taken: set[str] = set()
    for part in chunks(cards):
        taken.update(
            User.objects.filter(card_number__in=part).values_list("card_number", flat=True)
        )
    for index, card in enumerate(cards):
        while card in taken:
            card = card_number_new()
        taken.add(card)
        cards[index] = card
    return cards
