"""The copy ledger: the only code that moves a book's ``available_copies`` and ``held_copies``.

Each copy of a title is in one place: on the shelf (``available_copies``: anyone may borrow
it), on the hold shelf (``held_copies``: kept for the patron of a ready hold), on loan (an
open borrow), or withheld by staff (damaged, in repair: the rest of ``total_copies``). The
database enforces ``0 <= available``, ``0 <= held`` and ``available + held <= total``; the
ledger keeps, in the transaction that moves a copy:

- ready holds of a title == its held copies;
- available + held + open loans == total, unless staff withheld copies;
- no hold waits while a copy of its title is on the shelf.

Every function runs inside the caller's transaction. A title's queue (placing a hold,
trapping a returned copy, cancelling or expiring a ready hold, staff copy changes) is
serialised on the book's row: ``book_lock`` first, then the holds. A plain borrow from the
shelf needs no lock: its conditional UPDATE takes one copy or none. Lock order everywhere:
patron, borrow, book, hold; so no two of these paths can deadlock.

A loan from the shelf and a return move their copy in the statement that writes the loan
(``copy_lend_from_shelf``, ``copy_return_loan``): on PostgreSQL the counter's UPDATE, the
loan's INSERT or UPDATE and its history row are one statement of data-modifying WITH
queries, which the database runs as one; elsewhere (SQLite) they are the ORM's statements
in the same transaction. The history row is the one simple-history writes, column for
column (``backoffice.core.history.history_insert_sql``).

The one bulk path outside these functions is ``counters_recompute`` (the demo loader and
the data generator, which write loans and holds in bulk): it derives both counters from the
loans and ready holds, stating the same invariants in one UPDATE.
"""

import functools
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import pre_save
from django.utils import timezone
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from backoffice.core.compiled import CompiledQuery, prepared_cursor
from backoffice.core.history import history_insert_sql
from library.models import Author, Book, Borrow, Hold

from .history import record_actor
from .notices import hold_ready_after_commit


class LedgerError(RuntimeError):
    """A counter move the ledger's own invariants rule out: a bug, never user input."""


def book_lock(book_id: int) -> Book | None:
    """Lock the book's row for the rest of the transaction (its queue is ours)."""
    return Book.objects.select_for_update().filter(pk=book_id).first()


