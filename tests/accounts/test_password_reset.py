"""Password reset by e-mail: request, then confirm with uid and token; the same mail path."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from backoffice.core.mail import mail_deliver

from ..admin.conftest import messages_of, web_client_for
from ..conftest import client_for
from ..factories import LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db

RESET = "/auth/password/reset/"
CONFIRM = "/auth/password/reset/confirm/"
SENT = {"detail": "Password reset e-mail has been sent."}


def codes_in(text: str) -> dict:
    return {
        "uid": re.search(r"uid:\s+(\S+)", text).group(1),
        "token": re.search(r"token:\s+(\S+)", text).group(1),
    }


def test_a_patron_imported_without_a_password_sets_one_by_e_mail(
    api_client, smtp_server, django_capture_on_commit_callbacks
):
    patron = UserFactory(username="imported", email="reader@example.org")
    patron.set_unusable_password()
    patron.save()

    answer = api_client.post(RESET, {"email": "Reader@Example.org"}, format="json")
    assert (answer.status_code, answer.json()) == (200, SENT)
    mail_deliver()

    [message] = smtp_server.messages
    assert message.recipients == ["reader@example.org"]
    assert message.subject == "Set your Shelfwise password"
    assert '"imported"' in message.text
    confirmed = api_client.post(
        CONFIRM,
        {
            **codes_in(message.text),
            "new_password1": "a-long-new-secret",
            "new_password2": "a-long-new-secret",
        },
        format="json",
    )
    assert confirmed.status_code == 200, confirmed.content
    login = api_client.post(
        "/auth/login/", {"username": "imported", "password": "a-long-new-secret"}, format="json"
    )
    assert login.status_code == 200
    # The code works once.
    again = api_client.post(
        CONFIRM,
        {
            **codes_in(message.text),
            "new_password1": "another-secret-9",
            "new_password2": "another-secret-9",
        },
        format="json",
    )
    assert again.status_code == 400 and "token" in again.json()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(api_client, smtp_server):
    UserFactory(email="someone@example.org")

    answer = api_client.post(RESET, {"email": "nobody@example.org"}, format="json")

    assert (answer.status_code, answer.json()) == (200, SENT)
    mail_deliver()
    assert smtp_server.messages == []


def test_resetting_the_password_revokes_the_patrons_tokens(api_client, smtp_server):
    patron = UserFactory(email="p@example.org")
    old_session = client_for(patron)
    assert old_session.get("/auth/user/").status_code == 200
    api_client.post(RESET, {"email": "p@example.org"}, format="json")
    mail_deliver()

    api_client.post(
        CONFIRM,
        {
            **codes_in(smtp_server.messages[0].text),
            "new_password1": "fresh-secret-42",
            "new_password2": "fresh-secret-42",
        },
        format="json",
    )

    assert old_session.get("/auth/user/").status_code == 401


def test_requests_are_throttled_per_address(api_client, settings):
    settings.PASSWORD_RESET_RATE = "3/hour"
    answers = [
        api_client.post(RESET, {"email": f"n{i}@example.org"}, format="json").status_code
        for i in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def test_requests_for_one_recipient_are_throttled_from_anywhere(api_client, settings):
    settings.PASSWORD_RESET_RATE = "2/hour"
    answers = [
        api_client.post(
            RESET, {"email": "Same@example.org"}, format="json", REMOTE_ADDR=f"10.0.0.{i}"
        ).status_code
        for i in range(3)
    ]
    assert answers == [200, 200, 429]


@pytest.mark.parametrize(
    "body",
    [{"email": "x@example.org", "username": "x"}, {"email": "not an address"}, {"email": 5}, {}],
)
def test_malformed_requests_are_400(api_client, body):
    assert api_client.post(RESET, body, format="json").status_code == 400


@pytest.mark.parametrize(
    "codes", [{"uid": "zzz", "token": "x"}, {"uid": "MTIz\x00", "token": "t"}, {"uid": "A" * 40}]
)
def test_bad_codes_are_400(api_client, codes):
    body = {
        "uid": "MQ",
        "token": "abc",
        "new_password1": "s3cret-pass",
        "new_password2": "s3cret-pass",
        **codes,
    }
    assert api_client.post(CONFIRM, body, format="json").status_code == 400


def test_a_librarian_sends_a_patron_the_reset_mail_from_the_admin(smtp_server):
    patron = UserFactory(username="walkin", email="walkin@example.org")
    no_mail = UserFactory(email="")
    web = web_client_for(LibrarianFactory())

    response = web.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_password_reset", "_selected_action": [patron.pk, no_mail.pk]},
        follow=True,
    )

    assert response.status_code == 200
    words = " ".join(messages_of(response))
    assert "queued for walkin" in words and no_mail.username in words
    mail_deliver()
    [message] = smtp_server.messages
    assert message.recipients == ["walkin@example.org"]
    assert get_user_model().objects.get(pk=patron.pk).has_usable_password()


def test_the_mail_links_to_the_configured_page_with_uid_and_token(
    api_client, smtp_server, settings
):
    settings.PASSWORD_RESET_LINK = "https://app.example.org/reset?u={uid}&t={token}#{x}"
    UserFactory(email="link@example.org")
    api_client.post(RESET, {"email": "link@example.org"}, format="json")
    mail_deliver()

    text = smtp_server.messages[0].text
    link = re.search(r"https://app\.example\.org/reset\?u=(\w+)&t=([\w-]+)#\{x\}", text)
    assert link is not None, text
    assert "token:" not in text
