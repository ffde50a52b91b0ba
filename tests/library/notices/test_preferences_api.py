"""GET, PATCH /notices/preferences/: patrons turn courtesy notices off (never overdue ones)."""

import pytest

from library.models import PatronPreferences

pytestmark = pytest.mark.django_db

URL = "/notices/preferences/"


def test_courtesy_notices_are_on_until_the_patron_turns_them_off(patron, patron_client):
    assert patron_client.get(URL).json() == {"courtesy_notices": True}

    answer = patron_client.patch(URL, {"courtesy_notices": False}, format="json")

    assert (answer.status_code, answer.json()) == (200, {"courtesy_notices": False})
    assert PatronPreferences.objects.get(user=patron).courtesy_notices is False
    assert patron_client.patch(URL, {"courtesy_notices": True}, format="json").json() == {
        "courtesy_notices": True
    }


@pytest.mark.parametrize(
    "body",
    [
        {"courtesy_notices": "yes"},
        {"courtesy_notices": 0},
        {},
        {"overdue_notices": False},
        {"courtesy_notices": None},
    ],
)
def test_anything_but_a_json_boolean_is_a_400_and_changes_nothing(patron, patron_client, body):
    answer = patron_client.patch(URL, body, format="json")
    assert answer.status_code == 400
    assert not PatronPreferences.objects.exists()


def test_anonymous_callers_are_refused(api_client):
    assert api_client.get(URL).status_code == 401