def books_lock(book_ids) -> None:
    """Lock several books' rows, in id order (so two callers never wait on each other)."""
    list(
        Book.objects.select_for_update()
        .filter(pk__in=book_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def copy_take_from_shelf(book_id: int) -> bool:
    """One copy off the shelf for a loan; False when the shelf is empty.

    One conditional UPDATE: of N concurrent borrowers of the last copy, exactly one sees a
    row updated. Held copies are not on the shelf, so nobody but their holder takes them.
    """
    # Raw SQL: the ORM's update() spends more CPU compiling this than the database
    # spends running it, on every borrow.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE library_book SET available_copies = available_copies - 1 "
            "WHERE id = %s AND available_copies > 0",
            [book_id],
        )
        return cursor.rowcount == 1


def copy_lend_from_shelf(borrow: Borrow, *, actor, reason: str) -> bool:
    """One copy off the shelf for the new loan ``borrow``, saved with its history row;
    False (and nothing written) when the shelf is empty.

    On PostgreSQL the shelf's conditional UPDATE, the loan's INSERT, its history row and
    the book's read are one statement: four round trips in one, and ``borrow.book`` comes
    back loaded, with its author, as the UPDATE left it (elsewhere the caller reads it).
    An open loan of the same book by the same patron fails the partial unique index there
    as in ``save()``, and the caller's transaction is rolled back as a whole.
    """
    if not _writes_in_one_statement(borrow, actor):
        if not copy_take_from_shelf(borrow.book_id):
            return False
        record_actor(borrow, actor, reason)
        borrow.save()
        return True
    sql, fields, history_parameters = _lend_statement(connection.alias)
    values = [field.get_db_prep_save(field.pre_save(borrow, True), connection) for field in fields]
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            sql,
            [
                borrow.book_id,
                *values,
                *_history_values(history_parameters, "+", actor, reason),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    book_width = len(Book._meta.concrete_fields)
    book = Book.from_db(connection.alias, _attnames(Book), row[1 : 1 + book_width])
    book.author = Author.from_db(connection.alias, _attnames(Author), row[1 + book_width :])
    borrow.pk = row[0]
    borrow._state.adding = False
    borrow._state.db = connection.alias
    borrow.book = book
    return True


def copy_return_loan(
    borrow: Borrow, *, now: datetime, actor, reason: str, trap_reason: str
) -> Hold | None:
    """The loan ``borrow`` (read under its row lock, ``return_date`` set) is saved as
    returned, with its history row, and its copy comes back (``copy_return``). Returns
    the hold the copy was kept for, or None.

    On PostgreSQL the loan's UPDATE, its history row and the shelf's UPDATE are one
    statement.
    """
    if not _writes_in_one_statement(borrow, actor):
        record_actor(borrow, actor, reason)
        borrow.save(update_fields=["return_date"])
        return copy_return(book_id=borrow.book_id, now=now, actor=actor, reason=trap_reason)
    sql, history_parameters = _return_statement(connection.alias)
    return_date = Borrow._meta.get_field("return_date")
    shelf = _update_returning(
        sql,
        [
            return_date.get_db_prep_save(borrow.return_date, connection),
            borrow.pk,
            *_history_values(history_parameters, "~", actor, reason),
        ],
    )
    return _copy_returned(
        book_id=borrow.book_id, shelf=shelf, now=now, actor=actor, reason=trap_reason
    )


def _writes_in_one_statement(borrow: Borrow, actor) -> bool:
    # The statement writes what simple-history writes from ``record_actor``'s attributes.
    # Without an acting user simple-history would look for a request; with history
    # switched off, skipped, or a receiver listening for the save or the history row,
    # only the ORM's save does what is asked. All of these take the ORM's path.
    return (
        connection.vendor == "postgresql"
        and actor is not None
        and actor.is_authenticated
        and getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        and not hasattr(borrow, "skip_history_when_saving")
        and not pre_save.has_listeners(Borrow)
        and not pre_create_historical_record.has_listeners(Borrow.history.model)
        and not post_create_historical_record.has_listeners(Borrow.history.model)
    )


def _history_values(parameters: list[str], history_type: str, actor, reason: str) -> list:
    known = {
        "history_date": timezone.now(),
        # The admin's reasons are lazily translated strings, which the driver cannot send.
        "history_change_reason": str(reason) if reason else None,
        "history_type": history_type,
        "history_user_id": actor.pk,
    }
    return [known[name] for name in parameters]


def _attnames(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _columns(model, table: str, quote) -> str:
    return ", ".join(
        f"{quote(table)}.{quote(field.column)}" for field in model._meta.concrete_fields
    )


@functools.cache
def _lend_statement(using: str) -> tuple[str, list, list[str]]:
    quote = connections[using].ops.quote_name
    fields = [field for field in Borrow._meta.concrete_fields if not field.primary_key]
    history, history_parameters = history_insert_sql(Borrow, "loan", using)
    loan_columns = ", ".join(quote(field.column) for field in Borrow._meta.concrete_fields)
    sql = (
        "WITH shelf AS ("
        "UPDATE library_book SET available_copies = available_copies - 1 "
        f"WHERE id = %s AND available_copies > 0 RETURNING {_columns(Book, 'library_book', quote)}"
        "), loan AS ("
        f"INSERT INTO {quote(Borrow._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"SELECT {', '.join(['%s'] * len(fields))} FROM shelf RETURNING {loan_columns}"
        f"), history AS ({history}) "
        f"SELECT loan.id, {_columns(Book, 'shelf', quote)}, {_columns(Author, 'author', quote)} "
        "FROM loan CROSS JOIN shelf "
        f"JOIN {quote(Author._meta.db_table)} author ON author.id = shelf.author_id"
    )
    return sql, fields, history_parameters


@functools.cache
def _return_statement(using: str) -> tuple[str, list[str]]:
    quote = connections[using].ops.quote_name
    history, history_parameters = history_insert_sql(Borrow, "loan", using)
    loan_columns = ", ".join(quote(field.column) for field in Borrow._meta.concrete_fields)
    sql = (
        f"WITH loan AS (UPDATE {quote(Borrow._meta.db_table)} SET return_date = %s "
        f"WHERE id = %s RETURNING {loan_columns}), history AS ({history}) "
        "UPDATE library_book SET available_copies = available_copies + 1 "
        "WHERE id = (SELECT book_id FROM loan) RETURNING available_copies"
    )
    return sql, history_parameters


def copy_return(*, book_id: int, now: datetime, actor, reason: str) -> Hold | None:
    """A returned copy: to the first waiting hold of the title, else to the shelf.

    The copy goes on the shelf first, in one UPDATE that takes the book's row lock and
    says how many copies the shelf now holds. More than one means the shelf was not
    empty, and by the ledger no hold waits beside a copy on the shelf: done, in one
    statement, as a return was before holds. Otherwise the queue is read under that lock
    (a hold placed before it is visible now; one placed after waits for us), and the
    first waiting hold, if any, gets the copy. Returns that hold.
    """
    shelf = _update_returning(
        "UPDATE library_book SET available_copies = available_copies + 1 "
        "WHERE id = %s RETURNING available_copies",
        [book_id],
    )
    return _copy_returned(book_id=book_id, shelf=shelf, now=now, actor=actor, reason=reason)


def _copy_returned(*, book_id: int, shelf: int | None, now, actor, reason: str) -> Hold | None:
    # ``shelf``: the copies on the shelf with the returned one, the book's row now locked.
    if shelf is None or shelf > 1:
        return None
    following = _first_in_queue.first(book_id=book_id)
    if following is None:
        return None
    Book.objects.filter(pk=book_id).update(
        available_copies=F("available_copies") - 1, held_copies=F("held_copies") + 1
    )
    _hold_make_ready(following, now=now, actor=actor, reason=reason)
    return following


# Read after every return that leaves one copy on the shelf, most often finding nobody:
# compiled once, since building the query cost more than running it.
_first_in_queue = CompiledQuery(
    lambda book_id: (
        Hold.objects.queue(book_id).select_related("user", "book").select_for_update(of=("self",))
    )[:1],
    "book_id",
)


def _update_returning(sql: str, params: list) -> int | None:
    # Raw SQL for RETURNING, which the ORM's update() lacks (PostgreSQL, SQLite >= 3.35).
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def copy_take_held(*, hold: Hold, borrow: Borrow, now: datetime, actor) -> None:
    """The holder borrows the copy kept for their ready hold; the hold is fulfilled.

    The caller holds the book's lock and has re-read the hold as ready under it.
    """
    taken = Book.objects.filter(pk=hold.book_id, held_copies__gt=0).update(
        held_copies=F("held_copies") - 1
    )
    if not taken:
        raise LedgerError(f"ready hold {hold.pk} has no held copy behind it")
    hold_close(hold, Hold.Status.FULFILLED, now=now, actor=actor, reason="Collected", borrow=borrow)


def copies_release(
    *, book_id: int, count: int = 1, now: datetime, actor, reason: str
) -> list[Hold]:
    """``count`` copies come back (a return, copies added by staff): waiting holds first.

    The first ``count`` waiting holds, oldest first, become ready with a pickup deadline,
    and their copies are counted as held; the rest go to the shelf. The caller holds the
    book's lock. Returns the holds that were trapped, in queue order.
    """
    if count <= 0:
        return []
    trapped = list(
        Hold.objects.queue(book_id)
        .select_related("user", "book")
        .select_for_update(of=("self",))[:count]
    )
    for hold in trapped:
        _hold_make_ready(hold, now=now, actor=actor, reason=reason)
    Book.objects.filter(pk=book_id).update(
        held_copies=F("held_copies") + len(trapped),
        available_copies=F("available_copies") + (count - len(trapped)),
    )
    return trapped


def copy_pass_on(*, book_id: int, now: datetime, actor, reason: str) -> Hold | None:
    """A held copy freed by a cancelled or expired ready hold goes to the next waiting
    hold, else to the shelf. The caller holds the book's lock and has closed the hold."""
    following = (
        Hold.objects.queue(book_id)
        .select_related("user", "book")
        .select_for_update(of=("self",))
        .first()
    )
    if following is not None:
        # The copy stays on the hold shelf, for someone else: the held count is unchanged.
        _hold_make_ready(following, now=now, actor=actor, reason=reason)
        return following
    moved = Book.objects.filter(pk=book_id, held_copies__gt=0).update(
        held_copies=F("held_copies") - 1, available_copies=F("available_copies") + 1
    )
    if not moved:
        raise LedgerError(f"book {book_id} had no held copy to put back on the shelf")
    return None


def copies_adjust(*, book: Book, total: int, available: int, actor, reason: str) -> list[Hold]:
    """A staff edit: the title now owns ``total`` copies, ``available`` of them free.

    ``book`` is the row read under the caller's lock, and the counts were checked by
    ``services.book_copies_validate``. Copies put back or added serve the waiting holds
    first (returned: the holds trapped); copies taken away are withheld from the shelf.
    Each statement leaves available + held <= total, so a larger total is written before
    the copies arrive and a smaller one after they are gone.
    """
    trapped: list[Hold] = []
    if total > book.total_copies:
        Book.objects.filter(pk=book.pk).update(total_copies=total)
    change = available - book.available_copies
    if change > 0:
        trapped = copies_release(
            book_id=book.pk,
            count=change,
            now=timezone.now(),
            actor=actor,
            reason="Copy added by staff: ready for pickup",
        )
    elif change < 0:
        withheld = Book.objects.filter(pk=book.pk, available_copies__gte=-change).update(
            available_copies=F("available_copies") + change
        )
        if not withheld:
            raise LedgerError(f"book {book.pk} has fewer than {-change} copies on the shelf")
    if total < book.total_copies:
        Book.objects.filter(pk=book.pk).update(total_copies=total)
    return trapped


def copy_trap_from_shelf(*, hold: Hold, now: datetime, actor, reason: str) -> None:
    """A copy on the shelf set aside for a waiting hold (test set-ups and the demo library,
    where a hold is made ready without a return). Caller holds the book's lock."""
    moved = Book.objects.filter(pk=hold.book_id, available_copies__gt=0).update(
        available_copies=F("available_copies") - 1, held_copies=F("held_copies") + 1
    )
    if not moved:
        raise LedgerError(f"book {hold.book_id} has no copy on the shelf to set aside")
    _hold_make_ready(hold, now=now, actor=actor, reason=reason)


def _hold_make_ready(hold: Hold, *, now: datetime, actor, reason: str) -> None:
    hold.status = Hold.Status.READY
    hold.ready_at = now
    hold.expires_at = now + timedelta(days=settings.HOLD_PICKUP_DAYS)
    record_actor(hold, actor, reason)
    hold.save(update_fields=["status", "ready_at", "expires_at"])
    # Every way a hold becomes ready passes here: its patron is told once this commits.
    hold_ready_after_commit(hold.pk)


def hold_close(hold: Hold, status, *, now: datetime, actor, reason: str, borrow=None) -> None:
    """Close a hold (fulfilled, cancelled, expired). No counter moves here: a ready hold's
    copy is taken by its holder (``copy_take_held``) or passed on (``copy_pass_on``)."""
    hold.status = status
    hold.closed_at = now
    fields = ["status", "closed_at"]
    if borrow is not None:
        hold.borrow = borrow
        fields.append("borrow")
    record_actor(hold, actor, reason)
    hold.save(update_fields=fields)


def counters_recompute(books=None) -> int:
    """The bulk path: set both counters from the loans and ready holds, in one UPDATE.

    held = ready holds; available = total - open loans - held. For data written in bulk
    (the demo loader, the data generator), where no copy moved one at a time. It also puts
    back any copy staff had withheld.
    """
    open_loans = _count_per_book(Borrow.objects.open())
    ready_holds = _count_per_book(Hold.objects.ready())
    books = Book.objects.all() if books is None else books
    return books.update(
        held_copies=Coalesce(Subquery(ready_holds), Value(0)),
        available_copies=F("total_copies")
        - Coalesce(Subquery(open_loans), Value(0))
        - Coalesce(Subquery(ready_holds), Value(0)),
    )


def _count_per_book(queryset):
    return (
        queryset.filter(book_id=OuterRef("pk"))
        .order_by()
        .values("book_id")
        .annotate(n=Count("id"))
        .values("n")
    )


def invariants_broken(*, strict: bool = False) -> list[str]:
    """Every way the ledger's invariants fail right now, counted in the database.

    Books whose held copies differ from their ready holds, whose shelf holds more than
    total - on loan - held (with ``strict``, anything but exactly that: no copy withheld),
    or with a hold waiting beside a copy on the shelf; patrons with two open holds on one
    title. For the race tests and ``manage.py check_ledger``.
    """
    open_loans = _count_per_book(Borrow.objects.open())
    ready = _count_per_book(Hold.objects.ready())
    waiting = _count_per_book(Hold.objects.waiting())
    books = Book.objects.annotate(
        open_loans=Coalesce(Subquery(open_loans), Value(0)),
        ready=Coalesce(Subquery(ready), Value(0)),
        waiting=Coalesce(Subquery(waiting), Value(0)),
    )
    free = F("total_copies") - F("open_loans") - F("held_copies")
    shelf = Q(available_copies=free) if strict else Q(available_copies__lte=free)
    wrong = books.filter(
        ~Q(held_copies=F("ready")) | ~shelf | Q(waiting__gt=0, available_copies__gt=0)
    )
    problems = [
        f"book {row['pk']}: total {row['total_copies']}, available {row['available_copies']}, "
        f"held {row['held_copies']}, on loan {row['open_loans']}, ready holds {row['ready']}, "
        f"waiting {row['waiting']}"
        for row in wrong.values(
            "pk",
            "total_copies",
            "available_copies",
            "held_copies",
            "open_loans",
            "ready",
            "waiting",
        )
    ]
    doubled = (
        Hold.objects.open().values("user_id", "book_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    problems += [
        f"patron {row['user_id']} has {row['n']} open holds on book {row['book_id']}"
        for row in doubled
    ]
    return problems
