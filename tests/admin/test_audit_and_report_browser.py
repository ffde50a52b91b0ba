"""Audit, Changes and a report page in a real browser, under the Content-Security-Policy:
the report's chart is drawn, the filters work as a browser submits them, nothing refused."""

import pytest

from reports.selectors import report_build
from reports.services import report_write
from tests.factories import AuditorFactory, LibrarianFactory

from .test_browser import browser, screenshot, small_library  # noqa: F401
from .test_csp_browser import charts_drawn, open_watched_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_report_page_draws_its_chart(browser, live_server, settings, tmp_path):  # noqa: F811
    settings.REPORTS_DIR = tmp_path
    small_library()
    report_write({**report_build(), "generated_at": "2026-01-01T02:00:00+00:00"}, tmp_path)
    newer = report_write(report_build(), tmp_path)
    page, watch = open_watched_page(browser, live_server, LibrarianFactory(username="librarian"))

    page.goto(f"{live_server.url}/admin/django_celery_results/taskresult/report-files/")
    page.click(f"text={newer.name}")
    page.wait_for_selector("#report-figures")
    page.wait_for_selector("canvas.chart")
    page.wait_for_timeout(800)
    drawn = charts_drawn(page)
    assert len(drawn) == 1 and drawn[0]["points"] and drawn[0]["painted"], drawn
    assert "Changes are since the previous report" in page.inner_text("#report-period")
    screenshot(page, "report_page.png", full_page=True)
    assert watch.complaints() == []


def test_an_auditor_filters_the_audit_trail(browser, live_server):  # noqa: F811
    small_library()
    page, watch = open_watched_page(browser, live_server, AuditorFactory(username="auditor"))

    page.click("text=Changes")
    page.wait_for_selector("#audit-table")
    # A page of 50 history rows, less those that changed nothing (a password saved by the
    # factory changes no field the history keeps).
    assert 40 <= page.locator(".audit-row").count() <= 50
    assert page.locator("#audit-older").count() == 1
    page.select_option("select[name=model]", "library.book")
    page.select_option("select[name=kind]", "+")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_selector("#audit-table")
    kinds = page.locator(".audit-row td:nth-child(4)").all_inner_texts()
    assert kinds and set(kinds) == {"created"}
    assert all(
        text.startswith("Book")
        for text in page.locator(".audit-row td:nth-child(3)").all_inner_texts()
    )
    screenshot(page, "audit_changes.png", full_page=True)
    assert watch.complaints() == []
