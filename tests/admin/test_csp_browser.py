"""The Content-Security-Policy in a real browser: the pages work under it, nothing is refused.

Chromium reports every refusal as a ``securitypolicyviolation`` event and a console error;
both are collected across the whole visit (login, dashboard with its charts, a changelist,
the add and change forms, Swagger UI, the landing page, an error page). On the way a
librarian adds a book through the form as a browser fills it.
"""

import json

import pytest

from library.models import Book
from tests.factories import PASSWORD, AuthorFactory, LibrarianFactory

from .test_browser import browser, screenshot, small_library  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HYPHENATED_ISBN13 = "978-0-306-40615-7"

# Runs before any page script, in every document the page opens; reports to Python so
# that nothing is lost when the page navigates.
WATCH_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => {
    window.reportViolation(JSON.stringify({
        page: document.location.pathname,
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        sample: event.sample,
        source: event.sourceFile + ':' + event.lineNumber,
    }));
});
"""


class Watch:
    """What the browser reported while the page was open."""

    def __init__(self, page):
        self.violations: list[dict] = []
        self.console: list[dict] = []
        self.errors: list[str] = []
        self.policies: dict[str, str] = {}
        self.expected_error_pages: set[str] = set()
        page.expose_function("reportViolation", self._violation)
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", self._response)

    def _violation(self, text: str) -> None:
        self.violations.append(json.loads(text))

    def _console(self, message) -> None:
        self.console.append(
            {"type": message.type, "text": message.text, "url": message.location.get("url")}
        )

    def _response(self, response):
        if response.request.resource_type == "document":
            path = "/" + response.url.split("://", 1)[1].split("/", 1)[1]
            self.policies[path] = response.headers.get("content-security-policy", "")

    def complaints(self) -> list:
        """Violations, page errors, and console errors or warnings, except the status
        line of an error page visited on purpose."""
        serious = [
            line
            for line in self.console
            if line["type"] in {"error", "warning"}
            and not (
                line["url"] in self.expected_error_pages
                and line["text"].startswith("Failed to load resource")
            )
        ]
        return self.violations + serious + self.errors


def charts_drawn(page) -> list[dict]:
    return page.evaluate(
        """() => [...document.querySelectorAll('canvas.chart')].map(canvas => {
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext('2d')
                .getImageData(0, 0, canvas.width, canvas.height).data;
            return {points: chart ? chart.data.datasets[0].data.length : 0,
                    painted: pixels.some(value => value !== 0)};
        })"""
    )


def test_the_admin_and_swagger_ui_work_under_the_policy(browser, live_server):  # noqa: F811
    librarian = LibrarianFactory(username="librarian")
    small_library()
    author = AuthorFactory(name="Ann Radcliffe")
    page, watch = open_watched_page(browser, live_server, librarian)

    # The dashboard: Alpine (sidebar, tabs) and both Chart.js charts run.
    page.wait_for_selector("canvas.chart")
    page.wait_for_timeout(800)  # the charts' entry animation, before the picture
    drawn = charts_drawn(page)
    assert len(drawn) == 2 and all(c["points"] and c["painted"] for c in drawn), drawn
    screenshot(page, "csp_dashboard.png", full_page=True)

    page.goto(f"{live_server.url}/admin/library/book/")
    assert page.locator("#result_list tbody tr").count() >= 6
    screenshot(page, "csp_changelist.png")

    # The add form, filled as a librarian fills it: the author picked in the
    # autocomplete, the ISBN typed key by key, the shelf count left as shown.
    page.goto(f"{live_server.url}/admin/library/book/add/")
    assert page.input_value("input[name=available_copies]") == ""
    page.fill("input[name=title]", "The Italian")
    page.locator("#id_author + .select2 .select2-selection").click()
    page.locator(".select2-search__field").press_sequentially("Radcl")
    page.locator(".select2-results__option", has_text="Ann Radcliffe").click()
    page.locator("input[name=isbn]").press_sequentially(HYPHENATED_ISBN13)
    assert page.input_value("input[name=isbn]") == HYPHENATED_ISBN13
    page.fill("input[name=genre]", "Gothic")
    page.fill("input[name=total_copies]", "4")
    screenshot(page, "csp_add_form.png", full_page=True)
    page.click("button[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/library/book/")
    added = Book.objects.get(title="The Italian")
    assert (added.author_id, added.isbn) == (author.pk, "9780306406157")
    assert (added.total_copies, added.available_copies) == (4, 4)

    # A change form with its inline of loans.
    page.goto(
        f"{live_server.url}/admin/library/book/{Book.objects.get(title='Dracula').pk}/change/"
    )
    page.wait_for_selector("input[name=title]")
    screenshot(page, "csp_change_form.png", full_page=True)

    # Swagger UI: its start-up script (a file) loads the schema and draws the operations.
    page.goto(f"{live_server.url}/docs/")
    page.wait_for_selector(".opblock-summary", timeout=30_000)
    assert page.locator(".opblock").count() >= 10
    screenshot(page, "csp_docs.png")

    page.goto(f"{live_server.url}/")
    page.wait_for_selector("#home-links")
    screenshot(page, "landing.png")
    watch.expected_error_pages.add(f"{live_server.url}/admin/no-such-page/")
    page.goto(f"{live_server.url}/admin/no-such-page/")
    assert "Page not found" in page.content()
    screenshot(page, "error_404.png")

    assert watch.complaints() == [], watch.console
    for path in ("/admin/", "/admin/library/book/", "/docs/", "/"):
        policy = watch.policies[path]
        assert "script-src 'self'" in policy and "object-src 'none'" in policy, (path, policy)
    assert not any("'unsafe-inline'" in part for part in _script_src(watch.policies["/docs/"]))

    # The watch itself: an inline script injected now is refused, and reported.
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.injected = 1'; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)  # the event is dispatched after the script is refused
    assert page.evaluate("() => window.injected") is None
    assert [v["directive"] for v in watch.violations] == ["script-src-elem"]


def _script_src(policy: str) -> list[str]:
    for directive in policy.split(";"):
        name, *sources = directive.split()
        if name == "script-src":
            return sources
    return []


def open_watched_page(browser, live_server, user):  # noqa: F811
    """A logged-in admin page (as test_browser.open_page), watched from its first request."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    watch = Watch(page)
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page, watch
