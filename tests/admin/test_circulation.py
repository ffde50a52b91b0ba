"""Borrows in the admin: the list, returns through the service, lending at the desk, reports."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_results.models import TaskResult

from backoffice.core.errors import ServiceUnavailable
from library.models import Book, Borrow
from tests.factories import AuditorFactory, BookFactory, BorrowFactory, UserFactory

from .conftest import messages_of, queries_for_get

pytestmark = pytest.mark.django_db

BORROWS = reverse("admin:library_borrow_changelist")
GENERATE_REPORT = reverse("admin:django_celery_results_taskresult_generate_report")

# Pinned: the borrows list costs the same whatever the number of rows (no query per row).
BORROW_CHANGELIST_QUERIES = 6


@pytest.fixture
def loans(db):
    """An open loan, an overdue one and a returned one, of books in two genres."""
    now = timezone.now()
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    emma = BookFactory(title="Emma", genre="Romance")
    dracula = BookFactory(title="Dracula", genre="Gothic")
    return {
        "open": BorrowFactory(user=alice, book=emma),
        "overdue": BorrowFactory(
            user=bob,
            book=dracula,
            borrow_date=now - timedelta(days=20),
            due_date=now - timedelta(days=6),
        ),
        "returned": BorrowFactory(
            user=alice,
            book=dracula,
            borrow_date=now - timedelta(days=60),
            due_date=now - timedelta(days=46),
            return_date=now - timedelta(days=50),
        ),
    }


def listed(response) -> set[int]:
    return {borrow.pk for borrow in response.context["cl"].result_list}


def test_borrows_list_shows_books_patrons_dates_and_status(librarian_web, loans):
    response = librarian_web.get(BORROWS)

    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Emma", "Dracula", "alice", "bob", "On loan", "Overdue", "Returned"):
        assert text in html
    assert response.context["cl"].show_full_result_count is False


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"returned": "yes"}, {"returned"}),
        ({"returned": "no"}, {"open", "overdue"}),
        ({"overdue": "yes"}, {"overdue"}),
        ({"overdue": "no"}, {"open", "returned"}),
        ({"genre": "Gothic"}, {"overdue", "returned"}),
        ({"q": "bob"}, {"overdue"}),
        ({"q": "emma"}, {"open"}),
    ],
)
def test_borrows_list_filters_and_searches(librarian_web, loans, query, expected):
    response = librarian_web.get(BORROWS, query)

    assert listed(response) == {loans[name].pk for name in expected}


def day(days_ago: int) -> str:
    """A date as the widget writes it in the en-gb admin (day first)."""
    return (timezone.localtime() - timedelta(days=days_ago)).strftime("%d/%m/%Y")


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"borrow_date_from_0": day(30), "borrow_date_from_1": "00:00"}, {"open", "overdue"}),
        ({"borrow_date_from_0": day(30)}, {"open", "overdue"}),  # time left out
        ({"borrow_date_to_0": day(30)}, {"returned"}),  # up to the end of that day
        (
            {"borrow_date_from_0": day(59), "borrow_date_to_0": day(21)},
            set(),
        ),
        ({"borrow_date_from_0": day(61), "borrow_date_to_0": day(20)}, {"returned", "overdue"}),
    ],
)
def test_borrows_list_filters_by_borrow_date_range(librarian_web, loans, query, expected):
    response = librarian_web.get(BORROWS, query)

    assert listed(response) == {loans[name].pk for name in expected}


def test_an_unreadable_date_is_reported_not_ignored(librarian_web, loans):
    response = librarian_web.get(BORROWS, {"borrow_date_from_0": "31/31/2026"})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize("rows", [5, 50])
def test_borrows_list_runs_a_constant_number_of_queries(librarian_web, rows):
    BorrowFactory.create_batch(rows)

    assert queries_for_get(librarian_web, BORROWS) == BORROW_CHANGELIST_QUERIES


# --- Returning -----------------------------------------------------------------------------


def test_mark_returned_reports_each_row(librarian_web, librarian, loans):
    selected = [loans["open"].pk, loans["overdue"].pk, loans["returned"].pk]

    response = librarian_web.post(
        BORROWS, {"action": "mark_returned", "_selected_action": selected}
    )

    assert response.status_code == 302
    assert "2 loans returned, 1 already returned." in messages_of(response)
    for name in ("open", "overdue"):
        borrow = loans[name]
        borrow.refresh_from_db()
        assert borrow.return_date is not None
        assert borrow.history.first().history_user == librarian
    emma = Book.objects.get(title="Emma")
    assert emma.available_copies == emma.total_copies


def test_borrows_are_read_only_once_recorded(librarian_web, loans):
    borrow = loans["open"]
    url = reverse("admin:library_borrow_change", args=[borrow.pk])

    html = librarian_web.get(url).content.decode()
    assert 'name="_save"' not in html
    assert 'name="due_date' not in html

    librarian_web.post(url, {"due_date_0": "01/01/2030", "due_date_1": "10:00"})
    before = borrow.due_date
    borrow.refresh_from_db()
    assert borrow.due_date == before
    assert (
        librarian_web.get(reverse("admin:library_borrow_delete", args=[borrow.pk])).status_code
        == 403
    )


# --- Lending at the desk -------------------------------------------------------------------


def test_lending_through_the_admin_uses_the_service(librarian_web, librarian, patron, book):
    response = librarian_web.post(
        reverse("admin:library_borrow_add"), {"user": patron.pk, "book": book.pk}
    )

    assert response.status_code == 302
    borrow = Borrow.objects.get()
    assert (borrow.user, borrow.book) == (patron, book)
    assert borrow.due_date - borrow.borrow_date == timedelta(days=14)
    book.refresh_from_db()
    assert book.available_copies == book.total_copies - 1
    assert borrow.history.get().history_user == librarian


def test_lending_refusals_are_form_errors(librarian_web, patron):
    gone = BookFactory(total_copies=1)
    BorrowFactory(book=gone)

    response = librarian_web.post(
        reverse("admin:library_borrow_add"), {"user": patron.pk, "book": gone.pk}
    )

    assert response.status_code == 200
    assert "All copies of this book are on loan." in str(
        response.context["adminform"].form.non_field_errors()
    )
    assert Borrow.objects.filter(user=patron).count() == 0
    gone.refresh_from_db()
    assert gone.available_copies == 0


def test_auditors_cannot_be_lent_books(librarian_web, book):
    auditor = AuditorFactory()

    response = librarian_web.post(
        reverse("admin:library_borrow_add"), {"user": auditor.pk, "book": book.pk}
    )

    assert response.status_code == 200
    assert "may not borrow books" in str(response.context["adminform"].form.errors["user"])
    assert not Borrow.objects.exists()


# --- Generate report now ---------------------------------------------------------------------


def test_generate_report_asks_for_confirmation_first(librarian_web, fake_reports):
    response = librarian_web.get(GENERATE_REPORT)

    assert response.status_code == 200
    assert "Generate report now" in response.content.decode()
    assert fake_reports.calls == []


def test_generate_report_queues_the_task_and_says_where_to_look(
    librarian_web, librarian, fake_reports
):
    response = librarian_web.post(GENERATE_REPORT, {"confirm": "1"})

    assert fake_reports.calls == [librarian]
    task_results = reverse("admin:django_celery_results_taskresult_changelist")
    task = TaskResult.objects.get(task_id="task-0001")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:django_celery_results_taskresult_change", args=[task.pk]
    )
    (message,) = messages_of(response)
    assert "task-0001" in message and task_results in message


def test_generate_report_explains_a_broker_outage(librarian_web, fake_reports):
    fake_reports.error = ServiceUnavailable("The task queue is unreachable.")

    response = librarian_web.post(GENERATE_REPORT, {"confirm": "1"})

    assert response.status_code == 302
    assert any("The task queue is unreachable." in m for m in messages_of(response))


def test_generate_report_is_for_librarians_only(auditor_web, fake_reports):
    assert auditor_web.get(GENERATE_REPORT).status_code == 403
    assert auditor_web.post(GENERATE_REPORT, {"confirm": "1"}).status_code == 403
    assert fake_reports.calls == []


def test_the_report_button_is_on_the_borrows_list(librarian_web, auditor_web):
    assert GENERATE_REPORT in librarian_web.get(BORROWS).content.decode()
    assert GENERATE_REPORT not in auditor_web.get(BORROWS).content.decode()
