"""The audit trail and the loan anonymisation on the large data set.

- The audit trail: queries and median seconds of its first page, of a page further back,
  and of a page filtered by actor; the admin page itself through the test client.
- The nightly anonymisation with LOAN_HISTORY_RETENTION_DAYS=365 (``--days``), timed
  inside a transaction that is rolled back, so the data set is left as it was.

    .venv/bin/python bench/privacy.py [--repeat 5] [--days 365]
"""

import argparse
import time

import common


class _RollBack(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--audit-only", action="store_true", help="skip the anonymisation run")
    args = parser.parse_args()
    common.setup()

    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from library.models import Borrow
    from library.selectors.audit import AuditFilters, audit_page
    from library.services.privacy import returned_loans_anonymise

    _first, cursor = audit_page(filters=AuditFilters())
    for name, run in (
        ("audit_first_page", lambda: audit_page(filters=AuditFilters())),
        ("audit_page_after_cursor", lambda: audit_page(filters=AuditFilters(), cursor=cursor)),
        ("audit_staff_actor_page", lambda: audit_page(filters=AuditFilters(actor="staff"))),
        (
            "audit_loans_by_patrons_page",
            lambda: audit_page(filters=AuditFilters(actor="patron", model="library.borrow")),
        ),
    ):
        with CaptureQueriesContext(connection) as queries:
            run()
        common.figure(f"{name}_queries", len(queries.captured_queries), "queries")
        common.figure(f"{name}_median", common.median_seconds(run, args.repeat), "s")

    # The admin page itself, as a librarian opens it (a throwaway superuser, rolled back).
    try:
        with transaction.atomic():
            from django.contrib.auth import get_user_model

            staff = get_user_model().objects.create_superuser("bench-audit-reader", None, None)
            client = common.admin_session(staff)
            url = "/admin/accounts/user/audit/changes/"
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                status = client.get(url).status_code
            common.figure("audit_admin_page_status", status)
            common.figure("audit_admin_page_queries", len(queries.captured_queries), "queries")
            common.figure(
                "audit_admin_page_median",
                common.median_seconds(lambda: client.get(url), args.repeat),
                "s",
            )
            raise _RollBack
    except _RollBack:
        pass

    if args.audit_only:
        return
    settings.LOAN_HISTORY_RETENTION_DAYS = args.days
    try:
        with transaction.atomic():
            loans = Borrow.objects.count()
            started = time.perf_counter()
            result = returned_loans_anonymise()
            elapsed = time.perf_counter() - started
            common.figure("loans", loans)
            common.figure("anonymised_loans", result.anonymised)
            common.figure("anonymisation_batches", result.batches)
            common.figure("anonymisation_seconds", elapsed, "s")
            started = time.perf_counter()
            again = returned_loans_anonymise()
            common.figure("second_run_anonymised", again.anonymised)
            common.figure("second_run_seconds", time.perf_counter() - started, "s")
            raise _RollBack
    except _RollBack:
        pass


if __name__ == "__main__":
    main()
