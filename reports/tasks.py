import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .reaper import report_tasks_reap
from .selectors import GENERATE_REPORT_TASK, report_build
from .services import report_write

logger = logging.getLogger(__name__)


@shared_task(
    name=GENERATE_REPORT_TASK,
    # A database restart or a dropped connection is transient: back off (about 2, 4, 8 s,
    # jittered) and try again. Anything else, an unwritable REPORTS_DIR included, fails at
    # once with its message in the task result.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=3,
    acks_late=True,
)
def generate_report(*, requested_by_id: int | None = None) -> dict:
    """Build the library report and write it to REPORTS_DIR; return the file's name."""
    report = report_build()
    # The file is written after the queries, outside any transaction.
    path = report_write(report, settings.REPORTS_DIR)
    logger.info("Wrote report %s (requested by user %s)", path.name, requested_by_id)
    return {
        "file": path.name,
        "generated_at": report["generated_at"],
        "requested_by_id": requested_by_id,
    }


@shared_task(name="reports.tasks.reap_lost_report_tasks")
def reap_lost_report_tasks() -> int:
    """Beat, every five minutes: report tasks whose worker died end in FAILURE."""
    return report_tasks_reap()
