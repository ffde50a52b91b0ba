"""A patron's own choice: GET, PUT /auth/user/reading-history/, shown on the patron record."""

import pytest

from library.models import ReadingHistoryChoice

from ...admin.conftest import web_client_for
from ...conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/auth/user/reading-history/"


def test_without_a_choice_the_library_setting_holds(patron_client, settings):
    settings.LOAN_HISTORY_RETENTION_DAYS = 90

    response = patron_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "choice": "library",
        "forget_after_days": None,
        "library_retention_days": 90,
        "effective_retention_days": 90,
    }


def test_a_patron_chooses_to_forget_after_n_days(patron, patron_client):
    response = patron_client.put(URL, {"choice": "forget", "forget_after_days": 30}, format="json")

    assert response.status_code == 200
    assert response.json()["effective_retention_days"] == 30
    chosen = ReadingHistoryChoice.objects.get(user=patron)
    assert (chosen.choice, chosen.forget_after_days) == ("forget", 30)


def test_a_patron_chooses_to_keep_then_goes_back_to_the_library_setting(
    patron, patron_client, settings
):
    settings.LOAN_HISTORY_RETENTION_DAYS = 90
    assert (
        patron_client.put(URL, {"choice": "keep"}, format="json").json()["effective_retention_days"]
        is None
    )
    assert ReadingHistoryChoice.objects.get(user=patron).choice == "keep"

    response = patron_client.put(URL, {"choice": "library"}, format="json")

    assert response.json()["effective_retention_days"] == 90
    assert not ReadingHistoryChoice.objects.filter(user=patron).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"choice": "forget"}, "forget_after_days"),
        ({"choice": "keep", "forget_after_days": 3}, "forget_after_days"),
        ({"choice": "forget", "forget_after_days": "30"}, "forget_after_days"),
        ({"choice": "forget", "forget_after_days": 30.0}, "forget_after_days"),
        ({"choice": "forget", "forget_after_days": True}, "forget_after_days"),
        ({"choice": "forget", "forget_after_days": 0}, "forget_after_days"),
        ({"choice": "forget", "forget_after_days": 36501}, "forget_after_days"),
        ({"choice": "never"}, "choice"),
        ({}, "choice"),
        ({"choice": "keep", "user": 1}, "user"),
        ({"choice": "keep", "library_retention_days": 1}, "library_retention_days"),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(patron, patron_client, body, field):
    response = patron_client.put(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ReadingHistoryChoice.objects.filter(user=patron).exists()


def test_a_body_that_is_not_an_object_is_refused(patron_client):
    assert patron_client.put(URL, ["keep"], format="json").status_code == 400
    assert patron_client.put(URL, "choice=keep", content_type="text/plain").status_code == 415


def test_the_choice_needs_a_token(api_client):
    assert api_client.get(URL).status_code == 401


def test_the_patron_record_shows_the_choice(patron, librarian, settings):
    client_for(patron).put(URL, {"choice": "forget", "forget_after_days": 45}, format="json")

    page = web_client_for(librarian).get(f"/admin/accounts/user/{patron.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "anonymised 45 days after their return" in text
    assert "the patron&#x27;s own choice" in text or "the patron's own choice" in text
