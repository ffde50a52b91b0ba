from celery import shared_task

from backoffice.core.throttling import rate_counters_delete_expired

from .services import tokens_delete_expired


@shared_task(name="accounts.tasks.delete_expired_tokens")
def delete_expired_tokens() -> int:
    return tokens_delete_expired()


@shared_task(name="accounts.tasks.delete_expired_rate_counters")
def delete_expired_rate_counters() -> int:
    return rate_counters_delete_expired()
