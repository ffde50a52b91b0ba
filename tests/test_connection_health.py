"""The PostgreSQL backend's health check: no round trip for a sound connection, and a
connection the server ended is noticed and replaced."""

import time

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_postgresql

from library.models import Book
from tests.factories import BookFactory

# serialized_rollback restores the groups and content types after each flush.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def kept_connection(require_postgres):
    # A connection of its own, outside the test's transaction, as a web process keeps one.
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_a_sound_idle_connection_is_checked_without_a_query(kept_connection, monkeypatch):
    def round_trip(self):
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", round_trip)
    assert kept_connection.is_usable() is True


def test_a_connection_the_server_ended_is_noticed_and_replaced(kept_connection):
    BookFactory(title="Still here")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(%s)", [kept_connection.connection.info.backend_pid]
        )
    deadline = time.monotonic() + 10
    while kept_connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kept_connection.is_usable() is False

    # What Django does before a request's first query: close it, then connect afresh.
    kept_connection.health_check_enabled = True
    kept_connection.health_check_done = False
    kept_connection.close_if_health_check_failed()
    with kept_connection.cursor() as cursor:
        cursor.execute(f"SELECT title FROM {Book._meta.db_table}")
        assert cursor.fetchall() == [("Still here",)]
