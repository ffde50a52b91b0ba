"""django-filter filters for the API's typed query parameters."""

import django_filters
from django_filters.fields import DateRangeField, RangeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from .compiled import once_per_class
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


# A boolean in the schema, so clients send true/false (not a string enum of choices).
@extend_schema_field(OpenApiTypes.BOOL)
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
    says a number or true/false. Free-text filters (genre, nationality) may be empty.

    The form class is built once per filter set: django-filter builds a new one, with a
    new form field per filter, on every request (0.3-0.5 ms of a list request's CPU).
    These filters' fields depend on nothing but their declaration, and each form
    instance deep-copies the fields it is given, so requests share nothing they change.
    """

    def get_form_class(self):
        return once_per_class(self, "_form_class_built_once", super().get_form_class)

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


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, without the filter set for a request that sends none of
    its parameters (most list requests, every plain search).

    Such a filter set changes nothing: each of its filters leaves the queryset as it is
    for a missing value. Building it (its filters deep-copied, its form bound and
    validated) cost a list request about 0.6 ms of CPU. A view's ``filterset_fields``
    also become one filter set class per view, where django-filter builds a new class
    on every request.
    """

    def get_filterset_class(self, view, queryset=None):
        build = super().get_filterset_class
        if getattr(view, "filterset_class", None) or queryset is None:
            return build(view, queryset)
        return once_per_class(view, "_filterset_class_built_once", lambda: build(view, queryset))

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        data = request.query_params
        widgets = _widgets_of(filterset_class, queryset)
        if all(widget.value_omitted_from_data(data, {}, name) for name, widget in widgets):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _widgets_of(filterset_class, queryset) -> tuple:
    """Each form field's name and widget, which tells whether a request sent its value
    (``<name>_after`` and ``<name>_before`` for a range), taken from one form built for
    the class and kept on it."""
    widgets = filterset_class.__dict__.get("_widgets_built_once")
    if widgets is None:
        form = filterset_class(queryset=queryset).form
        fields = form.fields.items()
        widgets = tuple((form.add_prefix(name), field.widget) for name, field in fields)
        filterset_class._widgets_built_once = widgets
    return widgets


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` takes one of the view's ``ordering_fields``, ascending or with ``-``
    for descending; anything else (an unknown field, an empty value, a list) is a 400
    instead of being ignored. The schema lists the accepted values as an enum."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        terms = self.terms(view, self.get_valid_fields(queryset, view, {"request": request}))
        if raw not in terms:
            raise ValidationError({self.ordering_param: [f"One of: {', '.join(terms)}."]})
        # Rows tied on the field (books of one genre) come in key order, so that each row
        # is on exactly one page; the database would otherwise order ties as it likes.
        return [raw] if raw.lstrip("-") in ("id", "pk") else [raw, "pk"]

    @staticmethod
    def terms(view, fields) -> list[str]:
        names = [name for name, _ in fields] if fields and isinstance(fields[0], tuple) else fields
        return [term for name in names for term in (name, f"-{name}")]

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "ordering_fields", None)
        if not fields or fields == "__all__":
            return super().get_schema_operation_parameters(view)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by this field; a leading `-` sorts in descending order.",
                "schema": {
                    "type": "string",
                    "enum": self.terms(view, list(fields)),
                    # Names for generated enums: TITLE, TITLE_DESC (not VALUE_1).
                    "x-enum-varnames": [
                        name.upper().replace("__", "_") + suffix
                        for name in fields
                        for suffix in ("", "_DESC")
                    ],
                },
            }
        ]
