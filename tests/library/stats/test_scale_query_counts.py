"""The reads that had to change for a library of 100,000 titles and 1,000,000 loans
(docs/PERFORMANCE.md) stay fixed-cost and keep their answers.

- /stats/ counts first and joins only the contenders for the top lists (a window RANK),
  selecting only the columns shown: still one query per figure.
- /books/available-by-genre/ ranks titles on the books table alone and joins authors to
  the rows kept: still two queries.
"""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from library import selectors
from library.models import Book, Borrow

from ...conftest import client_for
from ...factories import AuthorFactory, BookFactory, BorrowFactory, LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db


def lend(book, patrons, *, days_ago: float) -> None:
    start = timezone.now() - timedelta(days=days_ago)
    for patron in patrons:
        BorrowFactory(
            book=book, user=patron, borrow_date=start, return_date=start + timedelta(days=1)
        )


@pytest.fixture
def circulation():
    """Books borrowed 5, 3, 3, 3, 1 times in the period (ties at the cut), plus old loans."""
    patrons = UserFactory.create_batch(6)
    authors = AuthorFactory.create_batch(2)
    books = [BookFactory(author=authors[i % 2], title=f"Title {i}") for i in range(6)]
    for book, count in zip(books, [5, 3, 3, 3, 1], strict=False):
        lend(book, patrons[:count], days_ago=3)
    lend(books[5], patrons, days_ago=400)  # outside any recent period
    return books, patrons


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 10])
def test_stats_top_lists_match_a_plain_group_by(circulation, limit):
    today = timezone.localdate()
    period = selectors.Period.from_dates(today - timedelta(days=29), today)

    stats = selectors.borrow_stats(period=period, limit=limit)

    window = {
        "borrows__borrow_date__gte": period.start,
        "borrows__borrow_date__lt": period.end,
    }
    expected_books = list(
        Book.objects.filter(**window)
        .annotate(n=Count("borrows"))
        .order_by("-n", "title", "id")
        .values_list("id", "n")[:limit]
    )
    assert [(b.id, b.borrow_count) for b in stats.most_borrowed_books] == expected_books
    from django.contrib.auth import get_user_model

    expected_users = list(
        get_user_model()
        .objects.filter(**window)
        .annotate(n=Count("borrows"))
        .order_by("-n", "username")
        .values_list("id", "n")[:limit]
    )
    assert [(u.id, u.borrow_count) for u in stats.most_active_borrowers] == expected_users
    assert stats.borrowed_count == 15


def test_stats_rows_carry_what_the_api_and_dashboard_show_without_more_queries(
    circulation, django_assert_num_queries
):
    today = timezone.localdate()
    stats = selectors.borrow_stats(period=selectors.Period.from_dates(today, today))
    with django_assert_num_queries(0):
        for book in stats.most_borrowed_books:
            assert book.title and book.author.name and book.borrow_count
        for patron in stats.most_active_borrowers:
            assert patron.get_username()
            patron.get_full_name()
            assert patron.email
            assert patron.borrow_count


def test_stats_endpoint_query_count_is_fixed_and_under_eight():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    patrons = UserFactory.create_batch(3)
    client = client_for(LibrarianFactory())
    counts = []
    for rows in (6, 30):
        for index in range(rows):
            lend(BookFactory(), patrons[: 1 + index % 3], days_ago=2)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/stats/", {"limit": 5})
        assert response.status_code == 200
        assert len(response.data["most_borrowed_books"]) == 5
        counts.append(len(queries.captured_queries))

    # auth (token, the user's tokens), the role's groups, then one query per figure.
    assert counts[0] == counts[1] < 8


@pytest.mark.parametrize("per_genre", [1, 3, 100])
def test_available_by_genre_keeps_the_first_titles_of_each_genre(per_genre):
    for genre in ("Drama", "Poetry"):
        for index in range(4):
            BookFactory(genre=genre, title=f"{genre} {index}")
    BookFactory(genre="Drama", title="Drama 0 (all out)", total_copies=1, available_copies=0)

    groups = selectors.books_available_by_genre(books_per_genre=per_genre)

    assert [group.genre for group in groups] == ["Drama", "Poetry"]
    for group in groups:
        assert group.available_titles == 4
        assert [book.title for book in group.books] == [
            f"{group.genre} {index}" for index in range(min(per_genre, 4))
        ]


def test_available_by_genre_is_three_queries_whatever_the_size(django_assert_num_queries):
    for index in range(40):
        BookFactory(genre=f"Genre {index % 5}")

    with django_assert_num_queries(3):
        groups = selectors.books_available_by_genre(books_per_genre=3)
        for group in groups:
            for book in group.books:
                assert book.author.name


def test_dashboard_figures_are_one_query_and_agree_with_plain_counts(
    circulation, django_assert_num_queries
):
    books, patrons = circulation
    now = timezone.now()
    overdue = BorrowFactory(
        book=books[0], borrow_date=now - timedelta(days=30), due_date=now - timedelta(days=2)
    )
    BorrowFactory(book=books[1], borrow_date=now - timedelta(hours=2))  # open, not yet due
    UserFactory(is_active=False)
    UserFactory()  # a patron with no loan: counted among patrons, not active ones
    period = selectors.Period.from_dates(
        timezone.localdate() - timedelta(days=29), timezone.localdate()
    )

    with django_assert_num_queries(1):
        figures = selectors.dashboard_figures(period=period, now=now)

    in_period = Borrow.objects.filter(borrow_date__gte=period.start, borrow_date__lt=period.end)
    returned = [loan for loan in in_period if loan.return_date]
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    assert figures.titles == len(books)
    assert figures.copies == sum(book.total_copies for book in Book.objects.all())
    assert figures.available_copies == sum(book.available_copies for book in Book.objects.all())
    assert figures.on_loan == 2
    assert figures.overdue == 1 and Borrow.objects.filter(pk=overdue.pk, return_date=None).exists()
    # Patrons: the fixture's, the two borrowers the factory made above and the idle one.
    assert figures.patrons == len(patrons) + 3
    recent = {
        loan.user_id
        for loan in Borrow.objects.all()
        if loan.borrow_date >= now - timedelta(days=30)
    }
    assert 0 < figures.active_patrons == len(recent) < figures.patrons
    assert figures.borrows_this_month == Borrow.objects.filter(borrow_date__gte=month_start).count()
    assert figures.borrowed_in_period == in_period.count() == 16  # 15 from the fixture, one today
    average = sum((loan.return_date - loan.borrow_date for loan in returned), timedelta()) / len(
        returned
    )
    assert figures.average_loan_days == round(average.total_seconds() / 86400, 2)


def test_dashboard_figures_of_an_empty_library_are_zeros():
    period = selectors.Period.from_dates(None, None)

    figures = selectors.dashboard_figures(period=period)

    assert figures == selectors.DashboardFigures(
        titles=0,
        copies=0,
        available_copies=0,
        held_copies=0,
        holds_waiting=0,
        on_loan=0,
        overdue=0,
        patrons=0,
        active_patrons=0,
        borrows_this_month=0,
        borrowed_in_period=0,
        average_loan_days=None,
    )
