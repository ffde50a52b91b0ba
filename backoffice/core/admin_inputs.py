"""What the admin reads from URLs, query strings and posts, checked before any query.

Django's admin passes these to the ORM as they come: "abc" as a history page's id raises
ValueError, 10**20 in an action's selection or an autocomplete field cannot even be bound
by SQLite, a NUL byte in a list filter is refused by PostgreSQL, a datetime at the
calendar's edge overflows once converted to UTC. Each is a 500 unless refused first:

- ids in URLs (change, delete, history pages): a whole number 1..2**63-1, else "not found";
- an action's selection: the same, else a 400;
- foreign keys in forms (autocomplete fields): the same, else "not one of the choices";
- the changelist's query string: no NUL byte, and lookups on model fields hold values of
  the field's type (Django's redirect to ``?e=1``, with a message saying why).
"""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import BadRequest, FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.forms import ModelChoiceField
from django.utils.translation import gettext_lazy as _

from .inputs import FIRST_DAY, LAST_DAY, day_in_range, parse_id

_BIND_RANGE = range(-(2**63), 2**63)  # what SQLite can bind; PostgreSQL takes more
_COMPARISONS = {"exact", "iexact", "in", "range", "gt", "gte", "lt", "lte"}
_ADMIN_PARAMETERS = {SEARCH_VAR, ORDER_VAR, PAGE_VAR, ERROR_FLAG}


def is_integer_key(field) -> bool:
    return isinstance(field, models.IntegerField)  # AutoField and BigAutoField included


def key_is_valid(field, raw) -> bool:
    """Whether ``raw`` may be looked up in ``field`` (a key) without a database error."""
    if is_integer_key(field):
        return parse_id(raw if isinstance(raw, int) else str(raw)) is not None
    return "\x00" not in str(raw)


def _target(field):
    # A lookup on a relation compares with the related row's key.
    if field.is_relation and field.related_model is not None:
        return getattr(field, "target_field", None) or field.related_model._meta.pk
    return field


def lookup_refusal(model, key: str, value: str) -> str | None:
    """Why the query-string lookup ``key=value`` cannot run on ``model``, or None."""
    if "\x00" in key or "\x00" in value:
        return _("Null characters are not allowed in a filter.")
    if key in _ADMIN_PARAMETERS or key.startswith("_") or value == "":
        return None  # the admin's own parameters; an empty filter box is Django's to read
    field, lookups = _resolve_lookup(model, key)
    if field is None:
        return None  # a list filter's own parameter: the filter reads it
    lookup = lookups[-1] if lookups else "exact"
    if lookup in {"regex", "iregex"}:
        return _("Regular-expression filters are not available.")
    values = value.split(",") if lookup in {"in", "range"} else [value]
    if isinstance(field, models.DateTimeField) and lookups[:1] == ["year"]:
        # A year's bounds become aware datetimes, as a date range's do.
        if not all(_is_int(v) and FIRST_DAY.year < int(v) < LAST_DAY.year for v in values):
            return _("A year from %(first)d to %(last)d.") % {
                "first": FIRST_DAY.year + 1,
                "last": LAST_DAY.year - 1,
            }
        return None
    if lookups[:-1] or lookup not in _COMPARISONS:
        return None  # a transform (date, month...) or isnull, contains...: Django checks
    if is_integer_key(field):
        if not all(_is_int(v) and int(v) in _BIND_RANGE for v in values):
            return _("“%(key)s” takes whole numbers.") % {"key": key}
    elif isinstance(field, models.DateTimeField):
        for raw in values:
            try:
                moment = field.to_python(raw)
            except ValidationError:
                return None  # Django reports it
            if moment is not None and not day_in_range(moment.date()):
                return _("Dates run from %(first)s to %(last)s.") % {
                    "first": FIRST_DAY.isoformat(),
                    "last": LAST_DAY.isoformat(),
                }
    return None


def _is_int(text: str) -> bool:
    digits = text[1:] if text[:1] == "-" else text
    return digits.isascii() and digits.isdigit() and len(digits) <= 19


def _resolve_lookup(model, key: str):
    parts = key.split(LOOKUP_SEP)
    opts, last = model._meta, None
    for index, part in enumerate(parts):
        try:
            field = opts.get_field(part) if opts is not None else None
        except FieldDoesNotExist:
            field = None
        if field is None:
            return (_target(last) if last is not None else None), parts[index:]
        last = field
        opts = field.related_model._meta if field.is_relation and field.related_model else None
    return _target(last), []


class StrictAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget renders a bound value with ``pk__in=[value]``: a
    value that is no key of the target ("abc", 10**20) would crash the form's page."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        target = remote.model._meta.get_field(
            getattr(remote, "field_name", None) or remote.model._meta.pk.name
        )
        value = [v for v in value if v in ("", None) or key_is_valid(target, v)]
        return super().optgroups(name, value, attr)


class StrictModelChoiceField(ModelChoiceField):
    """A choice is a key of the target's type, spelled once ("٣" is no key for 3)."""

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, self.queryset.model):
            model_opts = self.queryset.model._meta
            target = model_opts.get_field(self.to_field_name) if self.to_field_name else None
            if not key_is_valid(target or model_opts.pk, value):
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class AdminInputGuardMixin:
    """Put before unfold's ModelAdmin: checks ids, selections, keys and query strings."""

    # unfold's change-list template asks for list_sections twice per row, and its
    # ModelAdmin does not define them: each failed lookup makes the template engine call
    # dir() on the admin, 200 calls on a page of 100 rows.
    list_sections = ()

    def object_id_is_valid(self, object_id) -> bool:
        return key_is_valid(self.model._meta.pk, object_id)

    def get_object(self, request, object_id, from_field=None):
        field = (
            self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        )
        if not key_is_valid(field, object_id):
            return None  # Django's "does not exist" answer
        return super().get_object(request, object_id, from_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = StrictAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", StrictModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changelist_instance(self, request):
        for key, values in request.GET.lists():
            for value in values:
                refusal = lookup_refusal(self.model, key, value)
                if refusal:
                    self.message_user(request, refusal, messages.ERROR)
                    raise IncorrectLookupParameters(refusal)
        return super().get_changelist_instance(request)

    def response_action(self, request, queryset):
        from django.contrib.admin import helpers

        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(self.object_id_is_valid(pk) for pk in selected):
            raise BadRequest("The selection holds something that is not a record's id.")
        return super().response_action(request, queryset)

    def get_search_results(self, request, queryset, search_term):
        # The changelist's search form already refuses it; the autocomplete view does not.
        if "\x00" in search_term:
            raise BadRequest("Null characters are not allowed in a search.")
        return super().get_search_results(request, queryset, search_term)
