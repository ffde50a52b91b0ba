"""Faults in what the web process depends on, against a real gunicorn.

Redis stopped: logins, borrows, returns, the catalogue and every admin page keep working
(sessions live in the database, the cache falls back on the database cache, the borrow
throttle fails open); what truly needs Redis, the report queue, answers a JSON 503.
PostgreSQL gone away: the API answers a JSON 503 ``database_unavailable`` with Retry-After
(the admin an HTML 503), and the same web process answers 200 once the database is back.
"""

import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import NoReverseMatch, reverse
from knox.models import AuthToken

from library.models import Book, Borrow
from tests.factories import BookFactory, LibrarianFactory, UserFactory
from tests.reports.test_worker import database_url_for_subprocess
from tests.servers import PrivateRedis, TcpProxy, WebServer

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "fault-tolerant-horse"
TIMEOUT = 30
SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "import_samples"


def with_password(user):
    """Give ``user`` a password the server checks quickly with its own (default) hashers.

    The suite hashes with MD5, which the server does not accept; PBKDF2 verifies with the
    iteration count stored in the hash, so a few rounds keep the login fast.
    """
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    return user


def token_for(user) -> dict[str, str]:
    _, key = AuthToken.objects.create(user=user)
    return {"Authorization": f"Token {key}"}


@pytest.fixture
def start_web(tmp_path):
    servers: list[WebServer] = []

    def start(*, env: dict[str, str] | None = None, database_url: str | None = None):
        server = WebServer(
            tmp_path, {"DATABASE_URL": database_url or database_url_for_subprocess(), **(env or {})}
        )
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text[:1000]
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:500]
    body = response.json()
    assert body["code"] == code
    assert body["detail"]
    return body


def login(base: str, username: str) -> requests.Response:
    return requests.post(
        f"{base}/auth/login/", json={"username": username, "password": PASSWORD}, timeout=TIMEOUT
    )


