"""The SQL of the copy ledger's one-statement writes on PostgreSQL (``services.copies``
runs them; nothing else does).

Each is a statement of data-modifying WITH queries: the counter's UPDATE, the loan's
INSERT or UPDATE and its history row, which the database runs as one, and the rows the
answer needs, read in the same round trip. The history row is the one simple-history
writes, column for column (``backoffice.core.history.history_insert_sql``). Rows come
back as the models' concrete columns in order, so ``Model.from_db`` rebuilds them; none of
these models' fields converts what the database gives (checked when the SQL is built).
"""

import functools

from django.db import connections
from django.utils import timezone

from backoffice.core.history import history_insert_sql
from library.models import Author, Book, Borrow

# The patron of a returned loan comes back with it, for the answer's ``borrowed_by``.
User = Borrow._meta.get_field("user").related_model


def attnames(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def history_values(parameters: list[str], history_type: str, actor, reason: str) -> list:
    """The values of the history row's own columns, in the order its SQL takes them."""
    known = {
        "history_date": timezone.now(),
        # The admin's reasons are lazily translated strings, which the driver cannot send.
        "history_change_reason": str(reason) if reason else None,
        "history_type": history_type,
        "history_user_id": actor.pk,
    }
    return [known[name] for name in parameters]


def _columns(model, table: str, quote) -> str:
    return ", ".join(
        f"{quote(table)}.{quote(field.column)}" for field in model._meta.concrete_fields
    )


def _check_no_conversion(using: str, *models) -> None:
    connection = connections[using]
    for model in models:
        for field in model._meta.concrete_fields:
            if field.get_db_converters(connection):
                raise LookupError(f"{model.__name__}.{field.name} converts what it reads")


@functools.cache
def lend_statement(using: str) -> tuple[str, list, list[str]]:
    """Take a copy off the shelf and insert the loan with its history row.

    Parameters: the book's id, the loan's fields (the second value), the history values
    (the third). The row: the loan's id, the book as the UPDATE left it, its author; no
    row when the shelf was empty.
    """
    _check_no_conversion(using, Book, Author)
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
def return_statement(using: str, *, own_loan: bool) -> tuple[str, list[str]]:
    """Return the open loan of an id, its copy back on the shelf, with its history row.

    The loan's conditional UPDATE (still open; with ``own_loan``, the patron's) is its
    lock and its check in one: of two parallel returns, the second waits for the first
    and then finds it closed. Parameters: the moment of return (the loan's return date is
    the later of it and the borrow date), the loan's id, with ``own_loan`` the patron's
    id, then the history values. The row: the copies now on the shelf, the loan as
    written, its book, author and patron; no row when no open loan matched, and then
    nothing was written.
    """
    _check_no_conversion(using, Borrow, Book, Author, User)
    quote = connections[using].ops.quote_name
    history, history_parameters = history_insert_sql(Borrow, "loan", using)
    loan_columns = ", ".join(quote(field.column) for field in Borrow._meta.concrete_fields)
    sql = (
        f"WITH loan AS (UPDATE {quote(Borrow._meta.db_table)} "
        "SET return_date = GREATEST(%s, borrow_date) "
        "WHERE id = %s AND return_date IS NULL"
        f"{' AND user_id = %s' if own_loan else ''} RETURNING {loan_columns}"
        f"), history AS ({history}), "
        "shelf AS (UPDATE library_book SET available_copies = available_copies + 1 "
        "WHERE id = (SELECT book_id FROM loan) "
        f"RETURNING {_columns(Book, 'library_book', quote)}) "
        f"SELECT shelf.available_copies, {_columns(Borrow, 'loan', quote)}, "
        f"{_columns(Book, 'shelf', quote)}, {_columns(Author, 'author', quote)}, "
        f"{_columns(User, 'patron', quote)} "
        "FROM loan JOIN shelf ON shelf.id = loan.book_id "
        f"JOIN {quote(Author._meta.db_table)} author ON author.id = shelf.author_id "
        f"JOIN {quote(User._meta.db_table)} patron ON patron.id = loan.user_id"
    )
    return sql, history_parameters
