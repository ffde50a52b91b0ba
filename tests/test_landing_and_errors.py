"""The landing page at /, the admin's "View site" link, the themed error pages and the
Swagger UI page without inline script."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.views import defaults
from unfold.settings import get_config

from backoffice.unfold_config import FAVICON
from tests.factories import AuditorFactory, LibrarianFactory

pytestmark = pytest.mark.django_db

ERROR_PAGES = {
    "400.html": "Bad request",
    "403.html": "Access denied",
    "403_csrf.html": "The form could not be sent",
    "404.html": "Page not found",
    "500.html": "Something went wrong",
    "503.html": "Temporarily unavailable",
}


def hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


def inline_scripts(html: str) -> list[str]:
    """The <script> elements that carry their code in the page rather than in a file."""
    return [
        body
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
        if "src=" not in attrs and body.strip()
    ]


def looks_like_the_admin(html: str) -> bool:
    return "/static/unfold/css/styles.css" in html and "--color-primary-600" in html


# --- The landing page ----------------------------------------------------------------------


def test_the_landing_page_links_to_the_admin_the_api_docs_and_health(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert {"/admin/", "/docs/", "/schema/", "/health/"} <= hrefs(html)
    assert looks_like_the_admin(html)
    assert "URLconf" not in html  # not Django's debug 404


def test_every_link_on_the_landing_page_answers(client):
    links = {
        href
        for href in hrefs(client.get("/").content.decode())
        if href.startswith("/") and href != "/"
    }

    assert links
    for href in links:
        if href.startswith("/static/"):
            continue
        assert client.get(href).status_code in {200, 302}, href  # the admin asks to log in


def test_the_landing_page_reads_nothing_from_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_the_landing_page_shadows_no_api_route(client):
    assert client.get("/books/").json()["results"] == []
    assert client.get("/nothing-here/").status_code == 404
    assert client.post("/").status_code == 405


def test_view_site_in_the_admin_leads_to_the_landing_page():
    client = Client()
    client.force_login(LibrarianFactory())

    html = client.get("/admin/").content.decode()

    view_site = re.search(r'<a href="([^"]*)"[^>]*>\s*View site\s*</a>', html)
    assert view_site is not None
    assert view_site.group(1) == "/"


# --- Error pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("template, heading", ERROR_PAGES.items())
def test_error_pages_render_alone_in_the_admins_look(template, heading, django_assert_num_queries):
    # No request, no context, no query: what a 500 handler has when the database is down.
    with django_assert_num_queries(0):
        html = render_to_string(template)

    assert heading in html
    assert looks_like_the_admin(html)
    assert "/admin/" in hrefs(html)
    assert "<script" not in html


def test_error_pages_use_unfolds_palette_and_the_admins_icon():
    html = render_to_string("500.html")

    assert f'href="{FAVICON}"' in html

    for name, weights in get_config()["COLORS"].items():
        for weight, value in weights.items():
            assert f"--color-{name}-{weight}: {value};" in html, (name, weight)


def test_djangos_error_views_render_the_themed_pages(django_assert_num_queries):
    request = RequestFactory().get("/admin/somewhere/")

    with django_assert_num_queries(0):
        server_error = defaults.server_error(request)
        denied = defaults.permission_denied(request, PermissionError("no"))
        bad = defaults.bad_request(request, ValueError("bad"))
        missing = defaults.page_not_found(request, LookupError("none"))

    for response, status, heading in (
        (server_error, 500, "Something went wrong"),
        (denied, 403, "Access denied"),
        (bad, 400, "Bad request"),
        (missing, 404, "Page not found"),
    ):
        assert response.status_code == status
        assert heading in response.content.decode()
        assert looks_like_the_admin(response.content.decode())


def test_a_refusal_in_the_admin_is_a_themed_page():
    client = Client()
    client.force_login(AuditorFactory())

    response = client.get("/admin/library/book/import/")  # auditors may not import

    assert response.status_code == 403
    html = response.content.decode()
    assert "Access denied" in html and looks_like_the_admin(html)


def test_an_unknown_admin_page_is_a_themed_404():
    client = Client()
    client.force_login(LibrarianFactory())

    response = client.get("/admin/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and looks_like_the_admin(html)


def test_a_form_posted_without_its_token_gets_the_themed_page():
    client = Client(enforce_csrf_checks=True)
    client.force_login(LibrarianFactory())

    response = client.post("/admin/library/author/add/", {"name": "Anyone"})

    assert response.status_code == 403
    assert "The form could not be sent" in response.content.decode()


# --- Swagger UI ----------------------------------------------------------------------------


def test_swagger_ui_has_no_inline_script(client):
    page = client.get("/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert inline_scripts(html) == []
    script = re.search(r'<script src="(/docs/\?[^"]*script[^"]*)"', html)
    assert script is not None
    start = client.get(script.group(1).replace("&amp;", "&"))
    assert start.status_code == 200
    assert start["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in start.content


# --- Content-Security-Policy ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/docs/", "/books/", "/nothing-here/"])
def test_every_answer_carries_the_content_security_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]

    directives = {name: sources for name, *sources in (d.split() for d in policy.split(";"))}
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
