"""Who may call what: anonymous, patron, librarian and auditor against every endpoint."""

import pytest
from rest_framework.test import APIClient

from ..conftest import client_for
from ..factories import AuditorFactory, AuthorFactory, BookFactory, LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "patron", "librarian", "auditor"]


def client_as(role: str) -> APIClient:
    factories = {"patron": UserFactory, "librarian": LibrarianFactory, "auditor": AuditorFactory}
    return APIClient() if role == "anonymous" else client_for(factories[role]())


def new_author(book):
    return {"name": "New Author"}


def new_book(book):
    return {"title": "New", "author": book.author_id, "isbn": "9780140434088", "genre": "Drama"}


def borrow_it(book):
    return {"book": book.pk}


MATRIX = [
    # method, path, payload, expected status for anonymous, patron, librarian, auditor
    ("get", "/authors/", None, (200, 200, 200, 200)),
    ("post", "/authors/", new_author, (401, 403, 201, 403)),
    ("get", "/authors/{author}/", None, (200, 200, 200, 200)),
    ("patch", "/authors/{author}/", new_author, (401, 403, 200, 403)),
    ("delete", "/authors/{lonely_author}/", None, (401, 403, 204, 403)),
    ("get", "/books/", None, (200, 200, 200, 200)),
    ("post", "/books/", new_book, (401, 403, 201, 403)),
    ("get", "/books/{book}/", None, (200, 200, 200, 200)),
    ("put", "/books/{book}/", new_book, (401, 403, 200, 403)),
    ("delete", "/books/{book}/", None, (401, 403, 204, 403)),
    ("get", "/books/available-by-genre/", None, (200, 200, 200, 200)),
    ("get", "/borrow/", None, (401, 200, 200, 200)),
    ("post", "/borrow/", borrow_it, (401, 201, 201, 403)),
    ("get", "/stats/", None, (401, 403, 200, 200)),
    ("get", "/auth/user/", None, (401, 200, 200, 200)),
    ("post", "/auth/logout/", None, (401, 204, 204, 204)),
    ("post", "/auth/logoutall/", None, (401, 204, 204, 204)),
]


@pytest.mark.parametrize(("method", "path", "payload", "expected"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, method, path, payload, expected):
    book = BookFactory()
    lonely_author = AuthorFactory()
    client = client_as(role)
    url = path.format(author=book.author_id, book=book.pk, lonely_author=lonely_author.pk)
    data = payload(book) if payload else None

    response = getattr(client, method)(url, data, format="json")

    assert response.status_code == expected[ROLES.index(role)], response.content
    if response.status_code in (401, 403):
        assert set(response.data) == {"detail", "code"}
