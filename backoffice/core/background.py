"""Nudging a Celery task after the transaction commits, without depending on the broker.

For work that beat would pick up anyway (queued mail, within a minute): if the broker is
down the nudge is logged and dropped, never raised into the request that made the work.
The task is named, not imported, so any app may nudge any other's task.
"""

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def nudge_after_commit(task_name: str) -> None:
    if not getattr(settings, "BACKGROUND_NUDGES", True):
        return

    def nudge():
        from celery import current_app

        try:
            current_app.send_task(task_name, retry=False)
        except Exception:
            # Whatever the broker's failure, the work is in the database: beat runs it soon.
            logger.warning("Could not nudge %s; beat will run it", task_name, exc_info=True)

    transaction.on_commit(nudge)
