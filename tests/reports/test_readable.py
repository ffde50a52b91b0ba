"""Reports as a librarian reads them, and a report task's page in words."""

import csv
import io
import json

import pytest
from celery import states
from django.urls import reverse
from django.utils import timezone
from django_celery_results.models import TaskResult

from reports.selectors import report_build
from reports.services import report_write

from ..admin.conftest import fake_reports, web_client_for  # noqa: F401
from ..factories import BookFactory, BorrowFactory, UserFactory

pytestmark = pytest.mark.django_db


def report(at: str, **figures) -> dict:
    base = {
        "generated_at": at,
        "period_start": "2025-01-01T00:00:00+00:00",
        "total_authors": 10,
        "total_books": {"titles": 20, "copies": 50},
        "books_currently_borrowed": 5,
        "holds": {"held_copies": 1, "waiting": 2},
        "overdue_borrows": 1,
        "active_patrons_last_30_days": 4,
        "borrows_last_30_days": 12,
        "top_genres": [{"genre": "Gothic", "borrows": 7}, {"genre": "=cmd", "borrows": 5}],
    }
    base.update(figures)
    return base


@pytest.fixture
def reports(reports_dir):
    older = report_write(report("2025-01-30T02:00:00+00:00"), reports_dir)
    newer = report_write(
        report(
            "2025-01-31T02:00:00+00:00",
            books_currently_borrowed=9,
            total_books={"titles": 20, "copies": 48},
        ),
        reports_dir,
    )
    return older, newer


