"""Circulation beat jobs: thin, safe to run twice at once (the services lock per title,
notices are claimed through a unique constraint, mail is claimed before it is sent)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from backoffice.core.mail import mail_deliver
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


@shared_task(
    name="library.tasks.send_notices",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=3,
)
def send_notices() -> dict:
    """The daily notices: due soon, overdue, hold ready, pickup tomorrow, hold expired."""
    result = services.notices_run().as_dict()
    delivery = mail_deliver()
    result["delivered"] = {"sent": delivery.sent, "requeued": delivery.requeued}
    return result


@shared_task(
    name="library.tasks.deliver_mail",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=3,
    ignore_result=True,
)
def deliver_mail() -> dict:
    """Send the queued mail that is due (new, or a retry whose time has come).

    Every minute, and nudged after a commit that queued mail. It first tells the patrons
    of ready holds not yet told, in case the mail after their return did not get queued.
    """
    services.notices_hold_ready()
    delivery = mail_deliver()
    return {"sent": delivery.sent, "failed": delivery.failed, "requeued": delivery.requeued}
