import django_filters
from rest_framework.filters import SearchFilter

from backoffice.core.filters import (
    IdFilter,
    IsoDateFromToRangeFilter,
    StrictBooleanFilter,
    StrictFilterSet,
)
from library.models import Book, Borrow, Hold
from library.selectors import books_matching


class BookSearchFilter(SearchFilter):
    """``?search=``: DRF's terms (every word must match), matched by the catalogue's
    index-friendly selector rather than an OR across the author join."""

    def filter_queryset(self, request, queryset, view):
        words = self.get_search_terms(request)
        return books_matching(queryset, words) if words else queryset


class BookFilter(StrictFilterSet):
    genre = django_filters.CharFilter(field_name="genre", lookup_expr="iexact")
    available = StrictBooleanFilter(method="filter_available")

    author = IdFilter(field_name="author_id")

    class Meta:
        model = Book
        fields = ["genre", "author", "available"]

    def filter_available(self, queryset, name, value):
        return (
            queryset.filter(available_copies__gt=0)
            if value
            else queryset.filter(available_copies=0)
        )


class BorrowFilter(StrictFilterSet):
    genre = django_filters.CharFilter(field_name="book__genre", lookup_expr="iexact")
    author = IdFilter(field_name="book__author_id")
    book = IdFilter(field_name="book_id")
    user = IdFilter(field_name="user_id")
    # Yields borrow_date_after / borrow_date_before (YYYY-MM-DD), inclusive whole days.
    borrow_date = IsoDateFromToRangeFilter(field_name="borrow_date")
    returned = StrictBooleanFilter(method="filter_returned")
    overdue = StrictBooleanFilter(method="filter_overdue")

    class Meta:
        model = Borrow
        fields = ["genre", "author", "book", "user", "borrow_date", "returned", "overdue"]

    def filter_returned(self, queryset, name, value):
        return queryset.returned() if value else queryset.open()

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset.not_overdue()


class HoldFilter(StrictFilterSet):
    book = IdFilter(field_name="book_id")
    user = IdFilter(field_name="user_id")
    status = django_filters.ChoiceFilter(choices=Hold.Status.choices)

    class Meta:
        model = Hold
        fields = ["book", "user", "status"]
