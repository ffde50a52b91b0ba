import json
import os
import stat
from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from reports.selectors import (
    REPORT_NAME_RE,
    report_file,
    report_files,
    report_latest,
    report_read,
)
from reports.services import ReportDirectoryError, report_write


def a_report(**figures) -> dict:
    """A report of the shape report_build writes (report_read refuses any other)."""
    now = timezone.now().isoformat()
    return {
        "generated_at": now,
        "period_start": now,
        "total_authors": 1,
        "total_books": {"titles": 0, "copies": 0},
        "books_currently_borrowed": 0,
        "overdue_borrows": 0,
        "active_patrons_last_30_days": 0,
        "borrows_last_30_days": 0,
        "top_genres": [],
        **figures,
    }


def names(directory) -> list[str]:
    return sorted(os.listdir(directory))


def test_report_is_written_as_report_timestamp_json(reports_dir):
    report = {"generated_at": "2025-03-04T05:06:07.123456+00:00", "total_authors": 7}

    path = report_write(report, reports_dir)

    assert path.name == "report_20250304_050607.json"
    assert REPORT_NAME_RE.match(path.name)
    assert json.loads(path.read_text()) == report
    assert names(reports_dir) == [path.name], "no temporary file is left behind"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_file_name_is_in_utc(reports_dir):
    path = report_write({"generated_at": "2025-03-04T07:06:07+02:00"}, reports_dir)

    assert path.name == "report_20250304_050607.json"


def test_missing_directory_is_created(tmp_path):
    path = report_write(a_report(), tmp_path / "a" / "b")

    assert path.parent == tmp_path / "a" / "b"


@time_machine.travel(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), tick=False)
def test_reports_in_the_same_second_never_overwrite_each_other(reports_dir):
    paths = [report_write(a_report(total_authors=n), reports_dir) for n in range(1, 4)]

    assert [path.name for path in paths] == [
        "report_20250102_030405.json",
        "report_20250102_030405_2.json",
        "report_20250102_030405_3.json",
    ]
    assert [json.loads(path.read_text())["total_authors"] for path in paths] == [1, 2, 3]
    assert report_latest(reports_dir).name == "report_20250102_030405_3.json"
    assert report_read(report_latest(reports_dir))["total_authors"] == 3


def test_files_are_listed_newest_first_by_time_then_sequence(reports_dir):
    reports_dir.mkdir()
    for name in [
        "report_20250101_000000_10.json",
        "report_20250101_000000.json",
        "report_20241231_235959_3.json",
        "report_20250101_000000_2.json",
        "report_20250101_000001.json",
    ]:
        (reports_dir / name).write_text("{}")

    assert [report.name for report in report_files(reports_dir)] == [
        "report_20250101_000001.json",
        "report_20250101_000000_10.json",
        "report_20250101_000000_2.json",
        "report_20250101_000000.json",
        "report_20241231_235959_3.json",
    ]


def test_only_report_files_are_listed(reports_dir, tmp_path):
    reports_dir.mkdir()
    outside = tmp_path / "secret.json"
    outside.write_text('{"secret": true}')
    for name in [
        ".report_abc.tmp",
        "notes.txt",
        "report.json",
        "report_20250101_000000_1.json",
        "report_20251301_000000.json",
        "report_20250101_000000.json.bak",
    ]:
        (reports_dir / name).write_text("{}")
    (reports_dir / "report_20250101_000000.json").write_text("{}")
    (reports_dir / "report_20250101_000009.json").symlink_to(outside)
    (reports_dir / "report_20250101_000008.json").mkdir()

    assert [report.name for report in report_files(reports_dir)] == ["report_20250101_000000.json"]


def test_absent_directory_has_no_reports(tmp_path):
    assert report_files(tmp_path / "nowhere") == []
    assert report_latest(tmp_path / "nowhere") is None


@pytest.mark.parametrize(
    "name",
    [
        "../secret.json",
        "..",
        "/etc/passwd",
        "report_20250101_000000.json/../../secret.json",
        "reports/report_20250101_000000.json",
        "report_20250101_000000.json\x00",
        "report_20250101_000009.json",  # a symlink to a file outside the directory
        "report_20250101_000001.json",  # does not exist
    ],
)
def test_report_file_looks_up_only_report_names_in_the_directory(reports_dir, tmp_path, name):
    reports_dir.mkdir()
    (tmp_path / "secret.json").write_text("{}")
    (reports_dir / "report_20250101_000009.json").symlink_to(tmp_path / "secret.json")

    assert report_file(reports_dir, name) is None


def test_report_file_finds_an_existing_report(reports_dir):
    path = report_write(a_report(), reports_dir)

    found = report_file(reports_dir, path.name)

    assert found.path == path
    assert found.size == path.stat().st_size


# --- Failures: nothing partial is ever left behind ------------------------------------


def test_failure_while_syncing_leaves_no_file(reports_dir, monkeypatch):
    reports_dir.mkdir()

    def disk_error(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", disk_error)

    with pytest.raises(ReportDirectoryError, match="Input/output error"):
        report_write(a_report(), reports_dir)
    assert names(reports_dir) == []


def test_crash_in_the_middle_of_the_write_leaves_no_file(reports_dir, monkeypatch):
    """Even an interruption that is not an error (Ctrl-C, a worker being killed) cleans up."""
    reports_dir.mkdir()
    original_fdopen = os.fdopen

    class HalfWrittenFile:
        def __init__(self, fd, mode):
            self.handle = original_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def fileno(self):
            return self.handle.fileno()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "fdopen", HalfWrittenFile)

    with pytest.raises(KeyboardInterrupt):
        report_write(a_report(), reports_dir)
    assert names(reports_dir) == []


def test_failure_to_publish_the_name_leaves_no_file(reports_dir, monkeypatch):
    reports_dir.mkdir()

    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "link", no_space)

    with pytest.raises(ReportDirectoryError, match="No space left on device"):
        report_write(a_report(), reports_dir)
    assert names(reports_dir) == []


def test_unserialisable_report_fails_before_any_file_exists(reports_dir):
    reports_dir.mkdir()

    with pytest.raises(TypeError):
        report_write(a_report(bad=object()), reports_dir)
    assert names(reports_dir) == []


def test_unwritable_directory_is_a_clear_error(tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")

    with pytest.raises(ReportDirectoryError) as error:
        report_write(a_report(), not_a_directory / "reports")

    message = str(error.value)
    assert str(not_a_directory / "reports") in message
    assert "REPORTS_DIR" in message
