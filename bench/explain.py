"""EXPLAIN every list endpoint and every admin changelist on the data set.

Each page is fetched once as the account that would read it (a patron with the most
loans, a librarian, the admin's superuser session); every SQL statement it ran is
explained with ANALYZE, and each sequential scan of a table of more than
``--large`` rows is reported with the statement's time. A scan is not always wrong (a
count of every loan reads every loan), so the script prints, it does not judge: the
figures and the verdicts are in docs/PERFORMANCE.md.

    DATABASE_URL=postgres://…/shelfwise_bench .venv/bin/python bench/explain.py
"""

import argparse
import re

import common

SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", type=int, default=20_000, help="rows that make a table large")
    args = parser.parse_args()
    common.setup()

    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    librarian = common.bench_librarian()
    patron, _ = common.busiest_patron()
    superuser, _ = get_user_model().objects.get_or_create(
        username="bench-superuser", defaults={"is_staff": True, "is_superuser": True}
    )
    as_patron = Client(HTTP_AUTHORIZATION=f"Token {common.token_for(patron)}")
    as_librarian = Client(HTTP_AUTHORIZATION=f"Token {common.token_for(librarian)}")
    anonymous = Client()
    session = common.admin_session(superuser)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace"
        )
        sizes = dict(cursor.fetchall())
    large = {table for table, rows in sizes.items() if rows > args.large}
    common.figure("large_tables", ", ".join(sorted(large)))

    pages = [
        ("api_books", anonymous, "/books/"),
        ("api_authors", anonymous, "/authors/"),
        ("api_available_by_genre", anonymous, "/books/available-by-genre/"),
        ("api_borrow_patron", as_patron, "/borrow/"),
        ("api_borrow_librarian", as_librarian, "/borrow/"),
        ("api_borrow_overdue", as_librarian, "/borrow/?overdue=true"),
        ("api_holds_patron", as_patron, "/holds/"),
        ("api_holds_librarian", as_librarian, "/holds/"),
        ("api_reading_history", as_patron, "/auth/user/reading-history/"),
    ]
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        pages.append((f"admin_{meta.app_label}_{meta.model_name}", session, url))

    flagged = 0
    for name, client, path in pages:
        client.get(path)  # warm-up
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            common.figure(name, f"HTTP {response.status_code} {path}")
            continue
        scans = []
        with connection.cursor() as cursor:
            for query in queries.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                big = sorted({table for table in SEQ_SCAN.findall(plan) if table in large})
                if big:
                    milliseconds = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
                    scans.append(f"{'+'.join(big)} {milliseconds:.0f} ms: {sql[:160]}")
        common.figure(f"{name}_queries", len(queries.captured_queries))
        for scan in scans:
            flagged += 1
            print(f"  seq scan of {scan}")
    common.figure("statements_with_a_large_seq_scan", flagged)


if __name__ == "__main__":
    main()