def admin_session(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/admin/login/", timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    response = session.post(
        f"{base}/admin/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text[:1000]
    return session


def admin_pages() -> list[str]:
    pages = [reverse("admin:index"), reverse("admin:reports_report_files")]
    for model in admin.site._registry:
        for view in ("changelist", "add", "import", "export"):
            try:
                pages.append(
                    reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")
                )
            except NoReverseMatch:
                continue
    return pages


class _ConfirmForm(HTMLParser):
    """The hidden fields of the import preview's confirmation form."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = "process_import" in (attrs.get("action") or "")
        elif tag == "input" and self._inside and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def import_books_through_the_admin(session: requests.Session, base: str) -> requests.Response:
    url = base + reverse("admin:library_book_import")
    assert session.get(url, timeout=TIMEOUT).status_code == 200
    preview = session.post(
        url,
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"], "format": "0"},
        files={"import_file": ("books.csv", (SAMPLES / "books.csv").read_bytes(), "text/csv")},
        timeout=TIMEOUT,
    )
    assert preview.status_code == 200, preview.text[:1000]
    form = _ConfirmForm()
    form.feed(preview.text)
    assert "import_file_name" in form.fields, preview.text[:2000]
    return session.post(
        base + reverse("admin:library_book_process_import"),
        data=form.fields,
        allow_redirects=False,
        timeout=TIMEOUT,
    )


@pytest.mark.redis
def test_with_redis_stopped_the_api_and_the_admin_keep_working(start_web, redis_server):
    patron = with_password(UserFactory())
    superuser = with_password(UserFactory(is_staff=True, is_superuser=True))
    librarian = LibrarianFactory()
    books = BookFactory.create_batch(2)
    server = start_web(env={"REDIS_URL": redis_server.url})
    base = server.url
    assert login(base, patron.username).status_code == 200  # Redis up: the baseline

    redis_server.stop()

    logged_in = login(base, patron.username)
    assert logged_in.status_code == 200, server.output()
    patron_token = {"Authorization": f"Token {logged_in.json()['key']}"}
    borrowed = requests.post(
        f"{base}/borrow/", json={"book": books[0].pk}, headers=patron_token, timeout=TIMEOUT
    )
    assert borrowed.status_code == 201, borrowed.text[:1000]
    returned = requests.put(
        f"{base}/borrow/{borrowed.json()['id']}/return/", headers=patron_token, timeout=TIMEOUT
    )
    assert returned.status_code == 200, returned.text[:1000]
    assert requests.get(f"{base}/books/", timeout=TIMEOUT).json()["count"] == 2
    queued = requests.post(f"{base}/reports/", headers=token_for(librarian), timeout=TIMEOUT)
    assert_json_error(queued, 503, "broker_unavailable")
    health = requests.get(f"{base}/health/", timeout=TIMEOUT)
    assert health.status_code == 503
    assert health.json() == {"status": "degraded", "database": "ok", "broker": "unreachable"}

    session = admin_session(base, superuser.username)
    for page in admin_pages():
        response = session.get(base + page, timeout=TIMEOUT)
        assert response.status_code < 500, (page, response.status_code, server.output())
        assert response.headers["Content-Type"].startswith("text/html"), page
    dashboard = session.get(f"{base}/admin/", timeout=TIMEOUT)
    assert dashboard.status_code == 200
    assert "On loan now" in dashboard.text  # the statistics, computed without a cache
    # The import preview waits in the database cache while Redis is away.
    confirmed = import_books_through_the_admin(session, base)
    assert confirmed.status_code == 302, confirmed.text[:2000]
    assert Book.objects.filter(title="The Warden").exists()

    redis_server.start()
    again = requests.post(
        f"{base}/borrow/", json={"book": books[1].pk}, headers=patron_token, timeout=TIMEOUT
    )
    assert again.status_code == 201, again.text[:1000]
    assert Borrow.objects.filter(user=patron).count() == 2
    assert "Internal Server Error" not in server.output()


def _via(url: str, port: int) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{port}"))


@pytest.mark.postgres
def test_postgresql_going_away_is_a_json_503_and_the_process_reconnects(
    require_postgres, start_web
):
    BookFactory()
    patron = UserFactory()
    superuser = with_password(UserFactory(is_staff=True, is_superuser=True))
    headers = token_for(patron)
    database = connection.settings_dict
    proxy = TcpProxy((database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432))).start()
    try:
        server = start_web(database_url=_via(database_url_for_subprocess(), proxy.port))
        base = server.url
        assert requests.get(f"{base}/books/", timeout=TIMEOUT).status_code == 200
        session = admin_session(base, superuser.username)

        proxy.stop()  # PostgreSQL "restarts": open connections cut, new ones refused

        for response in (
            requests.get(f"{base}/books/", timeout=TIMEOUT),
            requests.get(f"{base}/borrow/", headers=headers, timeout=TIMEOUT),
            login(base, superuser.username),
            requests.get(f"{base}/no-such-path/", timeout=TIMEOUT),
        ):
            if response.status_code == 404:  # resolving a path needs no database
                assert_json_error(response, 404, "not_found")
                continue
            assert_json_error(response, 503, "database_unavailable")
            assert int(response.headers["Retry-After"]) > 0
        page = session.get(f"{base}/admin/", timeout=TIMEOUT)
        assert page.status_code == 503
        assert page.headers["Content-Type"].startswith("text/html")

        proxy.start()

        assert requests.get(f"{base}/books/", timeout=TIMEOUT).status_code == 200
        assert requests.get(f"{base}/borrow/", headers=headers, timeout=TIMEOUT).status_code == 200
        assert session.get(f"{base}/admin/", timeout=TIMEOUT).status_code == 200
    finally:
        proxy.stop()


@pytest.mark.postgres
def test_connections_terminated_between_requests_are_replaced(require_postgres, start_web):
    BookFactory()
    name = f"shelfwise-fault-{uuid.uuid4().hex[:12]}"
    server = start_web(database_url=f"{database_url_for_subprocess()}?application_name={name}")
    base = server.url
    assert requests.get(f"{base}/books/", timeout=TIMEOUT).status_code == 200

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            [name],
        )
        (terminated,) = cursor.fetchone()
    assert terminated >= 1  # the web process keeps its connection between requests

    second = requests.get(f"{base}/books/", timeout=TIMEOUT)
    if second.status_code != 200:
        assert_json_error(second, 503, "database_unavailable")
    third = requests.get(f"{base}/books/", timeout=TIMEOUT)
    assert third.status_code == 200, server.output()
    assert third.json()["count"] == 1


@pytest.mark.redis
@pytest.mark.django_db
def test_the_cache_uses_the_database_cache_while_redis_is_away(settings, redis_server, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "backoffice.core.cache.ResilientRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"FALLBACK": "database", "RETRY_AFTER": 0},
        },
        "database": settings.DATABASE_CACHE,
    }
    from django.core.cache import cache, caches

    cache.set("before", "in redis")
    redis_server.stop()

    with caplog.at_level("WARNING", logger="backoffice.core.cache"):
        missed = cache.get("before", "a miss")
        cache.set("during", "in the database")
        kept = cache.get("during")
    assert (missed, kept) == ("a miss", "in the database")
    assert caches["database"].get("during") == "in the database"
    assert cache.get_or_set("computed", lambda: 42) == 42
    assert "unreachable" in caplog.text

    redis_server.start()
    cache.set("after", "in redis again")
    assert cache.get("after") == "in redis again"
    assert caches["database"].get("after") is None
