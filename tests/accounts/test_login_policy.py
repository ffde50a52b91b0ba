"""Who may log in, and as what: usernames only, unique whatever their case."""

import pytest
import tablib
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from accounts.models import User
from accounts.resources import PatronResource

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """The suite's MD5 hasher, counting how many passwords it hashes."""

    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def hasher_calls(settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_login_policy.CountingHasher"]
    CountingHasher.calls = 0

    def calls_during(action):
        before = CountingHasher.calls
        result = action()
        return result, CountingHasher.calls - before

    return calls_during


def login(client, payload):
    return client.post("/auth/login/", payload, format="json")


# --- Username only ---------------------------------------------------------------------------


def test_an_email_field_is_refused_whether_or_not_the_address_exists(api_client, hasher_calls):
    UserFactory(username="alice", email="shared@example.org")
    UserFactory(username="bob", email="SHARED@example.org")  # two accounts, one address

    answers = {}
    for address in ("shared@example.org", "nobody@example.org"):
        response, hashed = hasher_calls(
            lambda address=address: login(api_client, {"email": address, "password": PASSWORD})
        )
        answers[address] = (response.status_code, response.json(), hashed)

    refused = (
        400,
        {"email": ["Log in with your username and password; e-mail addresses are not accepted."]},
        0,
    )
    assert answers == {"shared@example.org": refused, "nobody@example.org": refused}
    assert not AuthToken.objects.exists()


def test_an_email_field_beside_a_good_username_is_refused_not_ignored(api_client, patron):
    response = login(
        api_client, {"username": patron.username, "password": PASSWORD, "email": patron.email}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"email"}
    assert not AuthToken.objects.exists()


def test_unknown_fields_are_refused(api_client, patron):
    response = login(api_client, {"username": patron.username, "password": PASSWORD, "otp": "1"})

    assert response.status_code == 400
    assert response.json() == {
        "otp": ["Log in with your username and password; this field is not accepted."]
    }


def test_patrons_sharing_an_address_each_log_in_by_username(api_client):
    UserFactory(username="alice", email="family@example.org")
    bob = UserFactory(username="bob", email="Family@Example.org")

    response = login(api_client, {"username": "bob", "password": PASSWORD})

    assert response.status_code == 200
    assert AuthToken.objects.get().user == bob


def test_the_username_is_matched_whatever_its_case(api_client):
    alice = UserFactory(username="alice")

    response = login(api_client, {"username": "ALICE", "password": PASSWORD})

    assert response.status_code == 200
    assert AuthToken.objects.get().user == alice


@pytest.mark.parametrize("password", ["x" * 4097, "\x00secret"], ids=["megabytes-long", "nul-byte"])
def test_absurd_passwords_are_400_before_hashing(api_client, patron, hasher_calls, password):
    response, hashed = hasher_calls(
        lambda: login(api_client, {"username": patron.username, "password": password})
    )

    assert response.status_code == 400
    assert "password" in response.json()
    assert hashed == 0


# --- Same work whether or not the account exists ----------------------------------------------


def test_a_missing_username_costs_the_same_hashing_as_a_wrong_password(api_client, hasher_calls):
    UserFactory(username="existing")
    UserFactory(username="disabled", is_active=False)
    imported = UserFactory(username="imported")
    imported.set_unusable_password()
    imported.save()

    answers = {}
    for username in ("existing", "disabled", "imported", "missing"):
        response, hashed = hasher_calls(
            lambda username=username: login(
                api_client, {"username": username, "password": "wrong-password"}
            )
        )
        answers[username] = (response.status_code, response.json(), hashed)

    same = (400, {"non_field_errors": ["Unable to log in with provided credentials."]}, 1)
    assert answers == dict.fromkeys(("existing", "disabled", "imported", "missing"), same)


def test_the_admin_login_hashes_once_for_a_missing_username_too(hasher_calls):
    UserFactory(username="clerk", is_staff=True)
    browser = Client()
    url = reverse("admin:login")

    for username in ("clerk", "ghost"):
        response, hashed = hasher_calls(
            lambda username=username: browser.post(
                url, {"username": username, "password": "wrong-password"}
            )
        )
        assert (response.status_code, hashed) == (200, 1), username


# --- Unique whatever the case, everywhere ------------------------------------------------------


def test_the_database_refuses_a_username_differing_only_in_case():
    UserFactory(username="auditor")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="Auditor")

    assert list(User.objects.values_list("username", flat=True)) == ["auditor"]


def admin_web():
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_add_form_refuses_a_username_differing_only_in_case():
    UserFactory(username="alice")

    response = admin_web().post(
        reverse("admin:accounts_user_add"),
        {
            "username": "ALICE",
            "usable_password": "true",
            "password1": "a-Long-new-password-42",
            "password2": "a-Long-new-password-42",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == [
        "A user with that username already exists (usernames ignore case)."
    ]
    assert not User.objects.filter(username="ALICE").exists()


def test_the_admin_change_form_refuses_renaming_onto_another_username():
    UserFactory(username="alice")
    bob = UserFactory(username="bob")

    response = admin_web().post(
        reverse("admin:accounts_user_change", args=[bob.pk]),
        {
            "username": "Alice",
            "email": bob.email,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == [
        "A user with that username already exists (usernames ignore case)."
    ]
    bob.refresh_from_db()
    assert bob.username == "bob"


def test_the_admin_change_form_still_saves_a_change_of_case_of_ones_own_name():
    bob = UserFactory(username="bob")

    response = admin_web().post(
        reverse("admin:accounts_user_change", args=[bob.pk]),
        {
            "username": "Bob",
            "email": bob.email,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )

    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.username == "Bob"


def patrons_csv(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text, format="csv")


@pytest.mark.parametrize(
    "rows",
    [
        "Auditor,new@example.org\nnewcomer,newcomer@example.org\n",
        "newcomer,newcomer@example.org\nNEWCOMER,again@example.org\n",
    ],
    ids=["beside-an-existing-account", "twice-in-the-file"],
)
def test_the_patron_import_refuses_a_username_differing_only_in_case(librarian, rows):
    UserFactory(username="auditor")

    result = PatronResource().import_data(patrons_csv("username,email\n" + rows), user=librarian)

    assert [row.error_dict for row in result.invalid_rows] == [
        {"username": ["A user with that username already exists (usernames ignore case)."]}
    ]
    assert not User.objects.filter(username__iexact="newcomer").exists()  # all or nothing
    assert User.objects.filter(username__iexact="auditor").count() == 1
