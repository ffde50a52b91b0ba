"""A new password signs every device out: the user's API tokens are revoked."""

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from ..conftest import client_for
from ..factories import PASSWORD, LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-Brand-new-password-42"


def signed_in(client) -> bool:
    status = client.get("/auth/user/").status_code
    assert status in {200, 401}
    return status == 200


def test_set_password_and_save_revokes_the_users_tokens(patron):
    phone, laptop = client_for(patron), client_for(patron)
    someone_else = client_for(UserFactory())

    patron.set_password(NEW_PASSWORD)
    patron.save()

    assert not signed_in(phone)
    assert not signed_in(laptop)
    assert signed_in(someone_else)
    assert not AuthToken.objects.filter(user=patron).exists()


def test_an_unusable_password_revokes_the_users_tokens(patron):
    phone = client_for(patron)

    patron.set_unusable_password()
    patron.save()

    assert not signed_in(phone)


def test_other_edits_keep_the_tokens(patron):
    phone = client_for(patron)

    patron.email = "moved@example.org"
    patron.save()
    patron.refresh_from_db()
    patron.save()

    assert signed_in(phone)


def test_a_password_reset_revokes_the_users_tokens(patron):
    phone = client_for(patron)

    form = SetPasswordForm(patron, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert form.is_valid(), form.errors
    form.save()

    assert not signed_in(phone)


def test_the_admin_password_form_revokes_the_users_tokens(patron):
    phone = client_for(patron)
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = admin.post(
        reverse("admin:auth_user_password_change", args=[patron.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not signed_in(phone)
    patron.refresh_from_db()
    assert patron.check_password(NEW_PASSWORD)


def test_changing_ones_own_password_in_the_admin_revokes_ones_tokens():
    librarian = LibrarianFactory()
    phone = client_for(librarian)
    browser = Client()
    browser.force_login(librarian)

    response = browser.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not signed_in(phone)


class UpgradedHasher(MD5PasswordHasher):
    """A "new" default hasher, so that logging in re-hashes the suite's MD5 passwords."""

    algorithm = "upgraded_md5"


def test_a_hash_upgrade_at_login_is_not_a_new_password(api_client, patron, settings):
    phone = client_for(patron)
    settings.PASSWORD_HASHERS = [
        "tests.accounts.test_token_revocation.UpgradedHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    response = api_client.post(
        "/auth/login/", {"username": patron.username, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    patron.refresh_from_db()
    assert patron.password.startswith("upgraded_md5$")
    assert signed_in(phone)
