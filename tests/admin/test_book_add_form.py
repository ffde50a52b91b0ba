"""Adding a book in the admin, posted as a browser posts the rendered form.

A new book has every copy on the shelf unless the librarian says otherwise, as through
the API and the CSV import; a hyphenated ISBN-13 reaches the validator whole.
"""

import pytest
from django.urls import reverse

from library.models import Book
from tests.factories import AuthorFactory, BookFactory

from .browser_form import browser_submission, form_fields

pytestmark = pytest.mark.django_db

HYPHENATED_ISBN13 = "978-0-306-40615-7"  # 17 characters


def add_book(client, **typed):
    """Open the add form, type ``typed`` into it and click Save."""
    url = reverse("admin:library_book_add")
    page = client.get(url)
    assert page.status_code == 200
    data = browser_submission(page.content.decode(), "book_form", typed, "_save")
    return client.post(url, data)


def test_the_add_form_offers_no_shelf_count_of_its_own(librarian_web):
    html = librarian_web.get(reverse("admin:library_book_add")).content.decode()

    available = form_fields(html, "book_form")["available_copies"]

    assert available["value"] == ""
    assert available.get("placeholder")  # says what an empty field means


def test_a_new_book_left_as_shown_has_every_copy_on_the_shelf(librarian_web):
    author = AuthorFactory(name="Wilkie Collins")

    response = add_book(
        librarian_web,
        title="The Moonstone",
        author=author.pk,
        isbn="9780306406157",
        genre="Mystery",
        total_copies=4,
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    book = Book.objects.get(title="The Moonstone")
    assert (book.total_copies, book.available_copies) == (4, 4)


def test_a_shelf_count_typed_on_the_add_form_is_kept(librarian_web):
    author = AuthorFactory(name="Wilkie Collins")

    response = add_book(
        librarian_web,
        title="Armadale",
        author=author.pk,
        isbn="9780306406157",
        genre="Mystery",
        total_copies=4,
        available_copies=2,
    )

    assert response.status_code == 302
    book = Book.objects.get(title="Armadale")
    assert (book.total_copies, book.available_copies) == (4, 2)


def test_a_shelf_count_above_the_total_is_refused_on_the_field(librarian_web):
    author = AuthorFactory(name="Wilkie Collins")

    response = add_book(
        librarian_web,
        title="Armadale",
        author=author.pk,
        isbn="9780306406157",
        genre="Mystery",
        total_copies=2,
        available_copies=3,
    )

    assert response.status_code == 200
    assert "available_copies" in response.context["adminform"].form.errors
    assert not Book.objects.exists()


def test_a_hyphenated_isbn13_fits_the_field_and_is_stored_as_digits(librarian_web):
    author = AuthorFactory(name="Wilkie Collins")
    html = librarian_web.get(reverse("admin:library_book_add")).content.decode()
    assert int(form_fields(html, "book_form")["isbn"]["maxlength"]) >= len(HYPHENATED_ISBN13)

    response = add_book(
        librarian_web,
        title="The Moonstone",
        author=author.pk,
        isbn=HYPHENATED_ISBN13,
        genre="Mystery",
        total_copies=1,
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Book.objects.get(title="The Moonstone").isbn == "9780306406157"


def test_a_hyphenated_isbn13_is_accepted_on_the_change_form_too(librarian_web):
    book = BookFactory(title="Emma")
    url = reverse("admin:library_book_change", args=[book.pk])
    page = librarian_web.get(url).content.decode()

    data = browser_submission(page, "book_form", {"isbn": "979-10-90636-07-1"}, "_save")
    response = librarian_web.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    book.refresh_from_db()
    assert book.isbn == "9791090636071"
    assert (book.total_copies, book.available_copies) == (3, 3)


def test_a_too_long_isbn_is_a_field_error_not_a_crash(librarian_web):
    author = AuthorFactory(name="Wilkie Collins")
    url = reverse("admin:library_book_add")
    page = librarian_web.get(url).content.decode()
    data = browser_submission(
        page,
        "book_form",
        {"title": "X", "author": author.pk, "genre": "Y", "total_copies": 1},
        "_save",
    )
    data["isbn"] = "9" * 40  # past the maxlength: a hand-made request, not a browser

    response = librarian_web.post(url, data)

    assert response.status_code == 200
    assert "isbn" in response.context["adminform"].form.errors
    assert not Book.objects.exists()


def test_a_hyphenated_isbn_already_in_the_catalogue_is_a_field_error(librarian_web):
    BookFactory(title="The Moonstone", isbn="9780306406157")

    response = add_book(
        librarian_web,
        title="Another Moonstone",
        author=AuthorFactory().pk,
        isbn=HYPHENATED_ISBN13,
        genre="Mystery",
        total_copies=1,
    )

    assert response.status_code == 200
    assert "isbn" in response.context["adminform"].form.errors
    assert Book.objects.count() == 1
