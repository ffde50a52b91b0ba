import django_filters

from backoffice.core.filters import IdFilter, IsoDateFromToRangeFilter
from library.models import Book, Borrow, overdue_condition


class StrictBooleanFilter(django_filters.ChoiceFilter):
    """true/false (or 1/0); anything else is a 400 instead of being silently ignored.

    A ``method`` receives a bool. (django-filter would hand it the raw choice, and the
    string "false" is truthy.)
    """

    TRUE, FALSE = ("true", "1"), ("false", "0")

    def __init__(self, *args, method=None, **kwargs):
        self.bool_method = method
        kwargs["choices"] = [(value, value) for value in (*self.TRUE, *self.FALSE)]
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if value in (None, ""):
            return queryset
        value = value in self.TRUE
        if self.bool_method:
            return getattr(self.parent, self.bool_method)(queryset, self.field_name, value)
        return super().filter(queryset, value)


class StrictFilterSet(django_filters.FilterSet):
    """``?author=`` or ``?available=`` (empty) is malformed, not "no filter": the schema
    says a number or true/false. Free-text filters (genre, nationality) may be empty."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            strict = []
            for name, declared in self.base_filters.items():
                if isinstance(declared, IdFilter | StrictBooleanFilter):
                    strict.append(name)
                elif isinstance(declared, django_filters.DateFromToRangeFilter):
                    strict += [f"{name}_after", f"{name}_before"]
            empty = [name for name in strict if data.get(name) == ""]
            if empty:
                data = data.copy()
                for name in empty:
                    data[name] = "-"  # fails the field's own validation: a 400
        super().__init__(data, *args, **kwargs)


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
        return queryset.filter(return_date__isnull=not value)

    def filter_overdue(self, queryset, name, value):
        overdue = overdue_condition()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
