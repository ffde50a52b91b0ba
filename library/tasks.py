"""Circulation beat jobs: thin, safe to run twice at once (the services lock per title)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from library import services
from library.services.privacy import returned_loans_anonymise

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


@shared_task(
    name="library.tasks.anonymise_returned_loans",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=3,
)
def anonymise_returned_loans() -> dict:
    """Nightly: returned loans past their retention move to the anonymised patron."""
    result = returned_loans_anonymise()
    logger.info("Anonymised %d returned loans in %d batches", result.anonymised, result.batches)
    return {"anonymised": result.anonymised, "batches": result.batches}
