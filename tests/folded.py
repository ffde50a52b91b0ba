"""Statements saved on PostgreSQL, where the copy ledger writes a borrow from the shelf and
a return in one statement each (``library.services.copies``): the query counts the tests
pin are the ORM's, on SQLite, less these."""

from django.db import connection


def saved_by_lending() -> int:
    # The shelf's UPDATE, the loan's INSERT, its history row and the book's read: one.
    return 3 if connection.vendor == "postgresql" else 0


def saved_by_returning() -> int:
    # The loan's UPDATE, its history row and the shelf's UPDATE: one.
    return 2 if connection.vendor == "postgresql" else 0
