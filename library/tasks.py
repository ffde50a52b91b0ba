"""Circulation beat jobs: thin, safe to run twice at once (the services lock per title)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from library import services

logger = logging.getLogger(__name__)


@shared_task(
    name="library.tasks.expire_holds",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=3,
)
def expire_holds() -> dict:
    """Expire ready holds past their pickup deadline; their copies go to the next in line."""
    result = services.holds_expire()
    return {"expired": result.expired, "passed_on": result.passed_on}
