"""Audit, Changes: one read-only page of every history row, filters, CSV, fixed cost."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from library import services
from library.models import Author
from library.selectors.audit import AuditFilters, audit_models, audit_page

from ..factories import AuthorFactory, BookFactory, UserFactory
from .conftest import web_client_for

pytestmark = pytest.mark.django_db
URL = "/admin/accounts/user/audit/changes/"


@pytest.fixture
def trail(librarian, patron):
    """An author edited by a librarian, a loan by a patron and its return, an author deleted."""
    author = AuthorFactory(name="Mary Shelley")
    book = BookFactory(title="Frankenstein", author=author, total_copies=2, available_copies=2)
    services.author_update(author=author, actor=librarian, reason="Typo", bio="Novelist")
    loan = services.borrow_create(user=patron, book_id=book.pk)
    services.borrow_return(borrow_id=loan.pk, actor=librarian)
    gone = AuthorFactory(name='=HYPERLINK("x")')
    services.author_delete(author=gone, actor=librarian)
    return {"book": book, "loan": loan, "author": author, "librarian": librarian, "patron": patron}


def texts(response) -> str:
    return response.content.decode()


def test_every_model_with_history_is_listed():
    assert {
        "library.author",
        "library.book",
        "library.borrow",
        "library.hold",
        "accounts.user",
    } <= set(audit_models())


def test_the_page_lists_changes_of_every_model_with_who_what_kind_and_fields(trail, auditor):
    page = web_client_for(auditor).get(URL)

    assert page.status_code == 200
    text = texts(page)
    assert "Frankenstein" in text
    assert "Loan" in text and "Author" in text
    assert "deleted" in text and "created" in text and "changed" in text
    assert "return date" in text  # the field the return changed, old → new
    assert f"/admin/library/borrow/{trail['loan'].pk}/change/" in text
    assert trail["librarian"].username in text and "(staff)" in text
    assert trail["patron"].username in text and "(patron)" in text


def test_a_change_that_changed_nothing_is_left_out(db, librarian):
    patron = UserFactory(username="quiet")
    # What a login saved before logins stopped being history: a row with no change.
    patron.save()
    entries, _cursor = audit_page(filters=AuditFilters(model="accounts.user", search="quiet"))
    assert [entry.kind for entry in entries] == ["created"]


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("model=library.author", "Mary Shelley", "Frankenstein"),
        ("kind=-", "HYPERLINK", "Mary Shelley"),
        ("actor=patron&model=library.borrow", "(patron)", "(staff)"),
        ("actor=system&model=library.book", "Frankenstein", "(staff)"),
        ("q=Shelley", "Mary Shelley", "Frankenstein"),
    ],
)
def test_filters(trail, auditor, query, expected, absent):
    text = texts(web_client_for(auditor).get(f"{URL}?{query}"))
    assert expected in text
    assert absent not in text.split('id="audit-table"')[-1]


def test_filter_by_username_and_date_range(trail, auditor):
    web = web_client_for(auditor)
    today = timezone.localdate()
    librarian = trail["librarian"].username

    rows = texts(web.get(f"{URL}?actor={librarian.upper()}&since={today}&until={today}"))
    assert "return date" in rows and "(patron)" not in rows.split('id="audit-table"')[-1]
    later = today + timedelta(days=1)
    assert "No change matches" in texts(web.get(f"{URL}?since={later}"))


@pytest.mark.parametrize(
    "query",
    [
        "since=12/01/2026",
        "since=0001-01-01",
        "model=library.nothing",
        "kind=x",
        "after=garbage",
        "after=2026-01-01T00:00:00~library.book~abc",
        "after=9999-12-31T23:59:59-14:00~library.book~1",
        "after=2026-01-01T00:00:00~library.book~1",
        "q=%00",
        "actor=%00",
    ],
)
def test_bad_filters_are_told_not_a_500(trail, auditor, query):
    page = web_client_for(auditor).get(f"{URL}?{query}")
    assert page.status_code == 200
    assert "audit-row" not in texts(page)


def test_pages_follow_a_cursor_without_repeating_or_skipping(db):
    for number in range(7):
        Author.objects.create(name=f"Author {number}")
    seen = []
    cursor = None
    while True:
        entries, cursor = audit_page(filters=AuditFilters(), cursor=cursor, limit=3)
        seen += [(entry.model, entry.history_id) for entry in entries]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7


def _revised_books(count):
    for number in range(count):
        book = BookFactory(title=f"Extra {number}")
        book.title = f"Extra {number} revised"
        book.save()


def test_queries_do_not_grow_with_the_history(trail, auditor):
    web = web_client_for(auditor)
    _revised_books(1)
    web.get(URL)
    with CaptureQueriesContext(connection) as few:
        web.get(URL)
    _revised_books(40)
    with CaptureQueriesContext(connection) as more:
        page = web.get(URL)
    assert texts(page).count("audit-row") == 50  # a full page, and more behind it
    assert 'id="audit-older"' in texts(page)
    # The session, the user and their roles; then at most two per model that keeps
    # history (its page of rows, the previous versions), however long the history is.
    bound = 3 + 2 * len(audit_models())
    assert len(few) <= bound and len(more) <= bound
    assert not any("COUNT(" in q["sql"] for q in more.captured_queries)


def test_csv_export_is_formula_safe(trail, librarian):
    response = web_client_for(librarian).get(f"{URL}?export=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["when", "who", "role"]
    labels = [row[5] for row in rows[1:]]
    assert '\'=HYPERLINK("x")' in labels
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_patrons_cannot_read_it_and_nobody_can_write(trail, patron):
    assert web_client_for(patron).get(URL).status_code == 302  # to the admin login
    staff = UserFactory(username="helper", is_staff=True)
    assert web_client_for(staff).get(URL).status_code == 403


def test_librarians_read_it_and_the_sidebar_links_it(trail, librarian):
    page = web_client_for(librarian).get(URL)
    assert page.status_code == 200
    assert URL in texts(web_client_for(librarian).get("/admin/"))
    assert web_client_for(librarian).post(URL).status_code == 405


def test_every_history_table_is_indexed_on_its_date():
    # Each model's newest rows are read through this index, newest first.
    for model in audit_models().values():
        history = model._meta.simple_history_manager_attribute
        date_field = getattr(model, history).model._meta.get_field("history_date")
        assert date_field.db_index, model
