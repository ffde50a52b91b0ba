"""The admin in a real browser (Debian's Chromium through Playwright, never a download).

A librarian sees the dashboard's charts drawn, imports a CSV through the UI, finds the
import in a book's history and queues a report; an auditor gets no save button. The
screenshots under docs/screenshots/ are taken on the way.
"""

import os
import random
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db.backends.signals import connection_created
from django.utils import timezone

from library.models import Book
from tests.conftest import skip_or_fail
from tests.factories import (
    PASSWORD,
    AuditorFactory,
    AuthorFactory,
    BookFactory,
    BorrowFactory,
    LibrarianFactory,
    UserFactory,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Runs write into var/ so the suite never dirties the checkout; SCREENSHOTS_DIR=docs/screenshots
# refreshes the README's pictures.
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOTS_DIR") or Path(settings.BASE_DIR) / "var" / "screenshots"
)
SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "import_samples"

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the flush after a transactional test would otherwise drop the
    # Librarians and Auditors groups (a data migration) for every later test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(monkeypatch):
    if not os.access(CHROMIUM, os.X_OK):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    # The test body runs in Playwright's greenlet, whose context gets its own database
    # connection (Django's connections are context-local). Close those at the end, or
    # PostgreSQL refuses to drop the test database while they idle.
    opened = []

    def remember(sender, connection, **kwargs):
        if threading.current_thread() is threading.main_thread():
            opened.append(connection)

    connection_created.connect(remember)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        connection_created.disconnect(remember)
        for connection in opened:
            connection.close()


def open_page(browser, live_server, user):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def screenshot(page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def small_library():
    """A catalogue and a month of loans, so every chart has something to draw."""
    now = timezone.now()
    genres = ["Mystery", "Gothic", "Romance", "Adventure"]
    authors = [
        AuthorFactory(name=name) for name in ("Wilkie Collins", "Bram Stoker", "Jane Austen")
    ]
    books = [
        BookFactory(title=title, genre=genres[i % 4], author=authors[i % 3], total_copies=4)
        for i, title in enumerate(
            ["The Moonstone", "Dracula", "Emma", "Kidnapped", "Armadale", "Persuasion"]
        )
    ]
    patrons = [UserFactory(username=f"reader{i:02d}") for i in range(6)]
    rng = random.Random(7)  # fixed: the same library (and screenshots) every run
    for index in range(60):
        borrowed = now - timedelta(days=rng.triangular(0, 29, 3), hours=2)
        open_loan = index < 6  # distinct patron and book: one open loan per pair
        BorrowFactory(
            book=books[index] if open_loan else rng.choices(books, weights=[6, 5, 4, 3, 2, 1])[0],
            user=patrons[index] if open_loan else rng.choice(patrons),
            borrow_date=borrowed,
            due_date=borrowed + timedelta(days=14),
            return_date=None
            if open_loan
            else min(borrowed + timedelta(days=rng.uniform(1, 13)), now),
        )


def test_a_librarians_day_in_the_admin(browser, live_server, fake_reports):
    librarian = LibrarianFactory(username="librarian", first_name="Ada", last_name="Lovelace")
    small_library()
    page = open_page(browser, live_server, librarian)

    # The dashboard: both charts are drawn by the bundled Chart.js, on non-blank canvases.
    page.wait_for_selector("canvas.chart")
    page.wait_for_timeout(800)  # let the charts' entry animation finish before the shot
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('canvas.chart')].map(canvas => {
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext('2d')
                .getImageData(0, 0, canvas.width, canvas.height).data;
            return {
                points: chart ? chart.data.datasets[0].data.length : 0,
                painted: pixels.some(value => value !== 0),
                height: canvas.height,
            };
        })"""
    )
    assert len(drawn) == 2
    assert all(c["points"] > 0 and c["painted"] and c["height"] > 0 for c in drawn), drawn
    assert page.locator("#key-figures").inner_text().count("\n") >= 6
    screenshot(page, "dashboard.png", full_page=True)

    page.goto(f"{live_server.url}/admin/library/book/")
    assert page.locator("#result_list").is_visible()
    screenshot(page, "books_changelist.png")
    page.goto(f"{live_server.url}/admin/library/borrow/")
    screenshot(page, "borrows_changelist.png")

    # Import the sample books through the UI: preview first, then confirm.
    page.goto(f"{live_server.url}/admin/library/book/import/")
    page.set_input_files("input[name=import_file]", str(SAMPLES / "books.csv"))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_selector("table.import-preview-table")
    assert page.locator("table.import-preview-table tbody tr").count() == 7
    assert not Book.objects.filter(title="North and South").exists()
    screenshot(page, "import_preview.png", full_page=True)
    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_url(f"{live_server.url}/admin/library/book/")
    assert "Import finished" in page.content()
    north = Book.objects.get(title="North and South")
    assert north.history.get().history_user == librarian

    # The import in the book's history, with the librarian as the author of the change.
    page.goto(f"{live_server.url}/admin/library/book/{north.pk}/change/")
    page.fill("input[name=genre]", "Industrial novel")
    page.fill("input[name=total_copies]", "5")
    page.click("button[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/library/book/")
    page.goto(f"{live_server.url}/admin/library/book/{north.pk}/history/")
    history = page.locator("#change-history").inner_text()
    assert history.count(librarian.username) == 2
    assert "Industrial novel" in history and "Romance" in history
    assert "CSV import (books.csv)" in history and "Edited in the admin" in history
    screenshot(page, "book_history.png")
    north.refresh_from_db()
    assert (north.total_copies, north.available_copies) == (5, 5)

    # Generate a report from the dashboard: the message says where to find it.
    page.goto(f"{live_server.url}/admin/")
    page.locator("#generate-report-form button[type=submit]").click()
    page.wait_for_url("**/taskresult/*/change/")
    assert "task-0001" in page.content()
    assert fake_reports.calls == [librarian]
    screenshot(page, "report_queued.png")


def test_auditors_get_read_only_pages(browser, live_server):
    auditor = AuditorFactory(username="auditor")
    book = BookFactory(title="The Moonstone", author=AuthorFactory(name="Wilkie Collins"))
    BorrowFactory(book=book, user=UserFactory(username="reader01"))
    page = open_page(browser, live_server, auditor)

    page.goto(f"{live_server.url}/admin/library/book/{book.pk}/change/")

    assert page.locator("button[name=_save]").count() == 0
    assert page.locator("input[name=title]").count() == 0
    assert "The Moonstone" in page.content()
    screenshot(page, "auditor_book.png")
    page.goto(f"{live_server.url}/admin/library/book/")
    assert page.get_by_role("link", name="Export").count() == 1
    assert page.get_by_role("link", name="Import").count() == 0
