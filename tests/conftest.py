import os
from datetime import datetime

import pytest
import time_machine
from django.db import connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from .factories import AuditorFactory, LibrarianFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
# An ISO moment the run starts at, its clock ticking on from there (bin/test sets it for
# the SQLite pass): date arithmetic that holds only at some hours of the day then fails on
# every run, not only on a run that happens to start just after midnight.
TEST_CLOCK = os.environ.get("TEST_CLOCK", "")


def pytest_configure(config):
    if TEST_CLOCK:
        traveller = time_machine.travel(datetime.fromisoformat(TEST_CLOCK), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config):
    return f"clock: starts at {TEST_CLOCK}" if TEST_CLOCK else None


def skip_or_fail(reason: str) -> None:
    """A missing service skips the test on a laptop and fails it in CI."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, keep the test database in a file so a worker subprocess can open it.

    pytest-django's default SQLite test database lives in this process's memory; the
    end-to-end tests start a real ``celery worker`` that must read and write the same data.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("sqlite") / "test_shelfwise.sqlite3"
        )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 at production strength would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def mail_stays_in_memory(settings):
    # Queued mail is delivered to Django's in-memory outbox unless a test asks for the
    # SMTP server (tests/library/notices/conftest.py); no test nudges a real broker.
    settings.POST_OFFICE = {
        **settings.POST_OFFICE,
        "BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend"},
    }
    settings.BACKGROUND_NUDGES = False


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        skip_or_fail("PostgreSQL is not configured (set DATABASE_URL=postgres://...)")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    """An API client that presents a fresh knox token of ``user``."""
    _, key = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def patron(db):
    return UserFactory()


@pytest.fixture
def librarian(db):
    return LibrarianFactory()


@pytest.fixture
def auditor(db):
    return AuditorFactory()


@pytest.fixture
def patron_client(patron) -> APIClient:
    return client_for(patron)


@pytest.fixture
def librarian_client(librarian) -> APIClient:
    return client_for(librarian)


@pytest.fixture
def auditor_client(auditor) -> APIClient:
    return client_for(auditor)
