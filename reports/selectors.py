"""Reads for reports: the figures (computed in the database), the report files, task states."""

import json
import os
import re
import stat
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from celery import states
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django_celery_results.models import TaskResult

from library.models import Author, Book, Borrow, Hold, overdue_condition
from library.selectors import scalar, single_row

GENERATE_REPORT_TASK = "reports.tasks.generate_report"
RECENT_DAYS = 30
TOP_GENRES = 5

# report_YYYYMMDD_HHMMSS.json, and report_YYYYMMDD_HHMMSS_<n>.json (n >= 2) for the n-th
# report written in the same second. Names are in UTC, so they never repeat or run
# backwards when the clocks change. Nothing else in REPORTS_DIR is ever listed or served.
REPORT_NAME_RE = re.compile(
    r"\Areport_(?P<stamp>\d{8}_\d{6})(?:_(?P<sequence>[2-9]|[1-9]\d{1,5}))?\.json\Z"
)
STAMP_FORMAT = "%Y%m%d_%H%M%S"


def report_build(*, now: datetime | None = None) -> dict:
    """The figures of one report, as a JSON-ready dict; six queries whatever the data size.

    "Last 30 days" is the rolling window ``[now - 30 days, now]``. ``top_genres`` ranks the
    five genres with the most borrows *in that window* (ties by genre name): a daily report
    should show what is being read now, and the all-time ranking is one /stats/ query away.
    ``active_patrons_last_30_days`` counts patrons (``User.objects.active_patrons``) with at
    least one borrow in the window; ``books_currently_borrowed`` counts open borrows,
    that is copies out on loan.
    """
    now = now or timezone.now()
    since = now - timedelta(days=RECENT_DAYS)
    in_window = Q(borrow_date__gte=since, borrow_date__lte=now)

    books = (
        single_row(Book.objects.all())
        .annotate(
            titles=Count("*"),
            copies=Sum("total_copies"),
            held=Sum("held_copies"),
            waiting=scalar(Hold.objects.waiting(), Count("*")),
        )
        .values("titles", "copies", "held", "waiting")
        .get()
    )
    # Two narrow aggregates instead of one with four FILTERs: each reads only its rows
    # through an index (open loans: borrow_open_book_idx; the window:
    # borrow_date_cover_idx), where a single pass would scan the whole loan history.
    loans_out = Borrow.objects.open().aggregate(
        open=Count("id"), overdue=Count("id", filter=overdue_condition(now))
    )
    recent = Borrow.objects.filter(in_window).aggregate(borrows=Count("id"))
    active_patrons = get_user_model().objects.active_patrons(since=since, until=now).count()
    top_genres = (
        Borrow.objects.filter(in_window)
        .values("book__genre")
        .annotate(borrows=Count("id"))
        .order_by("-borrows", "book__genre")[:TOP_GENRES]
    )
    return {
        "generated_at": now.isoformat(),
        "period_start": since.isoformat(),
        "total_authors": Author.objects.count(),
        "total_books": {"titles": books["titles"], "copies": books["copies"] or 0},
        "books_currently_borrowed": loans_out["open"],
        "holds": {"held_copies": books["held"] or 0, "waiting": books["waiting"] or 0},
        "overdue_borrows": loans_out["overdue"],
        "active_patrons_last_30_days": active_patrons,
        "borrows_last_30_days": recent["borrows"],
        "top_genres": [
            {"genre": row["book__genre"], "borrows": row["borrows"]} for row in top_genres
        ],
    }


@dataclass(frozen=True)
class ReportFile:
    name: str
    path: Path
    created_at: datetime  # from the name: UTC, to the second
    sequence: int  # 1 for the first report of that second, 2 for the next, ...
    size: int

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return (self.created_at, self.sequence)


def report_file_name(created_at: datetime, sequence: int = 1) -> str:
    stamp = created_at.astimezone(UTC).strftime(STAMP_FORMAT)
    return f"report_{stamp}.json" if sequence == 1 else f"report_{stamp}_{sequence}.json"


def _parse_name(name: str) -> tuple[datetime, int] | None:
    match = REPORT_NAME_RE.match(name)
    if match is None:
        return None
    try:
        created_at = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # e.g. month 13: not a name this code wrote
        return None
    return created_at, int(match["sequence"] or 1)


def _report_file(directory: Path, name: str, stat_result: os.stat_result) -> ReportFile | None:
    parsed = _parse_name(name)
    # Regular files only: a symlink planted in the directory is never followed.
    if parsed is None or not stat.S_ISREG(stat_result.st_mode):
        return None
    return ReportFile(
        name=name,
        path=directory / name,
        created_at=parsed[0],
        sequence=parsed[1],
        size=stat_result.st_size,
    )


def report_files(directory: Path | str) -> list[ReportFile]:
    """Report files in ``directory``, newest first; an absent directory has none.

    Ordered by the time and sequence parsed from the name (not by string, where ``_10``
    would sort before ``_2``, nor by mtime, which a copy or a restore changes).
    """
    directory = Path(directory)
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    files = []
    for entry in entries:
        try:
            found = _report_file(directory, entry.name, entry.stat(follow_symlinks=False))
        except FileNotFoundError:  # removed while listing
            continue
        if found is not None:
            files.append(found)
    return sorted(files, key=lambda report: report.sort_key, reverse=True)


