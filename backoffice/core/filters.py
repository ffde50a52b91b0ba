"""django-filter filters for the API's typed query parameters."""

import django_filters
from django_filters.fields import DateRangeField, RangeField

from .forms import IdFormField, IsoDayFormField


class IdFilter(django_filters.Filter):
    """A primary key: a whole number within the database's range, else a 400 (not a 500:
    SQLite cannot even bind an integer past 64 bits)."""

    field_class = IdFormField


class IsoDateRangeField(DateRangeField):
    # DateRangeField's own fields read the locale's date formats.
    def __init__(self, *args, **kwargs):
        RangeField.__init__(self, (IsoDayFormField(), IsoDayFormField()), *args, **kwargs)


class IsoDateFromToRangeFilter(django_filters.DateFromToRangeFilter):
    """``<name>_after`` / ``<name>_before`` as ``YYYY-MM-DD``, inclusive whole days."""

    field_class = IsoDateRangeField
