"""The newest report file is read only when it has a report's shape; anything else is a 503."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from reports.selectors import report_build

pytestmark = pytest.mark.django_db

REPORTS = "/reports/"
NAME = "report_20250101_000000.json"


def newest_file(reports_dir, text: str):
    reports_dir.mkdir(exist_ok=True)
    (reports_dir / NAME).write_text(text, encoding="utf-8")


REPORT = {
    "generated_at": "2025-01-01T00:00:00+00:00",
    "period_start": "2024-12-02T00:00:00+00:00",
    "total_authors": 3,
    "total_books": {"titles": 4, "copies": 9},
    "books_currently_borrowed": 2,
    "overdue_borrows": 1,
    "active_patrons_last_30_days": 2,
    "borrows_last_30_days": 5,
    "top_genres": [{"genre": "Drama", "borrows": 3}, {"genre": "Poetry", "borrows": 2}],
}


def a_report(**changes) -> dict:
    return {**REPORT, **changes}


def without(key: str) -> dict:
    report = a_report()
    del report[key]
    return report


@pytest.mark.parametrize(
    "content",
    [
        "[]",
        "[1, 2]",
        '"a report"',
        "42",
        "null",
        "true",
        "{}",
        "[" * 100_000 + "]" * 100_000,  # deeper than Python's json module can recurse
        json.dumps(without("top_genres")),
        json.dumps(a_report(total_authors="3")),
        json.dumps(a_report(total_authors=True)),
        json.dumps(a_report(overdue_borrows=-1)),
        json.dumps(a_report(total_books=[1, 2])),
        json.dumps(a_report(total_books={"titles": 1})),
        json.dumps(a_report(top_genres={"genre": "Drama", "borrows": 1})),
        json.dumps(a_report(top_genres=[{"genre": 7, "borrows": 1}])),
        json.dumps(a_report(top_genres=["Drama"])),
        json.dumps(a_report(generated_at="yesterday")),
        json.dumps(a_report(period_start=None)),
    ],
)
def test_a_newest_file_that_is_not_a_report_is_a_503(librarian_client, reports_dir, content):
    newest_file(reports_dir, content)

    response = librarian_client.get(REPORTS)

    assert response.status_code == 503
    assert response.json()["code"] == "report_unreadable"


def test_a_report_is_served_in_its_documented_shape(auditor_client, reports_dir):
    report = report_build()
    newest_file(reports_dir, json.dumps({**report, "written_by": "a later version"}))

    response = auditor_client.get(REPORTS)

    assert response.status_code == 200
    assert response.json() == {"file": NAME, **report}


def test_the_report_files_page_lists_a_file_that_is_not_a_report(librarian, reports_dir):
    # The page lists names and sizes, and the download serves the bytes as they are.
    newest_file(reports_dir, "[1, 2]")
    client = Client()
    client.force_login(librarian)

    page = client.get(reverse("admin:reports_report_files"))
    download = client.get(reverse("admin:reports_report_download", args=[NAME]))

    assert page.status_code == 200
    assert NAME in page.content.decode()
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"[1, 2]"


def test_a_report_written_before_holds_existed_is_still_served(auditor_client, reports_dir):
    report = report_build()
    report.pop("holds")
    newest_file(reports_dir, json.dumps(report))

    response = auditor_client.get(REPORTS)

    assert response.status_code == 200
    assert "holds" not in response.json()


def test_a_report_with_malformed_hold_figures_is_a_503(auditor_client, reports_dir):
    newest_file(reports_dir, json.dumps({**report_build(), "holds": {"waiting": "many"}}))

    response = auditor_client.get(REPORTS)

    assert response.status_code == 503
    assert response.json()["code"] == "report_unreadable"
