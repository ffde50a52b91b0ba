import pytest

from backoffice.celery import app as celery_app
from reports.tasks import generate_report


@pytest.fixture
def reports_dir(settings, tmp_path):
    settings.REPORTS_DIR = tmp_path / "reports"
    return settings.REPORTS_DIR


@pytest.fixture
def broker_up(monkeypatch):
    """The broker check passes without touching a real broker."""
    monkeypatch.setattr("backoffice.core.health.broker_is_reachable", lambda: True)


@pytest.fixture
def published(monkeypatch) -> list[dict]:
    """Records report tasks instead of sending them to a broker."""
    calls: list[dict] = []

    def apply_async(*args, **options):
        calls.append({"args": args, **options})

    monkeypatch.setattr(generate_report, "apply_async", apply_async)
    return calls


@pytest.fixture
def switch_broker(monkeypatch, settings):
    """Point this process's Celery app (and the broker check) at another broker."""

    def switch(url: str, transport_options: dict, default_queue: str | None = None) -> None:
        # The app's conf first: it reads Django's settings through, so once those changed,
        # monkeypatch would record the new broker as the one to restore.
        monkeypatch.setitem(celery_app.conf, "broker_url", url)
        monkeypatch.setitem(celery_app.conf, "broker_transport_options", transport_options)
        settings.CELERY_BROKER_URL = url
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = transport_options
        if default_queue:
            monkeypatch.setitem(celery_app.conf, "task_default_queue", default_queue)
        _reset_broker_pools()

    yield switch
    _reset_broker_pools()  # the pools are rebuilt lazily, after monkeypatch restores the conf


def _reset_broker_pools() -> None:
    # Celery caches its connection and producer pools per app; after the broker changes,
    # drop them so the next publish connects to the new one (as Celery does after a fork).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
