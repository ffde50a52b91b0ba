"""The admin home: key figures and charts, from library.selectors, in constant queries."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AuthorFactory, BookFactory, BorrowFactory, UserFactory

from .conftest import queries_for_get

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin:index")

# Pinned: the dashboard costs the same whatever the size of the catalogue and history.
# Session, user, and the user's groups and permissions (one query): 3 on every admin page
# (2 in production, where the session is read from the cache). The statistics add 5
# queries when computed, or one cache read while they are fresh.
DASHBOARD_QUERIES_COMPUTED = 8
DASHBOARD_QUERIES_CACHED = 4


@pytest.fixture
def library(db):
    """Two titles (5 copies), three loans: one open, one overdue, one returned."""
    now = timezone.now()
    # Today's loan: an hour ago, or at midnight when the day is younger than an hour.
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    emma = BookFactory(
        title="Emma", genre="Romance", total_copies=3, author=AuthorFactory(name="Jane Austen")
    )
    dracula = BookFactory(
        title="Dracula", genre="Gothic", total_copies=2, author=AuthorFactory(name="Bram Stoker")
    )
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    UserFactory(username="idle")
    UserFactory(username="gone", is_active=False)
    BorrowFactory(user=alice, book=emma, borrow_date=max(now - timedelta(hours=1), today_start))
    BorrowFactory(
        user=bob,
        book=dracula,
        borrow_date=now - timedelta(days=20),
        due_date=now - timedelta(days=6),
    )
    BorrowFactory(
        user=alice,
        book=dracula,
        borrow_date=now - timedelta(days=10),
        due_date=now + timedelta(days=4),
        return_date=now - timedelta(days=6),
    )
    return {"emma": emma, "dracula": dracula}


def figures_of(response) -> dict[str, str]:
    return {str(figure.title): figure.value for figure in response.context["figures"]}


def chart(response, name) -> dict:
    return json.loads(response.context[name])


def test_key_figures(librarian_web, library):
    response = librarian_web.get(DASHBOARD)

    assert response.status_code == 200
    figures = figures_of(response)
    assert figures["Titles"] == "2"
    assert figures["Copies"] == "5"
    assert figures["On loan now"] == "2"
    assert figures["Overdue now"] == "1"
    # alice and bob borrowed in the last 30 days; idle is a patron who did not.
    assert figures["Active patrons"] == "2"
    now = timezone.localtime()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # Today's loan is always in this month; the older two depend on the date.
    older = [now - timedelta(days=20), now - timedelta(days=10)]
    assert figures["Borrowed"] == str(1 + sum(day >= month_start for day in older))


def test_charts_cover_the_period(librarian_web, library):
    response = librarian_web.get(DASHBOARD)

    per_day = chart(response, "per_day_chart")
    assert len(per_day["labels"]) == 30
    assert sum(per_day["datasets"][0]["data"]) == 3
    assert per_day["datasets"][0]["data"][-1] == 1  # today's borrow
    by_genre = chart(response, "genre_chart")
    assert dict(zip(by_genre["labels"], by_genre["datasets"][0]["data"], strict=True)) == {
        "Gothic": 2,
        "Romance": 1,
    }
    assert response.context["borrowed_count"] == 3
    assert response.context["average_loan_days"] == 4.0


def test_rankings_name_books_with_authors_and_borrowers(librarian_web, library):
    response = librarian_web.get(DASHBOARD)

    books = [(row["title"], row["detail"], row["count"]) for row in response.context["top_books"]]
    assert books == [("Dracula", "Bram Stoker", 2), ("Emma", "Jane Austen", 1)]
    borrowers = [(row["title"], row["count"]) for row in response.context["top_borrowers"]]
    assert borrowers == [("alice", 2), ("bob", 1)]
    html = response.content.decode()
    assert "Bram Stoker" in html and "Most active borrowers" in html


def test_charts_are_drawn_with_the_bundled_chart_js(librarian_web, library):
    html = librarian_web.get(DASHBOARD).content.decode()

    assert html.count('<canvas class="chart"') == 2
    assert "unfold/js/chart/chart.js" in html
    assert "cdn." not in html


@pytest.mark.parametrize(
    "days, expected", [("7", 7), ("90", 90), ("0", 1), ("-5", 1), ("100000", 365), ("x", 30)]
)
def test_period_is_chosen_with_days_and_bounded(librarian_web, days, expected):
    response = librarian_web.get(DASHBOARD, {"days": days})

    assert response.status_code == 200
    assert response.context["days"] == expected
    assert len(chart(response, "per_day_chart")["labels"]) == expected


def test_a_shorter_period_leaves_older_borrows_out(librarian_web, library):
    response = librarian_web.get(DASHBOARD, {"days": "7"})

    assert response.context["borrowed_count"] == 1
    assert [row["title"] for row in response.context["top_books"]] == ["Emma"]


def test_an_empty_library_still_renders(librarian_web):
    response = librarian_web.get(DASHBOARD)

    assert response.status_code == 200
    assert figures_of(response)["Titles"] == "0"
    assert response.context["average_loan_days"] is None
    assert "No loans in this period." in response.content.decode()


def test_auditors_see_the_statistics_without_the_report_button(auditor_web, library):
    response = auditor_web.get(DASHBOARD)

    assert figures_of(response)["Titles"] == "2"
    assert response.context["can_generate_report"] is False
    assert 'id="generate-report-form"' not in response.content.decode()


def test_librarians_get_the_report_button(librarian_web):
    html = librarian_web.get(DASHBOARD).content.decode()

    assert 'id="generate-report-form"' in html
    assert reverse("admin:django_celery_results_taskresult_generate_report") in html


@pytest.mark.parametrize("borrows", [5, 50])
def test_dashboard_runs_a_constant_number_of_queries(librarian_web, borrows, settings):
    books = BookFactory.create_batch(5, total_copies=20)
    patrons = UserFactory.create_batch(10)
    now = timezone.now()
    for index in range(borrows):
        BorrowFactory(
            book=books[index % 5],
            user=patrons[index % 10],
            borrow_date=now - timedelta(days=index % 25, hours=1),
            # a handful open (distinct patron and book), the rest returned
            return_date=None if index < 5 else now,
        )

    assert queries_for_get(librarian_web, DASHBOARD) == DASHBOARD_QUERIES_CACHED
    settings.DASHBOARD_CACHE_SECONDS = 0
    assert queries_for_get(librarian_web, DASHBOARD) == DASHBOARD_QUERIES_COMPUTED
