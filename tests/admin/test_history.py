"""Audit history in the admin: who changed what, whether in the admin, an import or the API."""

import pytest
from django.urls import reverse

from tests.conftest import client_for

from .test_catalogue import book_form

pytestmark = pytest.mark.django_db


def history_html(client, book) -> str:
    response = client.get(reverse("admin:library_book_history", args=[book.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_admin_edits_show_who_changed_which_field(librarian_web, librarian, auditor_web, book):
    librarian_web.post(
        reverse("admin:library_book_change", args=[book.pk]), book_form(book, genre="Sensation")
    )

    html = history_html(auditor_web, book)  # auditors read history too
    assert librarian.username in html
    assert "Mystery" in html and "Sensation" in html  # the field-level diff
    assert "Edited in the admin" in html
    assert "unfold/css/styles.css" in html


def test_api_writes_show_in_the_admin_history(librarian_web, librarian, book):
    api = client_for(librarian)

    response = api.patch(f"/books/{book.pk}/", {"genre": "Crime"}, format="json")

    assert response.status_code == 200, response.content
    record = book.history.first()
    assert (record.history_user, record.genre) == (librarian, "Crime")
    html = history_html(librarian_web, book)
    assert "Crime" in html and librarian.username in html


def test_history_cannot_be_reverted(librarian_web, book):
    librarian_web.post(
        reverse("admin:library_book_change", args=[book.pk]), book_form(book, title="Renamed")
    )
    first = book.history.last()
    url = reverse("admin:library_book_simple_history", args=[book.pk, first.history_id])

    page = librarian_web.get(url)
    response = librarian_web.post(url, book_form(book, total_copies=99))

    assert page.status_code == 200
    assert "Revert" not in page.content.decode()
    assert response.status_code == 403
    book.refresh_from_db()
    assert (book.title, book.total_copies) == ("Renamed", 3)


def test_borrow_and_user_histories_are_visible(librarian_web, borrowed_book, patron):
    borrow = borrowed_book.borrows.get()

    for url in (
        reverse("admin:library_borrow_history", args=[borrow.pk]),
        reverse("admin:accounts_user_history", args=[patron.pk]),
        reverse("admin:library_author_history", args=[borrowed_book.author_id]),
    ):
        assert librarian_web.get(url).status_code == 200, url
