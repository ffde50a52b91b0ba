"""Reports as a librarian reads them: key figures with the change since the previous report,
the period, the genre chart, and CSV beside the JSON; and a task's state in words.

Reads only: the report files (``reports.selectors``) and the task's stored state.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from celery import states
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from backoffice.core.spreadsheet import formula_safe_row

from . import selectors

# (key path in the report, what a librarian calls it), in the order they read them.
KEY_FIGURES = (
    (("total_books", "titles"), "Titles"),
    (("total_books", "copies"), "Copies"),
    (("total_authors",), "Authors"),
    (("books_currently_borrowed",), "On loan now"),
    (("overdue_borrows",), "Overdue"),
    (("holds", "held_copies"), "On the hold shelf"),
    (("holds", "waiting"), "Holds waiting"),
    (("borrows_last_30_days",), "Loans in the last 30 days"),
    (("active_patrons_last_30_days",), "Active patrons (30 days)"),
)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    value: int | None
    previous: int | None

    @property
    def change(self) -> int | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_text(self) -> str:
        change = self.change
        if change is None:
            return ""
        return _("no change") if change == 0 else f"{change:+,}"


def _get(report: dict | None, path: tuple):
    value = report
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def key_figures(report: dict, previous: dict | None) -> list[Figure]:
    return [
        Figure(".".join(path), title, _get(report, path), _get(previous, path))
        for path, title in KEY_FIGURES
    ]


def moment(text: str) -> datetime | None:
    """A report's moment in the library's time zone (None if it has no place in it)."""
    try:
        at = datetime.fromisoformat(text)
        return timezone.localtime(at) if timezone.is_aware(at) else at
    except (OverflowError, ValueError):
        return None


def genre_chart(report: dict) -> str:
    genres = report.get("top_genres", [])
    return json.dumps(
        {
            "labels": [row["genre"] for row in genres],
            "datasets": [
                {
                    "label": _("Loans"),
                    "data": [row["borrows"] for row in genres],
                    "backgroundColor": "var(--color-primary-600)",
                    "borderColor": "var(--color-primary-600)",
                }
            ],
        }
    )


def report_csv_rows(report: dict, previous: dict | None) -> list[list]:
    """The report as rows a spreadsheet opens: figure, value, previous value, change."""
    rows = [["figure", "value", "previous report", "change"]]
    rows.append(["generated at", report["generated_at"], _get(previous, ("generated_at",)), ""])
    rows.append(["period start", report["period_start"], _get(previous, ("period_start",)), ""])
    for figure in key_figures(report, previous):
        rows.append([figure.title, figure.value, figure.previous, figure.change])
    rows.append(["loans by genre, last 30 days", None, None, None])
    before = {row["genre"]: row["borrows"] for row in (previous or {}).get("top_genres", [])}
    for row in report.get("top_genres", []):
        earlier = before.get(row["genre"])
        change = None if earlier is None else row["borrows"] - earlier
        rows.append([row["genre"], row["borrows"], earlier, change])
    return [formula_safe_row(["" if cell is None else cell for cell in row]) for row in rows]


def previous_report(directory, name: str):
    """The report file written just before ``name`` (None: it is the first)."""
    files = selectors.report_files(directory)
    names = [report.name for report in files]
    if name not in names:
        return None
    index = names.index(name)
    return files[index + 1] if index + 1 < len(files) else None


def task_summary(task) -> dict:
    """What happened to a report task, in words, and whether the page should refresh."""
    status = selectors.report_task_status(task.task_id)
    state = status.state if status else task.status
    when = date_format(timezone.localtime(task.date_created), "j M Y, H:i:s")
    if state == states.SUCCESS and status and status.file:
        return {
            "running": False,
            "tone": "success",
            "text": _("The report was written to %(file)s at %(at)s.")
            % {
                "file": status.file,
                "at": date_format(
                    timezone.localtime(status.date_done or task.date_done), "j M Y, H:i:s"
                ),
            },
            "file": status.file,
        }
    if state in (states.FAILURE, states.REVOKED):
        return {
            "running": False,
            "tone": "danger",
            "text": _("The report could not be written: %(error)s Generate it again.")
            % {"error": (status.error if status else "") or state.lower()},
            "file": None,
        }
    if state in (states.STARTED, states.RETRY):
        text = _("A worker is building the report (queued at %(at)s).") % {"at": when}
    else:
        text = _("The report is queued since %(at)s and waits for a worker.") % {"at": when}
    return {"running": True, "tone": "info", "text": text, "file": None}
