"""List endpoints run a fixed number of SQL queries whatever the page size or row count."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ..conftest import client_for
from ..factories import AuthorFactory, BookFactory, BorrowFactory, LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db

# Token authentication costs 1 query (the token with its user); a role check costs 1 (the
# user's groups with their permissions).
EXPECTED_QUERIES = {
    ("anonymous", "/authors/"): 2,  # count + page
    ("anonymous", "/books/"): 2,
    ("anonymous", "/books/available-by-genre/"): 3,  # totals + waiting holds + titles
    ("patron", "/borrow/"): 3,  # auth + count + page (a non-staff user needs no group check)
    ("librarian", "/borrow/"): 4,  # auth + groups + count + page
    ("librarian", "/stats/"): 5,  # auth + groups + count with average + top books + top users
}


def populate(rows: int) -> None:
    patron = UserFactory(username="reader")
    authors = AuthorFactory.create_batch(max(rows // 3, 1))
    now = timezone.now()
    for index in range(rows):
        book = BookFactory(author=authors[index % len(authors)], genre=f"Genre {index % 4}")
        BorrowFactory(book=book, user=patron if index % 2 else UserFactory())
        BorrowFactory(
            book=book,
            user=patron if index % 2 else UserFactory(),
            borrow_date=now - timedelta(days=5),
            return_date=now - timedelta(days=1),
        )


@pytest.mark.parametrize(("role", "path"), list(EXPECTED_QUERIES))
@pytest.mark.parametrize(("rows", "page_size"), [(4, 2), (30, 25)])
def test_list_endpoints_use_a_constant_number_of_queries(
    django_assert_num_queries, role, path, rows, page_size
):
    from rest_framework.test import APIClient

    from library.models import Borrow

    populate(rows)
    if role == "anonymous":
        client = APIClient()
    elif role == "patron":
        from django.contrib.auth import get_user_model

        client = client_for(get_user_model().objects.get(username="reader"))
    else:
        client = client_for(LibrarianFactory())

    with django_assert_num_queries(EXPECTED_QUERIES[(role, path)]):
        response = client.get(path, {"page_size": page_size})

    assert response.status_code == 200
    if "results" in response.data:
        assert len(response.data["results"]) == min(page_size, response.data["count"])
        assert response.data["count"] > 0
    assert Borrow.objects.count() == 2 * rows
