"""The API's filter sets build their form class once (``StrictFilterSet``); each request
still validates its own parameters, and one request's errors never reach the next. A
request that sends no filter parameter builds no filter set (``FilterBackend``)."""

import pytest

from backoffice.core.filters import FilterBackend
from library import selectors
from library.api.filters import BookFilter, BorrowFilter
from library.api.views.catalogue import AuthorViewSet
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


def test_only_a_request_that_sends_a_filter_parameter_builds_the_filter_set(
    api_client, monkeypatch
):
    built = []
    build = BookFilter.__init__
    monkeypatch.setattr(
        BookFilter,
        "__init__",
        lambda self, *args, **kwargs: built.append(1) or build(self, *args, **kwargs),
    )
    BookFactory(title="Bleak House", genre="Fiction", total_copies=0)
    BookFactory(title="Emma", genre="Fiction")
    BookFactory(title="Odes", genre="Poetry")

    unfiltered = api_client.get("/books/", {"ordering": "-title", "page": "1", "page_size": "2"})
    searched = api_client.get("/books/", {"search": "emma"})
    assert [row["title"] for row in unfiltered.data["results"]] == ["Odes", "Emma"]
    assert unfiltered.data["count"] == 3
    assert [row["title"] for row in searched.data["results"]] == ["Emma"]
    assert built == []

    poetry = api_client.get("/books/", {"genre": "poetry"})
    on_shelf = api_client.get("/books/", {"available": "true", "genre": "fiction"})
    empty = api_client.get("/books/", {"available": ""})
    assert [row["title"] for row in poetry.data["results"]] == ["Odes"]
    assert [row["title"] for row in on_shelf.data["results"]] == ["Emma"]
    assert empty.status_code == 400
    assert "available" in empty.data
    assert len(built) == 3


def test_a_views_filter_fields_become_one_filter_set_class_that_filters_each_request(
    api_client,
):
    AuthorFactory(name="Wilkie Collins", nationality="British")
    AuthorFactory(name="Colette", nationality="French")
    backend, queryset = FilterBackend(), selectors.author_list()

    british = api_client.get("/authors/", {"nationality": "British"})
    french = api_client.get("/authors/", {"nationality": "French"})
    everyone = api_client.get("/authors/")

    assert [row["name"] for row in british.data["results"]] == ["Wilkie Collins"]
    assert [row["name"] for row in french.data["results"]] == ["Colette"]
    assert everyone.data["count"] == 2
    first = backend.get_filterset_class(AuthorViewSet(), queryset)
    assert first is backend.get_filterset_class(AuthorViewSet(), queryset)
    assert list(first.base_filters) == ["nationality"]
