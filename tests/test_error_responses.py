"""Errors Django answers outside a DRF view: JSON for the API, HTML pages for people.

An unknown path, a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many query parameters, a bug,
or a database that fails inside a middleware: API clients get ``{"detail", "code"}``, the
admin gets its pages. A dependency that is down is a 503 with Retry-After, never a 500.
"""

import json

import pytest
import redis
from django.db import OperationalError
from django.test import Client
from rest_framework.test import APIClient

from library.models import Borrow
from tests.conftest import client_for
from tests.factories import BookFactory

pytestmark = pytest.mark.django_db


class DatabaseDownMiddleware:
    """Fails every request before it reaches a view, as a middleware reading the database
    (sessions, lockouts) does while PostgreSQL restarts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.fixture
def database_down_in_middleware(settings):
    settings.MIDDLEWARE = [
        "tests.test_error_responses.DatabaseDownMiddleware",
        *settings.MIDDLEWARE,
    ]


def api() -> APIClient:
    # Django's test client re-raises a view's exception by default; a real client sees the
    # response the handlers build.
    return APIClient(raise_request_exception=False)


def assert_json(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response.content[:500]
    body = json.loads(response.content)
    assert body["code"] == code
    assert body["detail"]
    return body


def assert_html(response, status: int) -> None:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("text/html")


def test_an_unknown_api_path_is_a_json_404():
    for path in ("/no-such-endpoint/", "/books/12/nothing/", "/reports/tasks/"):
        assert_json(api().get(path), 404, "not_found")
    assert_json(api().post("/no-such-endpoint/", {"a": 1}, format="json"), 404, "not_found")


def test_an_unknown_admin_page_is_the_html_404(librarian):
    client = Client()
    client.force_login(librarian)

    assert_html(client.get("/admin/library/no-such-model/"), 404)


def test_a_body_over_the_upload_limit_is_a_json_413(settings, patron_client):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    book = BookFactory()
    patron_client.raise_request_exception = False

    response = patron_client.post("/borrow/", {"book": book.pk, "note": "x" * 2000}, format="json")

    assert_json(response, 413, "request_too_large")
    assert not Borrow.objects.filter(book=book).exists()


def test_too_many_query_parameters_is_a_json_400(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    query = "&".join(f"genre={n}" for n in range(51))

    assert_json(api().get(f"/books/?{query}"), 400, "too_many_fields")


def test_too_many_admin_form_fields_is_an_html_400(settings, librarian):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    client = Client(raise_request_exception=False)
    client.force_login(librarian)

    response = client.post("/admin/library/book/add/", {f"field{n}": "x" for n in range(51)})

    assert_html(response, 400)


def test_a_bug_in_an_api_view_is_a_json_500(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("library.selectors.book_list", broken)

    body = assert_json(api().get("/books/"), 500, "server_error")
    assert "a bug" not in body["detail"]  # no internals leak to the client


def test_a_bug_in_an_admin_page_is_the_html_500(monkeypatch, librarian):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("backoffice.dashboard._statistics_cached", broken)
    client = Client(raise_request_exception=False)
    client.force_login(librarian)

    assert_html(client.get("/admin/"), 500)


def test_a_database_failure_in_an_api_view_is_a_json_503(monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("library.selectors.book_list", unreachable)

    response = api().get("/books/")

    assert_json(response, 503, "database_unavailable")
    assert int(response["Retry-After"]) > 0


def test_a_database_failure_in_a_middleware_is_a_json_503_for_the_api(
    database_down_in_middleware, patron
):
    patron_api = client_for(patron)
    patron_api.raise_request_exception = False
    for response in (
        api().get("/books/"),
        api().post("/auth/login/", {"username": "x", "password": "y"}, format="json"),
        patron_api.post("/borrow/", {"book": 1}, format="json"),
    ):
        assert_json(response, 503, "database_unavailable")
        assert int(response["Retry-After"]) > 0


def test_a_database_failure_in_a_middleware_is_an_html_503_in_the_admin(
    database_down_in_middleware,
):
    response = Client(raise_request_exception=False).get("/admin/login/")

    assert_html(response, 503)
    assert int(response["Retry-After"]) > 0


def test_a_redis_failure_that_reaches_a_view_is_a_503(monkeypatch):
    def unreachable(*args, **kwargs):
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("library.selectors.book_list", unreachable)

    assert_json(api().get("/books/"), 503, "cache_unavailable")
