import django_filters
from django.db.models import Q
from django.utils import timezone

from library.models import Book, Borrow


class StrictBooleanFilter(django_filters.ChoiceFilter):
    """true/false (or 1/0); anything else is a 400 instead of being silently ignored."""

    TRUE, FALSE = ("true", "1"), ("false", "0")

    def __init__(self, *args, **kwargs):
        kwargs["choices"] = [(value, value) for value in (*self.TRUE, *self.FALSE)]
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if value in (None, ""):
            return queryset
        return super().filter(queryset, value in self.TRUE)


class BookFilter(django_filters.FilterSet):
    genre = django_filters.CharFilter(field_name="genre", lookup_expr="iexact")
    available = StrictBooleanFilter(method="filter_available")

    class Meta:
        model = Book
        fields = ["genre", "author", "available"]

    def filter_available(self, queryset, name, value):
        return (
            queryset.filter(available_copies__gt=0)
            if value
            else queryset.filter(available_copies=0)
        )


class BorrowFilter(django_filters.FilterSet):
    genre = django_filters.CharFilter(field_name="book__genre", lookup_expr="iexact")
    author = django_filters.NumberFilter(field_name="book__author_id")
    book = django_filters.NumberFilter(field_name="book_id")
    user = django_filters.NumberFilter(field_name="user_id")
    # Yields borrow_date_after / borrow_date_before, inclusive whole days.
    borrow_date = django_filters.DateFromToRangeFilter(field_name="borrow_date")
    returned = django_filters.BooleanFilter(
        field_name="return_date", lookup_expr="isnull", exclude=True
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = Borrow
        fields = ["genre", "author", "book", "user", "borrow_date", "returned", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(return_date__isnull=True, due_date__lt=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
