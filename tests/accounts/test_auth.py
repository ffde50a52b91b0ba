from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD):
    return client.post("/auth/login/", {"username": username, "password": password}, format="json")


def authed(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_login_returns_a_token_that_expires_in_an_hour(api_client, patron):
    response = login(api_client, patron.username)

    assert response.status_code == 200
    assert set(response.data) == {"key", "expiry"}
    expiry = timezone.datetime.fromisoformat(response.data["expiry"])
    assert timedelta(minutes=59) < expiry - timezone.now() <= timedelta(hours=1)


def test_tokens_are_stored_hashed(api_client, patron):
    key = login(api_client, patron.username).data["key"]

    stored = AuthToken.objects.get(user=patron)
    assert stored.digest != key
    assert key not in stored.digest


def test_bad_credentials_are_400_without_a_token(api_client, patron):
    response = login(api_client, patron.username, "wrong-password")

    assert response.status_code == 400
    assert "non_field_errors" in response.data
    assert AuthToken.objects.count() == 0


@pytest.mark.parametrize("payload", [{}, {"username": "x"}, {"password": "y"}, []])
def test_malformed_login_is_400(api_client, payload):
    assert api_client.post("/auth/login/", payload, format="json").status_code == 400


def test_user_endpoint_describes_the_caller(api_client, patron):
    key = login(api_client, patron.username).data["key"]

    response = authed(key).get("/auth/user/")

    assert response.status_code == 200
    assert response.data["username"] == patron.username
    assert response.data["is_staff"] is False
    assert set(response.data) == {
        "id",
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "card_number",
    }
    assert response.data["card_number"] == patron.card_number


def test_token_works_before_expiry_and_is_401_after(api_client, patron):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        key = login(api_client, patron.username).data["key"]
        client = authed(key)
        traveller.shift(timedelta(minutes=59))
        assert client.get("/auth/user/").status_code == 200
        traveller.shift(timedelta(minutes=2))
        response = client.get("/auth/user/")

    assert response.status_code == 401
    assert response.data["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Token"


def test_logout_revokes_only_the_presented_token(api_client, patron):
    phone = login(api_client, patron.username).data["key"]
    laptop = login(api_client, patron.username).data["key"]

    assert authed(phone).post("/auth/logout/").status_code == 204

    assert authed(phone).get("/auth/user/").status_code == 401
    assert authed(laptop).get("/auth/user/").status_code == 200


def test_logoutall_revokes_every_token_of_the_user(api_client, patron):
    other_patron = UserFactory()
    phone = login(api_client, patron.username).data["key"]
    laptop = login(api_client, patron.username).data["key"]
    someone_else = login(api_client, other_patron.username).data["key"]

    assert authed(phone).post("/auth/logoutall/").status_code == 204

    assert authed(phone).get("/auth/user/").status_code == 401
    assert authed(laptop).get("/auth/user/").status_code == 401
    assert authed(someone_else).get("/auth/user/").status_code == 200


@pytest.mark.parametrize(
    "header", ["Token", "Token a b", "Token not-a-real-token", "Token \u00e9\u00e9", "Bearer abc"]
)
def test_garbled_authorization_headers_are_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/auth/user/")
    assert response.status_code == 401


def test_lockout_after_five_bad_passwords(api_client, patron):
    statuses = [login(api_client, patron.username, "wrong").status_code for _ in range(5)]
    after = login(api_client, patron.username)

    assert statuses[:4] == [400, 400, 400, 400]
    assert statuses[4] == 429  # the fifth failure locks the account
    assert after.status_code == 429
    assert after.data["code"] == "locked_out"
    assert "Too many failed login attempts" in after.data["detail"]
    assert int(after["Retry-After"]) > 0
    assert AuthToken.objects.count() == 0


def test_a_good_login_resets_the_failure_counter(api_client, patron):
    for _ in range(4):
        login(api_client, patron.username, "wrong")
    assert login(api_client, patron.username).status_code == 200

    statuses = [login(api_client, patron.username, "wrong").status_code for _ in range(4)]

    assert statuses == [400] * 4
    assert login(api_client, patron.username).status_code == 200


def test_lockout_is_per_username(api_client, patron):
    for _ in range(5):
        login(api_client, patron.username, "wrong")
    other = UserFactory()
    assert login(api_client, other.username).status_code == 200


def test_lockout_ends_after_the_cool_off(api_client, patron):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            login(api_client, patron.username, "wrong")
        traveller.shift(timedelta(minutes=16))
        assert login(api_client, patron.username).status_code == 200


def test_inactive_users_cannot_log_in(api_client):
    user = UserFactory(is_active=False)
    assert login(api_client, user.username).status_code == 400


def test_expired_token_cleanup_deletes_only_expired_tokens(patron):
    from accounts.services import tokens_delete_expired

    AuthToken.objects.create(user=patron, expiry=timedelta(minutes=-5))
    live, _ = AuthToken.objects.create(user=patron)

    assert tokens_delete_expired() == 1
    assert list(AuthToken.objects.values_list("digest", flat=True)) == [live.digest]
