from datetime import timedelta

import pytest
from django.utils import timezone

from reports.selectors import report_build
from tests.factories import AuthorFactory, BookFactory, BorrowFactory, UserFactory

pytestmark = pytest.mark.django_db


def borrow(user, book, *, days_ago: float, loan_days: int = 14, returned_days_ago=None, now):
    borrow_date = now - timedelta(days=days_ago)
    return BorrowFactory(
        user=user,
        book=book,
        borrow_date=borrow_date,
        due_date=borrow_date + timedelta(days=loan_days),
        return_date=None if returned_days_ago is None else now - timedelta(days=returned_days_ago),
    )


@pytest.fixture
def library(db):
    """A small library whose figures are worked out by hand in the test below."""
    now = timezone.now()
    christie, tolkien, _poet_without_books = AuthorFactory.create_batch(3)
    orient = BookFactory(author=christie, genre="Mystery", total_copies=3)
    nile = BookFactory(author=christie, genre="Mystery", total_copies=2)
    hobbit = BookFactory(author=tolkien, genre="Fantasy", total_copies=4)
    poems = BookFactory(author=tolkien, genre="Poetry", total_copies=1)
    ann, bob, cat, dan = UserFactory.create_batch(4)

    borrow(ann, orient, days_ago=2, now=now)  # open, due in 12 days
    borrow(ann, hobbit, days_ago=20, now=now)  # open, overdue by 6 days
    borrow(bob, nile, days_ago=10, returned_days_ago=5, now=now)  # returned
    borrow(bob, hobbit, days_ago=29, returned_days_ago=25, now=now)  # returned
    borrow(dan, nile, days_ago=1, now=now)  # open
    borrow(cat, poems, days_ago=40, returned_days_ago=35, now=now)  # before the window
    borrow(cat, orient, days_ago=45, now=now)  # open and overdue, before the window
    return now


def test_report_figures_match_hand_computed_values(library):
    report = report_build(now=library)

    assert report["generated_at"] == library.isoformat()
    assert report["period_start"] == (library - timedelta(days=30)).isoformat()
    assert report["total_authors"] == 3
    assert report["total_books"] == {"titles": 4, "copies": 3 + 2 + 4 + 1}
    # ann: orient + hobbit, dan: nile, cat: orient
    assert report["books_currently_borrowed"] == 4
    # ann's hobbit (due 6 days ago), cat's orient (due 31 days ago)
    assert report["overdue_borrows"] == 2
    # in the last 30 days: ann x2, bob x2, dan x1; cat's two are older
    assert report["borrows_last_30_days"] == 5
    assert report["active_patrons_last_30_days"] == 3
    assert report["top_genres"] == [
        {"genre": "Mystery", "borrows": 3},
        {"genre": "Fantasy", "borrows": 2},
    ]


def test_report_of_an_empty_library_is_all_zeros(db):
    report = report_build()

    assert report["total_authors"] == 0
    assert report["total_books"] == {"titles": 0, "copies": 0}
    assert report["books_currently_borrowed"] == 0
    assert report["overdue_borrows"] == 0
    assert report["active_patrons_last_30_days"] == 0
    assert report["borrows_last_30_days"] == 0
    assert report["top_genres"] == []


def test_top_genres_keeps_five_most_borrowed_ties_by_name(db):
    now = timezone.now()
    patron = UserFactory()
    for genre, count in [("A", 1), ("B", 3), ("C", 2), ("D", 2), ("E", 1), ("F", 4)]:
        for _ in range(count):
            borrow(patron, BookFactory(genre=genre), days_ago=1, now=now)

    genres = [(row["genre"], row["borrows"]) for row in report_build(now=now)["top_genres"]]

    assert genres == [("F", 4), ("B", 3), ("C", 2), ("D", 2), ("A", 1)]


def test_report_takes_a_constant_number_of_queries(library, django_assert_num_queries):
    # books, authors, loans out, the 30-day window, active patrons, top genres
    with django_assert_num_queries(6):
        report_build(now=library)

    for _ in range(10):
        borrow(UserFactory(), BookFactory(genre="Horror"), days_ago=3, now=library)
    with django_assert_num_queries(6):
        report_build(now=library)


def test_a_librarian_borrowing_is_not_an_active_patron(library):
    from tests.factories import LibrarianFactory

    borrow(LibrarianFactory(), BookFactory(), days_ago=1, now=library)

    report = report_build(now=library)

    assert report["borrows_last_30_days"] == 6  # the loan counts as a loan...
    assert report["active_patrons_last_30_days"] == 3  # ...but a librarian is not a patron


def test_the_report_counts_the_hold_shelf_and_the_queues(library):
    from tests.factories import HoldFactory

    HoldFactory(book=BookFactory(total_copies=2), ready=True)
    out = BookFactory(total_copies=1)
    BorrowFactory(book=out)
    HoldFactory.create_batch(3, book=out)

    report = report_build(now=library)

    assert report["holds"] == {"held_copies": 1, "waiting": 3}
