"""The API's filter sets build their form class once (``StrictFilterSet``); each request
still validates its own parameters, and one request's errors never reach the next."""

import pytest

from library.api.filters import BookFilter, BorrowFilter
from library.models import Book

from .factories import AuthorFactory, BookFactory

pytestmark = pytest.mark.django_db


def test_each_filter_set_builds_one_form_class_and_validates_its_own_data():
    first, second = BookFilter({"author": "7"}), BookFilter({"author": "x"})

    assert type(first.form) is type(second.form)
    assert first.is_valid() and not second.is_valid()
    assert first.form.cleaned_data["author"] == 7
    # Another filter set has a form class of its own.
    assert "overdue" in BorrowFilter({}).form.fields
    assert "overdue" not in BookFilter({}).form.fields


def test_a_malformed_request_leaves_the_next_one_filtered_as_asked(api_client):
    dickens, austen = AuthorFactory(name="Dickens"), AuthorFactory(name="Austen")
    BookFactory(title="Bleak House", author=dickens)
    BookFactory(title="Emma", author=austen)

    refused = api_client.get("/books/", {"author": "dickens"})
    found = api_client.get("/books/", {"author": austen.pk})
    unfiltered = api_client.get("/books/")

    assert refused.status_code == 400
    assert "author" in refused.data
    assert [row["title"] for row in found.data["results"]] == ["Emma"]
    assert unfiltered.data["count"] == Book.objects.count() == 2
