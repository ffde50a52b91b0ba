"""A dependency that is down is a 503 the client can retry, never a 500.

Both the API's exception handler and the project's ``handler500`` ask ``outage_for`` what
an exception means, so a database or Redis outage reads the same wherever it surfaces: in a
view, in a serializer, or in a middleware before any view runs.
"""

from dataclasses import dataclass

from django.db import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class Outage:
    code: str
    detail: str
    status_code: int = 503
    retry_after: int = RETRY_AFTER_SECONDS

    def body(self) -> dict:
        return {"detail": self.detail, "code": self.code}


DATABASE_UNAVAILABLE = Outage(
    code="database_unavailable",
    detail="The library's database is not answering right now; try again in a minute.",
)
CACHE_UNAVAILABLE = Outage(
    code="cache_unavailable",
    detail="A service the library depends on is not answering right now; try again in a minute.",
)
BROKER_UNAVAILABLE = Outage(
    code="broker_unavailable",
    detail="The task queue is unreachable right now; try again in a minute.",
)


def outage_for(exc: BaseException | None) -> Outage | None:
    """The outage ``exc`` stands for, or None when it is an ordinary error.

    Only connection-level errors count: a lost or refused connection, a timeout, a database
    that is shutting down or locked. An IntegrityError or a bad query is a bug, not an outage.
    """
    if exc is None:
        return None
    if isinstance(exc, (OperationalError, InterfaceError)):
        return DATABASE_UNAVAILABLE
    redis_errors = _redis_connection_errors()
    if redis_errors and isinstance(exc, redis_errors):
        return CACHE_UNAVAILABLE
    broker_errors = _broker_errors()
    if broker_errors and isinstance(exc, broker_errors):
        return BROKER_UNAVAILABLE
    return None


def _redis_connection_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError, TimeoutError
    except ImportError:  # pragma: no cover - redis is a pinned runtime dependency
        return ()
    return (ConnectionError, TimeoutError)


def _broker_errors() -> tuple[type[BaseException], ...]:
    try:
        from kombu.exceptions import OperationalError as KombuOperationalError
    except ImportError:  # pragma: no cover - kombu comes with celery
        return ()
    return (KombuOperationalError,)
