"""The report task's figures on the large data set: ``reports.selectors.report_build()``
(what the Celery task computes before writing the file), median seconds, against the same
figures as raw SQL run through psql.

    .venv/bin/python bench/report.py [--repeat 5]
"""

import argparse
import statistics
import time

import common


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    common.setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from reports.selectors import report_build

    report_build()  # warm-up
    with CaptureQueriesContext(connection) as queries:
        report_build()
    common.figure("report_build_queries", len(queries.captured_queries), "queries")

    # Interleaved, so that outside load falls on both alike.
    orm, raw = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        report_build()
        orm.append(time.perf_counter() - started)
        raw.append(raw_sql_seconds(timezone.now()))
    common.figure("report_build_median", statistics.median(orm), "s")
    common.figure("report_raw_sql_psql_median", statistics.median(raw), "s")
    common.figure("report_orm_to_raw_ratio", statistics.median(orm) / statistics.median(raw), "x")


def raw_sql(now) -> str:
    """The report's figures as a DBA would ask for them, each on its index."""
    at = f"'{now.isoformat()}'::timestamptz"
    window = f"borrow_date >= {at} - interval '30 days' AND borrow_date <= {at}"
    return f"""
SELECT count(*) FROM library_author;
SELECT count(*), sum(total_copies) FROM library_book;
SELECT count(*) FROM library_borrow WHERE return_date IS NULL;
SELECT count(*) FROM library_borrow WHERE return_date IS NULL AND due_date < {at};
SELECT count(*), count(DISTINCT user_id) FROM library_borrow WHERE {window};
SELECT bk.genre, count(*) AS n FROM library_borrow b JOIN library_book bk ON bk.id = b.book_id
 WHERE b.{window.replace(" AND borrow_date", " AND b.borrow_date")}
 GROUP BY bk.genre ORDER BY n DESC, bk.genre LIMIT 5;
"""


def raw_sql_seconds(now) -> float:
    return common.psql_seconds(raw_sql(now))


if __name__ == "__main__":
    main()