def report_latest(directory: Path | str) -> ReportFile | None:
    files = report_files(directory)
    return files[0] if files else None


def report_file(directory: Path | str, name: str) -> ReportFile | None:
    """The report file called ``name`` in ``directory``, or None.

    Only names of the report pattern are looked up, so ``../settings.py``, absolute paths
    and anything else that is not a report never reach the file system.
    """
    if _parse_name(name) is None:
        return None
    directory = Path(directory)
    try:
        return _report_file(directory, name, os.lstat(directory / name))
    except FileNotFoundError:
        return None


class ReportMalformed(ValueError):
    """A report file that is JSON, but not a report (a hand edit, another program's file)."""


# What report_build writes, key by key: a newest file of another shape is unreadable,
# never half-served or a crash on a list where an object belongs.
_COUNT, _TEXT, _MOMENT = "count", "text", "moment"
REPORT_SHAPE = {
    "generated_at": _MOMENT,
    "period_start": _MOMENT,
    "total_authors": _COUNT,
    "total_books": {"titles": _COUNT, "copies": _COUNT},
    "books_currently_borrowed": _COUNT,
    "overdue_borrows": _COUNT,
    "active_patrons_last_30_days": _COUNT,
    "borrows_last_30_days": _COUNT,
    "top_genres": [{"genre": _TEXT, "borrows": _COUNT}],
}
# Figures added since the first reports: served when a file has them, not required of
# the files written before them.
REPORT_OPTIONAL = {
    "holds": {"held_copies": _COUNT, "waiting": _COUNT},
}


def _shaped(value, shape, where: str):
    """``value`` reduced to ``shape`` (keys outside it dropped), or ReportMalformed."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise ReportMalformed(f"{where or 'the report'} is not an object")
        missing = [key for key in shape if key not in value]
        if missing:
            raise ReportMalformed(f"{where or 'the report'} lacks {', '.join(missing)}")
        return {
            key: _shaped(value[key], part, f"{where}.{key}".lstrip("."))
            for key, part in shape.items()
        }
    if isinstance(shape, list):
        if not isinstance(value, list):
            raise ReportMalformed(f"{where} is not a list")
        return [_shaped(item, shape[0], f"{where}[{index}]") for index, item in enumerate(value)]
    if shape == _COUNT:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise ReportMalformed(f"{where} is not a count")
    if isinstance(value, str):
        if shape == _TEXT:
            return value
        try:
            datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise ReportMalformed(f"{where} is not {'a date and time' if shape == _MOMENT else 'text'}")


def report_read(report: ReportFile) -> dict:
    """The report's figures, in exactly the shape report_build writes.

    Raises OSError (unreadable file) or ValueError (not JSON, or JSON of another shape).
    """
    with open(report.path, encoding="utf-8") as handle:
        try:
            data = json.load(handle)
        except RecursionError:
            raise ReportMalformed("the report is nested too deeply") from None
    shaped = _shaped(data, REPORT_SHAPE, "")
    for key, shape in REPORT_OPTIONAL.items():
        if key in data:
            shaped[key] = _shaped(data[key], shape, key)
    return shaped


@dataclass(frozen=True)
class ReportTaskStatus:
    task_id: str
    state: str
    file: str | None = None
    error: str | None = None
    date_done: datetime | None = None


def report_task_status(task_id: str) -> ReportTaskStatus | None:
    """State of a report task as django-celery-results stored it; None for an unknown id.

    Ids are UUIDs (``report_enqueue`` and Celery both make them so); anything else is
    unknown rather than an error.
    """
    try:
        task_id = str(uuid.UUID(task_id))
    except (ValueError, TypeError, AttributeError):
        return None
    task = (
        TaskResult.objects.filter(task_id=task_id, task_name=GENERATE_REPORT_TASK)
        .only("task_id", "status", "result", "date_done")
        .first()
    )
    if task is None:
        return None
    result = _decode(task.result)
    file = error = None
    if task.status == states.SUCCESS and isinstance(result, dict):
        file = result.get("file")
    elif task.status in {states.FAILURE, states.RETRY, states.REVOKED}:
        error = _error_message(result) or task.status.lower()
    return ReportTaskStatus(
        task_id=task.task_id,
        state=task.status,
        file=file,
        error=error,
        # date_done is auto_now on the model: it only means "done" in a finished state.
        date_done=task.date_done if task.status in states.READY_STATES else None,
    )


def _decode(raw: str | None):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _error_message(result) -> str | None:
    """``ExcType: message`` from Celery's serialised exception ``{exc_type, exc_message}``."""
    if isinstance(result, dict) and "exc_type" in result:
        message = result.get("exc_message")
        if isinstance(message, list | tuple):
            message = " ".join(str(part) for part in message)
        return f"{result['exc_type']}: {message}" if message else str(result["exc_type"])
    if isinstance(result, str):
        return result
    return None
