from celery import shared_task

from .services import tokens_delete_expired


@shared_task(name="accounts.tasks.delete_expired_tokens")
def delete_expired_tokens() -> int:
    return tokens_delete_expired()
