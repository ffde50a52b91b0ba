"""Sessions, CSRF, the logged-in user and messages for the pages people use; none of it
for the API, which authenticates by token (``backoffice.core.page_middleware``)."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from library.models import Author

from .conftest import client_for
from .factories import LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-password-1"


def test_the_admin_signs_in_through_its_form_and_its_csrf_token():
    librarian = LibrarianFactory()
    librarian.set_password(PASSWORD)
    librarian.save()
    browser = Client(enforce_csrf_checks=True)

    form = browser.get("/admin/login/")
    token = form.cookies[settings.CSRF_COOKIE_NAME].value
    without_token = browser.post(
        "/admin/login/", {"username": librarian.username, "password": PASSWORD}
    )
    signed_in = browser.post(
        "/admin/login/?next=/admin/",
        {"username": librarian.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert form.status_code == 200
    assert without_token.status_code == 403
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/admin/")
    assert settings.SESSION_COOKIE_NAME in signed_in.cookies
    assert browser.get("/admin/").status_code == 200


def test_an_admin_change_still_says_so_on_the_next_page():
    browser = Client()
    browser.force_login(LibrarianFactory())

    added = browser.post("/admin/library/author/add/", {"name": "Ursula K. Le Guin"}, follow=True)

    assert added.status_code == 200
    assert Author.objects.filter(name="Ursula K. Le Guin").exists()
    assert "was added successfully" in added.content.decode()


def test_the_api_ignores_a_signed_in_browser_session_and_sets_no_cookie():
    browser = Client()
    browser.force_login(LibrarianFactory())

    by_session = browser.get("/auth/user/")
    patron = UserFactory()
    by_token = client_for(patron).get("/auth/user/")

    assert by_session.status_code == 401
    assert not by_session.cookies
    assert (by_token.status_code, by_token.data["username"]) == (200, patron.username)
    assert not by_token.cookies
    assert "Cookie" not in by_token.get("Vary", "")


@pytest.mark.parametrize("path", ["/auth/user/", "/books/"])
def test_api_answers_keep_the_security_headers(path):
    answer = client_for(UserFactory()).get(path)

    assert answer.status_code == 200
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in answer["Content-Security-Policy"]


def test_the_system_checks_find_the_middleware_the_admin_needs():
    # The admin's checks (admin.E408-E410) look for subclasses of Django's own classes.
    call_command("check", fail_level="WARNING")
