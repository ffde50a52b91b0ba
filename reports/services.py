"""Writes for reports: enqueueing the task and writing report files.

The API and the admin both call ``report_enqueue``; the Celery task calls ``report_write``.
"""

import errno
import json
import logging
import os
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

from celery import states
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django_celery_results.models import TaskResult
from kombu.exceptions import OperationalError as BrokerError

from backoffice.core.errors import ServiceUnavailable

from .selectors import GENERATE_REPORT_TASK, report_file_name

logger = logging.getLogger(__name__)

# More reports than this in one second means something is looping: refuse rather than spin.
MAX_REPORTS_PER_SECOND = 1000

# Publishing must not hang the request: one quick retry, then the caller gets a 503.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}


class BrokerUnavailable(ServiceUnavailable):
    code = "broker_unavailable"
    default_detail = (
        "The task queue is unreachable, so the report cannot be generated now; "
        "try again in a minute."
    )


class ReportDirectoryError(RuntimeError):
    """The reports directory cannot take a new file. The task fails with this message."""

    def __init__(self, message: str):
        super().__init__(message)


# --- Files ----------------------------------------------------------------------------


def report_write(report: dict, directory: Path | str | None = None) -> Path:
    """Write ``report`` as ``report_YYYYMMDD_HHMMSS.json`` (UTC, from ``generated_at``).

    Atomic: the JSON goes to a hidden temporary file in the same directory, is fsynced, then
    hard-linked to its final name; readers only ever see a complete file, and a crash or an
    error at any step leaves no temporary file behind (the ``finally`` removes it).

    Never overwrites: ``os.link`` fails if the name exists, so a second report in the same
    second becomes ``report_YYYYMMDD_HHMMSS_2.json``, a third ``..._3.json``, and so on
    (``report_files`` orders them by time, then by that number).
    """
    directory = Path(directory or settings.REPORTS_DIR)
    created_at = _created_at(report)
    # Serialise first: a report that cannot be encoded fails before any file exists.
    payload = (json.dumps(report, indent=2, cls=DjangoJSONEncoder) + "\n").encode("utf-8")

    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=".report_", suffix=".tmp")
    except OSError as exc:
        raise _directory_error(directory, exc) from exc

    temp_path = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp makes the file 0600; the web processes must be able to read it.
            os.fchmod(handle.fileno(), 0o644)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        final_path = _link_exclusively(temp_path, directory, created_at)
    except OSError as exc:
        raise _directory_error(directory, exc) from exc
    finally:
        temp_path.unlink(missing_ok=True)

    _fsync_directory(directory)
    return final_path


def _created_at(report: dict) -> datetime:
    try:
        created_at = datetime.fromisoformat(report["generated_at"])
    except (KeyError, TypeError, ValueError):
        return timezone.now()
    return created_at if timezone.is_aware(created_at) else timezone.make_aware(created_at)


def _link_exclusively(temp_path: Path, directory: Path, created_at: datetime) -> Path:
    for sequence in range(1, MAX_REPORTS_PER_SECOND + 1):
        final_path = directory / report_file_name(created_at, sequence)
        try:
            # link() creates the name only if it does not exist (like O_EXCL), with the
            # complete content already behind it: no overwrite, no half-written window.
            os.link(temp_path, final_path)
        except FileExistsError:
            continue
        return final_path
    raise OSError(errno.EEXIST, f"more than {MAX_REPORTS_PER_SECOND} reports in the same second")


def _fsync_directory(directory: Path) -> None:
    # Makes the new name durable; the file is already complete, so a failure is only logged.
    try:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        logger.warning("Could not fsync the reports directory %s", directory, exc_info=True)


def _directory_error(directory: Path, exc: OSError) -> ReportDirectoryError:
    reason = exc.strerror or str(exc)
    return ReportDirectoryError(
        f"Cannot write the report into {directory} ({reason}). "
        "Check that REPORTS_DIR points to a directory the worker can write to."
    )


# --- Enqueueing -----------------------------------------------------------------------


def report_enqueue(*, requested_by) -> str:
    """Queue a report; return the task id at once. Raises ``BrokerUnavailable`` (503).

    The broker is checked before anything is promised, the task's PENDING row is stored
    with the caller's transaction (so its status URL answers at once), and the message is
    published only after that transaction commits. Outside a transaction (the API's
    autocommit) the publish happens right away and a failure reaches the caller as a 503;
    inside one, a publish failure after the commit marks the task FAILURE instead.
    """
    if not _broker_reachable():
        raise BrokerUnavailable()

    task_id = str(uuid.uuid4())
    kwargs = {"requested_by_id": getattr(requested_by, "pk", None)}
    TaskResult.objects.create(
        task_id=task_id,
        task_name=GENERATE_REPORT_TASK,
        task_kwargs=json.dumps(kwargs),
        status=states.PENDING,
        content_type="application/json",
        content_encoding="utf-8",
    )

    def publish() -> None:  # a function, not a partial: Django logs robust failures by name
        _publish(task_id=task_id, kwargs=kwargs)

    # Deferred callbacks run after the response is decided: log, don't raise there.
    transaction.on_commit(publish, robust=connection.in_atomic_block)
    return task_id


def _broker_reachable() -> bool:
    from backoffice.core.health import broker_is_reachable

    try:
        return broker_is_reachable()
    except OSError:  # the filesystem broker's folder cannot even be created
        logger.warning("Celery broker folder unusable", exc_info=True)
        return False


def _publish(*, task_id: str, kwargs: dict) -> None:
    from .tasks import generate_report

    try:
        generate_report.apply_async(
            kwargs=kwargs, task_id=task_id, retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except (BrokerError, OSError) as exc:
        logger.error("Could not queue report task %s", task_id, exc_info=True)
        TaskResult.objects.filter(task_id=task_id, status=states.PENDING).update(
            status=states.FAILURE,
            result=json.dumps(
                {
                    "exc_type": "BrokerUnavailable",
                    "exc_message": [BrokerUnavailable.default_detail],
                    "exc_module": __name__,
                }
            ),
            date_done=timezone.now(),
        )
        raise BrokerUnavailable() from exc
