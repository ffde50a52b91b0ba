"""History records what people changed; a login is not a change."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from ..factories import PASSWORD, LibrarianFactory

pytestmark = pytest.mark.django_db


def test_a_rest_login_writes_no_history_but_records_last_login(api_client, patron):
    rows = patron.history.count()

    response = api_client.post(
        "/auth/login/", {"username": patron.username, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert patron.history.count() == rows
    patron.refresh_from_db()
    assert patron.last_login is not None


def test_an_admin_login_writes_no_history_but_records_last_login():
    librarian = LibrarianFactory()
    rows = librarian.history.count()

    response = Client().post(
        reverse("admin:login"), {"username": librarian.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert librarian.history.count() == rows
    librarian.refresh_from_db()
    assert librarian.last_login is not None


class UpgradedHasher(MD5PasswordHasher):
    algorithm = "upgraded_md5"


def test_a_hash_upgrade_at_login_writes_no_history(api_client, patron, settings):
    settings.PASSWORD_HASHERS = [
        "tests.accounts.test_login_history.UpgradedHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    rows = patron.history.count()

    api_client.post(
        "/auth/login/", {"username": patron.username, "password": PASSWORD}, format="json"
    )

    patron.refresh_from_db()
    assert patron.password.startswith("upgraded_md5$")
    assert patron.history.count() == rows


def test_edits_in_the_admin_are_still_history_with_their_author(patron):
    librarian = LibrarianFactory()
    browser = Client()
    browser.force_login(librarian)

    response = browser.post(
        reverse("admin:accounts_user_change", args=[patron.pk]),
        {"username": patron.username, "email": "new@example.org", "is_active": "on"},
    )

    assert response.status_code == 302
    latest = patron.history.latest()
    assert (latest.email, latest.history_user) == ("new@example.org", librarian)


def test_a_password_set_in_code_is_still_history(patron):
    rows = patron.history.count()

    patron.set_password("a-Brand-new-password-42")
    patron.save(update_fields=["password"])

    assert patron.history.count() == rows + 1
