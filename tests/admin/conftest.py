"""Fixtures of the admin tests: logged-in browser clients and a few catalogue rows."""

import sys
import types

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import AuthorFactory, BookFactory, BorrowFactory


def web_client_for(user) -> Client:
    """A browser-like client with an admin session for ``user``."""
    client = Client()
    client.force_login(user)
    return client


def queries_for_get(client: Client, url: str) -> int:
    """How many queries one GET of ``url`` runs (after a warm-up request)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def librarian_web(librarian) -> Client:
    return web_client_for(librarian)


@pytest.fixture
def auditor_web(auditor) -> Client:
    return web_client_for(auditor)


@pytest.fixture
def patron_web(patron) -> Client:
    return web_client_for(patron)


@pytest.fixture
def book(db):
    return BookFactory(title="The Moonstone", author=AuthorFactory(name="Wilkie Collins"))


@pytest.fixture
def borrowed_book(book, patron):
    BorrowFactory(book=book, user=patron)
    book.refresh_from_db()
    return book


class FakeReports:
    """Stands in for reports.services.report_enqueue; records who asked."""

    def __init__(self):
        self.calls = []
        self.error = None

    def report_enqueue(self, *, requested_by) -> str:
        from django_celery_results.models import TaskResult

        if self.error is not None:
            raise self.error
        self.calls.append(requested_by)
        task_id = f"task-{len(self.calls):04d}"
        # Like the real service: the PENDING row exists as soon as the task is queued.
        TaskResult.objects.create(
            task_id=task_id, task_name="reports.tasks.generate_report", status="PENDING"
        )
        return task_id


@pytest.fixture
def fake_reports(monkeypatch) -> FakeReports:
    """reports.services.report_enqueue replaced, whether or not the module exists yet."""
    fake = FakeReports()
    try:
        import reports.services as module
    except ImportError:
        module = types.ModuleType("reports.services")
        monkeypatch.setitem(sys.modules, "reports.services", module)
        import reports

        monkeypatch.setattr(reports, "services", module, raising=False)
    monkeypatch.setattr(module, "report_enqueue", fake.report_enqueue, raising=False)
    return fake


def messages_of(response) -> list[str]:
    """The messages the admin queued for the user with this response."""
    from django.contrib.messages import get_messages

    return [str(message) for message in get_messages(response.wsgi_request)]
