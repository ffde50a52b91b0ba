"""Report tasks whose worker is gone end in FAILURE, not in STARTED for ever.

A worker killed with SIGKILL, or a machine that vanished, never reports back, so its task
would stay STARTED in the result table. The broker hands the message to another worker
after the visibility timeout (``CELERY_VISIBILITY_TIMEOUT``), which then records its own
start; a task still STARTED after ``REPORT_TASK_STALE_MINUTES`` whose worker does not answer
a ping is marked FAILURE here, with a message that tells the librarian what to do. The beat
job runs this every five minutes; the status endpoint runs it for the task it is asked about.
"""

import json
import logging
import uuid
from datetime import datetime, timedelta

from celery import current_app, states
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_celery_results.models import TaskResult

from .selectors import GENERATE_REPORT_TASK

logger = logging.getLogger(__name__)

WORKER_LOST_MESSAGE = "The worker building this report stopped before finishing; generate it again."


def report_tasks_reap(*, task_id: str | None = None, now: datetime | None = None) -> int:
    """Mark lost report tasks FAILURE (only ``task_id`` when given); returns how many.

    Safe to run twice at once: each row moves with a conditional UPDATE that still expects
    STARTED on the same worker, so a task another worker has picked up meanwhile is left be.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.REPORT_TASK_STALE_MINUTES)
    stale = TaskResult.objects.filter(task_name=GENERATE_REPORT_TASK, status=states.STARTED).filter(
        Q(date_started__lt=cutoff) | Q(date_started__isnull=True, date_created__lt=cutoff)
    )
    if task_id is not None:
        try:
            task_id = str(uuid.UUID(task_id))
        except (ValueError, TypeError, AttributeError):
            return 0  # not an id report_enqueue makes (nor one the database may be sent)
        stale = stale.filter(task_id=task_id)
    candidates = list(stale.values_list("task_id", "worker"))
    if not candidates:
        return 0
    alive = _workers_answering({worker for _, worker in candidates if worker})
    if alive is None:
        return 0
    result = json.dumps(
        {"exc_type": "WorkerLostError", "exc_message": [WORKER_LOST_MESSAGE], "exc_module": None}
    )
    reaped = 0
    for lost_id, worker in candidates:
        if worker and worker in alive:
            continue
        reaped += TaskResult.objects.filter(
            task_id=lost_id, status=states.STARTED, worker=worker
        ).update(status=states.FAILURE, result=result, traceback=None, date_done=now)
    if reaped:
        logger.warning("Marked %d report task(s) FAILURE: their worker is gone", reaped)
    return reaped


def _workers_answering(names: set[str]) -> set[str] | None:
    """The workers among ``names`` that answer a ping; None when the broker cannot be asked."""
    if not names:
        return set()
    try:
        with current_app.connection_for_write() as broker:
            # One quick attempt: kombu would otherwise retry a refused connection for seconds.
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            replies = current_app.control.ping(
                destination=sorted(names),
                timeout=settings.REPORT_TASK_PING_SECONDS,
                connection=broker,
            )
    except Exception:
        logger.warning("Cannot ping the workers of stale report tasks", exc_info=True)
        return None
    return {name for reply in replies for name in reply}
