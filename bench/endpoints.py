"""Read endpoints on the large data set: median time and SQL queries per request.

Runs in-process with Django's test Client against the configured database and cache
(production settings, DEBUG off). The query count comes from
``django.test.utils.CaptureQueriesContext`` around one extra request, so the timed
requests run without query logging. /stats/ is compared with the same four aggregates
written as raw SQL and run through psql.

    .venv/bin/python bench/endpoints.py [--repeat 5] [--explain]
"""

import argparse
import statistics
import time
from datetime import timedelta

import common

SLOW_QUERY_MS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per endpoint")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN (ANALYZE) the slow queries of each page"
    )
    args = parser.parse_args()
    common.setup()

    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    librarian = common.bench_librarian()
    patron, loans = common.busiest_patron()
    common.figure("busiest_patron_borrows", loans, "borrows")

    anonymous = Client()
    as_librarian = Client(HTTP_AUTHORIZATION=f"Token {common.token_for(librarian)}")
    as_patron = Client(HTTP_AUTHORIZATION=f"Token {common.token_for(patron)}")
    staff_session = common.admin_session(librarian)

    from library.models import Author

    surname = Author.objects.order_by("id").values_list("name", flat=True).first().split()[-1]
    today = timezone.localdate()
    year_ago = today - timedelta(days=364)
    pages = [
        ("stats_1y", as_librarian, f"/stats/?start={year_ago}&end={today}"),
        ("available_by_genre", anonymous, "/books/available-by-genre/"),
        ("borrow_list_busiest_patron", as_patron, "/borrow/"),
        ("admin_dashboard", staff_session, "/admin/"),
        ("admin_dashboard_computed", staff_session, "/admin/"),
        ("admin_book_changelist", staff_session, "/admin/library/book/"),
        # Catalogue search: a common title word, a rare one, an author's surname, ISBN digits.
        ("search_common_word", anonymous, "/books/?search=island"),
        ("search_rare_word", anonymous, "/books/?search=zanzibar"),
        ("search_author_surname", anonymous, f"/books/?search={surname}"),
        ("search_isbn_digits", anonymous, "/books/?search=9781234"),
        ("admin_book_search", staff_session, "/admin/library/book/?q=island"),
        ("admin_borrow_changelist", staff_session, "/admin/library/borrow/"),
    ]
    for name, client, path in pages:
        # The dashboard reuses its statistics for a minute; "computed" measures the request
        # that computes them.
        cache_seconds = 0 if name.endswith("_computed") else settings.DASHBOARD_CACHE_SECONDS

        def fetch(client=client, path=path, cache_seconds=cache_seconds):
            with override_settings(DASHBOARD_CACHE_SECONDS=cache_seconds):
                response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
            return response

        fetch()  # warm-up: connections, templates, caches
        seconds = common.median_seconds(fetch, args.repeat)
        with CaptureQueriesContext(connection) as queries:
            fetch()
        common.figure(f"{name}_median", seconds * 1000, "ms")
        common.figure(f"{name}_queries", len(queries.captured_queries), "queries")
        if args.explain:
            explain_slow(connection, name, queries.captured_queries)

    # The comparison interleaves the two, request then psql, so that load from anything
    # else on the machine falls on both alike.
    orm_times, raw_times = [], []
    stats_path = pages[0][2]
    for _ in range(max(args.repeat, 5)):
        started = time.perf_counter()
        as_librarian.get(stats_path)
        orm_times.append(time.perf_counter() - started)
        raw_times.append(stats_raw_sql_seconds(year_ago, today + timedelta(days=1)))
    orm, raw = statistics.median(orm_times), statistics.median(raw_times)
    common.figure("stats_1y_interleaved_orm_median", orm * 1000, "ms")
    common.figure("stats_1y_interleaved_raw_sql_psql_median", raw * 1000, "ms")
    common.figure("stats_1y_orm_to_raw_ratio", orm / raw, "x")


def explain_slow(connection, name: str, captured: list[dict]) -> None:
    for query in captured:
        if float(query["time"]) * 1000 < SLOW_QUERY_MS:
            continue
        print(f"--- {name}: {float(query['time']) * 1000:.0f} ms\n{query['sql']}")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            print("\n".join(row[0] for row in cursor.fetchall()))


def stats_raw_sql(start, end) -> str:
    """GET /stats/'s four aggregates as a DBA would write them (limit 5)."""
    period = f"b.borrow_date >= '{start}' AND b.borrow_date < '{end}'"
    return f"""
SELECT count(*) FROM library_borrow b WHERE {period};
SELECT bk.id, bk.title, a.id, a.name, top.n
  FROM (SELECT b.book_id, count(*) AS n FROM library_borrow b WHERE {period}
        GROUP BY b.book_id) top
  JOIN library_book bk ON bk.id = top.book_id JOIN library_author a ON a.id = bk.author_id
 ORDER BY top.n DESC, bk.title, bk.id LIMIT 5;
SELECT u.id, u.username, top.n
  FROM (SELECT b.user_id, count(*) AS n FROM library_borrow b WHERE {period}
        GROUP BY b.user_id) top
  JOIN accounts_user u ON u.id = top.user_id
 ORDER BY top.n DESC, u.username LIMIT 5;
SELECT avg(b.return_date - b.borrow_date) FROM library_borrow b
 WHERE {period} AND b.return_date IS NOT NULL;
"""


def stats_raw_sql_seconds(start, end) -> float:
    """The four statements' server times (psql's \\timing), summed: one psql run."""
    return common.psql_seconds(stats_raw_sql(start, end))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    common.figure("endpoints_bench_wall", time.perf_counter() - started, "s")
