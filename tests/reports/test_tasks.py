import json

import pytest
from django.db import InterfaceError, OperationalError

from reports import tasks
from reports.selectors import GENERATE_REPORT_TASK, report_latest
from reports.tasks import generate_report
from tests.factories import BookFactory, BorrowFactory

pytestmark = pytest.mark.django_db


def test_task_writes_a_report_and_returns_its_file_name(reports_dir):
    BorrowFactory(book=BookFactory(total_copies=2))

    result = generate_report.apply(kwargs={"requested_by_id": 42})

    assert result.state == "SUCCESS"
    latest = report_latest(reports_dir)
    assert result.result["file"] == latest.name
    assert result.result["requested_by_id"] == 42
    written = json.loads(latest.path.read_text())
    assert written["generated_at"] == result.result["generated_at"]
    assert written["total_books"] == {"titles": 1, "copies": 2}
    assert written["books_currently_borrowed"] == 1


def test_unwritable_reports_dir_fails_the_task_with_a_readable_reason(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.REPORTS_DIR = blocker / "reports"

    result = generate_report.apply()

    assert result.state == "FAILURE"
    assert type(result.result).__name__ == "ReportDirectoryError"
    assert f"Cannot write the report into {blocker / 'reports'}" in str(result.result)
    assert "REPORTS_DIR" in str(result.result)


def test_task_is_declared_for_a_safe_queue():
    assert generate_report.name == GENERATE_REPORT_TASK == "reports.tasks.generate_report"
    assert generate_report.acks_late is True
    assert set(generate_report.autoretry_for) == {OperationalError, InterfaceError}
    assert generate_report.max_retries == 3
    assert generate_report.retry_backoff


def test_transient_database_error_is_retried(reports_dir, monkeypatch):
    real_build = tasks.report_build
    calls = []

    def flaky_build():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_build()

    monkeypatch.setattr(tasks, "report_build", flaky_build)

    result = generate_report.apply()

    assert result.state == "SUCCESS"
    assert len(calls) == 2
    assert report_latest(reports_dir).name == result.result["file"]


def test_persistent_database_error_gives_up_after_three_retries(reports_dir, monkeypatch):
    calls = []

    def broken_build():
        calls.append(1)
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(tasks, "report_build", broken_build)

    result = generate_report.apply()

    assert result.state == "FAILURE"
    assert isinstance(result.result, InterfaceError)
    assert len(calls) == 1 + 3
    assert report_latest(reports_dir) is None