def test_a_report_page_shows_figures_period_changes_and_downloads(librarian, reports):
    _older, newer = reports

    page = web_client_for(librarian).get(reverse("admin:reports_report_view", args=[newer.name]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "On loan now" in text and ">9<" in text.replace(" ", "").replace("\n", "")
    assert "+4" in text and "-2" in text and "no change" in text
    assert "31 Jan 2025" in text and "30 Jan 2025" in text  # the period and the previous
    assert "chart-report-genres" in text and "Gothic" in text
    assert reverse("admin:reports_report_download", args=[newer.name]) in text
    assert reverse("admin:reports_report_csv", args=[newer.name]) in text


def test_the_first_report_says_there_is_nothing_to_compare(auditor, reports):
    older, _newer = reports

    page = web_client_for(auditor).get(reverse("admin:reports_report_view", args=[older.name]))

    assert page.status_code == 200
    assert "nothing to compare" in page.content.decode()


def test_the_csv_holds_the_figures_and_changes_and_is_formula_safe(librarian, reports):
    _older, newer = reports

    response = web_client_for(librarian).get(reverse("admin:reports_report_csv", args=[newer.name]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{newer.name[:-5]}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["figure", "value", "previous report", "change"]
    assert ["On loan now", "9", "5", "4"] in rows
    assert ["Copies", "48", "50", "-2"] in rows
    assert ["Gothic", "7", "7", "0"] in rows
    assert ["'=cmd", "5", "5", "0"] in rows  # a genre a spreadsheet would run, quoted
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_a_file_that_is_not_a_report_is_said_so(librarian, reports_dir):
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / "report_20250101_010101.json").write_text(json.dumps({"x": 1}))
    web = web_client_for(librarian)

    page = web.get(reverse("admin:reports_report_view", args=["report_20250101_010101.json"]))

    assert page.status_code == 200
    assert "cannot be read as a report" in page.content.decode()
    assert (
        web.get(
            reverse("admin:reports_report_csv", args=["report_20250101_010101.json"])
        ).status_code
        == 404
    )


def test_a_moment_at_the_calendars_edge_is_no_500(librarian, reports_dir):
    # A hand-edited file: its moments are valid ISO 8601 with no place in UTC.
    reports_dir.mkdir(parents=True, exist_ok=True)
    name = "report_20250101_010101.json"
    edited = report("0001-01-01T00:00:00+14:00", period_start="9999-12-31T23:59:59-14:00")
    (reports_dir / name).write_text(json.dumps(edited))

    page = web_client_for(librarian).get(reverse("admin:reports_report_view", args=[name]))

    assert page.status_code == 200
    assert "On loan now" in page.content.decode()


@pytest.mark.parametrize("name", ["report_20990101_000000.json", "x.json", "report_1.json"])
def test_unknown_reports_are_not_found(librarian, reports, name):
    web = web_client_for(librarian)
    assert (
        web.get(f"/admin/django_celery_results/taskresult/report-files/{name}/view/").status_code
        == 404
    )
    assert (
        web.get(f"/admin/django_celery_results/taskresult/report-files/{name}/csv/").status_code
        == 404
    )


def test_patrons_and_staff_without_a_role_cannot_read_reports(patron, reports):
    _older, newer = reports
    url = reverse("admin:reports_report_view", args=[newer.name])
    assert web_client_for(patron).get(url).status_code == 302
    staff = UserFactory(username="helper", is_staff=True)
    assert web_client_for(staff).get(url).status_code == 403
    assert (
        web_client_for(staff)
        .get(reverse("admin:reports_report_csv", args=[newer.name]))
        .status_code
        == 403
    )


def test_the_files_page_links_each_report_page(librarian, reports):
    _older, newer = reports
    page = web_client_for(librarian).get(reverse("admin:reports_report_files"))
    assert reverse("admin:reports_report_view", args=[newer.name]) in page.content.decode()


def test_a_report_built_from_the_library_reads_back(librarian, reports_dir):
    BorrowFactory(book=BookFactory(genre="Gothic"))
    written = report_write(report_build(), reports_dir)

    page = web_client_for(librarian).get(reverse("admin:reports_report_view", args=[written.name]))

    assert page.status_code == 200 and "Gothic" in page.content.decode()


# --- The task's page -------------------------------------------------------------------------


def task(status, **fields) -> TaskResult:
    return TaskResult.objects.create(
        task_id=fields.pop("task_id", "7f0c7c1e-54c3-4c0b-9f54-0c9c1c1f0b11"),
        task_name="reports.tasks.generate_report",
        status=status,
        **fields,
    )


def task_page(user, result):
    return web_client_for(user).get(
        reverse("admin:django_celery_results_taskresult_change", args=[result.pk])
    )


def test_a_queued_task_says_so_and_refreshes_itself(librarian):
    text = task_page(librarian, task(states.PENDING)).content.decode()

    assert "waits for a worker" in text
    assert '<meta http-equiv="refresh" content="3">' in text


def test_a_running_task_says_a_worker_is_building_it(auditor):
    text = task_page(auditor, task(states.STARTED)).content.decode()

    assert "A worker is building the report" in text and 'http-equiv="refresh"' in text


def test_a_finished_task_links_to_its_report_and_stops_refreshing(librarian, reports):
    _older, newer = reports
    result = task(states.SUCCESS, result=json.dumps({"file": newer.name}), date_done=timezone.now())

    text = task_page(librarian, result).content.decode()

    assert f"The report was written to {newer.name}" in text
    assert reverse("admin:reports_report_view", args=[newer.name]) in text
    assert 'http-equiv="refresh"' not in text


def test_a_failed_task_says_why(librarian):
    result = task(
        states.FAILURE,
        result=json.dumps({"exc_type": "ReportDirectoryError", "exc_message": ["Cannot write."]}),
    )

    text = task_page(librarian, result).content.decode()

    assert "could not be written" in text and "Cannot write." in text
    assert 'http-equiv="refresh"' not in text


@pytest.mark.usefixtures("fake_reports")
def test_generate_report_now_leads_to_the_task_page(librarian):
    response = web_client_for(librarian).post(
        reverse("admin:django_celery_results_taskresult_generate_report"), {"confirm": "1"}
    )

    created = TaskResult.objects.get(task_id="task-0001")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:django_celery_results_taskresult_change", args=[created.pk]
    )
