"""The circulation's statements are prepared on the PostgreSQL server, once per
connection, and planned so that their generic plans still use the partial indexes."""

import copy

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.core.compiled import CompiledQuery
from library.models import Borrow, Hold
from library.services import copies
from tests.factories import BookFactory, HoldFactory, UserFactory
from tests.settings_process import settings_in_new_process

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

open_holds_of = CompiledQuery(
    lambda user_id, book_id: (
        Hold.objects.open().filter(user_id=user_id, book_id=book_id).order_by().values("pk")
    ),
    "user_id",
    "book_id",
)


def prepared_statements(wrapper=connection) -> list[str]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_a_borrow_and_a_return_run_prepared_statements_and_log_their_text(
    require_postgres, api_client
):
    patron = UserFactory()
    books = BookFactory.create_batch(3, total_copies=2, available_copies=2)
    api_client.force_authenticate(patron)
    with CaptureQueriesContext(connection) as queries:
        for book in books:
            borrowed = api_client.post("/borrow/", {"book": book.pk}, format="json")
            assert borrowed.status_code == 201, borrowed.content
            returned = api_client.put(f"/borrow/{borrowed.json()['id']}/return/")
            assert returned.status_code == 200, returned.content

    statements = prepared_statements()
    assert any(s.startswith("WITH shelf AS (UPDATE library_book") for s in statements)
    assert any(s.startswith('WITH loan AS (UPDATE "library_borrow"') for s in statements)
    # The values travel apart from the prepared text; the query log still shows them.
    assert all("$1" not in query["sql"] for query in queries.captured_queries)
    assert any(f"WHERE id = {books[-1].pk} AND" in q["sql"] for q in queries.captured_queries)
    assert Borrow.objects.filter(user=patron, return_date__isnull=False).count() == 3


def test_the_querysets_own_values_are_written_into_the_sql_and_the_named_ones_bound(
    require_postgres,
):
    holder = HoldFactory()
    assert open_holds_of.rows(user_id=holder.user_id, book_id=holder.book_id) == [{"pk": holder.pk}]
    sql = open_holds_of._compiled_for("default")["sql"]
    assert "IN ('waiting', 'ready')" in sql
    assert sql.count("%s") == 2


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (open_holds_of, "hold_one_open_per_user_and_book"),
        (copies._first_in_queue, "hold_queue_idx"),
    ],
)
def test_a_generic_plan_still_reads_the_partial_index_of_its_statuses(
    require_postgres, query, index
):
    # A generic plan is made for no value in particular: with the statuses as
    # parameters it could not prove the partial index's predicate, and read every hold.
    # Enough holds over enough titles, with statistics, that the partial index is the
    # planner's clear choice: on three unanalysed rows any index of holds costs the same.
    placed_at, books = timezone.now(), BookFactory.create_batch(20)
    Hold.objects.bulk_create(
        Hold(user=user, book=book, placed_at=placed_at)
        for user in UserFactory.create_batch(20)
        for book in books
    )
    pieces = query._compiled_for("default")["sql"].split("%s")
    sql = "".join(f"{piece}${n}" for n, piece in enumerate(pieces[:-1], 1)) + pieces[-1]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE library_hold")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"PREPARE generic_plan AS {sql}")
        cursor.execute(f"EXPLAIN EXECUTE generic_plan({', '.join(['1'] * (len(pieces) - 1))})")
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute("DEALLOCATE generic_plan")
    assert index in plan, plan


def test_with_preparing_turned_off_nothing_is_prepared(require_postgres):
    def wrapper_with(options: dict):
        settings_dict = copy.deepcopy(connections["default"].settings_dict)
        settings_dict["OPTIONS"] = options
        return type(connections["default"])(settings_dict, "default")

    for options, prepared in (({}, False), ({"prepare_threshold": 5}, True)):
        wrapper = wrapper_with(options)
        try:
            with wrapper.prepared_cursor() as cursor:
                cursor.execute("SELECT %s::int + 1", [41])
                assert cursor.fetchone() == (42,)
            assert bool(prepared_statements(wrapper)) is prepared
        finally:
            wrapper.close()


@pytest.mark.parametrize(("value", "threshold"), [(None, "5"), ("1", "5"), ("0", "None")])
def test_the_setting_turns_preparing_on_by_default_and_off_on_request(value, threshold):
    result = settings_in_new_process(
        "settings.DATABASES['default']['OPTIONS'].get('prepare_threshold')",
        {
            "DATABASE_URL": "postgres://someone@db.invalid:5432/library",
            "DATABASE_PREPARED_STATEMENTS": value,
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == threshold
