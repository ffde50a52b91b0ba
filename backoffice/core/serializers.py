"""Serializer plumbing for request bodies and query strings: strict fields, no unknown keys."""

import copy
from collections.abc import Mapping

from django.db import models
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from .compiled import once_per_class
from .inputs import DAY_RANGE_MESSAGE, MAX_ID, day_in_range, parse_id, parse_iso_date

UNKNOWN_FIELD = "Unknown field."
READ_ONLY_FIELD = "Read-only field; it cannot be set."


class StrictInputMixin:
    """A body's keys must be fields the serializer takes: any other key is a 400.

    DRF drops keys it does not know, so ``{"book": 6, "usr": 5}`` would quietly do
    something other than what was asked. Keys of read-only fields (``id``, ``on_loan``)
    are refused too: they would be ignored just the same. The schema says so
    (``additionalProperties: false``, see backoffice.core.schema.AutoSchema).
    """

    def to_internal_value(self, data):
        refused = {}
        if isinstance(data, Mapping):
            for key in data:
                field = self.fields.get(key)
                if field is None:
                    refused[str(key)] = [UNKNOWN_FIELD]
                elif field.read_only:
                    refused[str(key)] = [READ_ONLY_FIELD]
        try:
            value = super().to_internal_value(data)
        except ValidationError as error:
            if refused and isinstance(error.detail, dict):
                raise ValidationError({**error.detail, **refused}) from None
            raise
        if refused:
            raise ValidationError(refused)
        return value


class NoBodySerializer(StrictInputMixin, serializers.Serializer):
    """For operations that take no body: ``{}`` or nothing; any key is unknown."""


def refuse_body(request) -> None:
    """A 400 unless the body of an operation that takes none is absent or ``{}``."""
    data = request.data
    if isinstance(data, Mapping) and not data:
        return  # nothing sent, or ``{}``: nothing to refuse, and no serializer to build
    NoBodySerializer(data=data).is_valid(raise_exception=True)


class IdField(serializers.IntegerField):
    """A primary key: a JSON integer, or a string of ASCII digits, from 1 to 2**63-1.

    DRF's IntegerField reads 1.0 as 1, "٣" as 3 and "1_0" as 10; a key is spelled once.
    """

    default_error_messages = {"invalid": "A whole number from 1 to {max_id}."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = parse_id(data)
        if value is None:
            self.fail("invalid", max_id=MAX_ID)
        return value


class IsoDateField(serializers.DateField):
    """A date written ``YYYY-MM-DD`` in ASCII digits; nothing else, not even "20260112".

    ``bounded`` keeps the day within FIRST_DAY..LAST_DAY, as periods and date filters need
    (their bounds become aware datetimes).
    """

    default_error_messages = {"out_of_range": DAY_RANGE_MESSAGE}

    def __init__(self, *, bounded: bool = False, **kwargs):
        self.bounded = bounded
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        day = parse_iso_date(value)
        if day is None:
            self.fail("invalid", format="YYYY-MM-DD")
        if self.bounded and not day_in_range(day):
            self.fail("out_of_range")
        return day


class _PresentMeansGiven:
    """In a query string DRF reads ``?limit=`` (empty) as "not given" and falls back to
    the default; the schema says a number or a date, so an empty one is malformed."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, serializers.empty)


class QueryDateField(_PresentMeansGiven, IsoDateField):
    """A period's bound: ``YYYY-MM-DD``, a day that exists in every time zone."""

    def __init__(self, **kwargs):
        super().__init__(bounded=True, **kwargs)


class QueryIntegerField(_PresentMeansGiven, serializers.IntegerField):
    def to_internal_value(self, data):
        # DRF reads "٣" as 3 and "1_0" as 10; a number in a query string is ASCII digits.
        if isinstance(data, str) and not (data.isascii() and data.lstrip("-").isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """Text must be a JSON string: DRF would store ``{"name": 0}`` as "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class FieldsBuiltOnceMixin:
    """A ModelSerializer's fields, introspected from the model once per class.

    DRF rebuilds them from the model's options for every serializer it creates (about
    1 ms of each borrow or return response). They depend only on the class, so the first
    build is kept, never bound, and each serializer gets copies of its own.
    """

    def get_fields(self):
        built = once_per_class(self, "_fields_built_once", super().get_fields)
        return {name: _unbound_copy(field) for name, field in built.items()}


def _unbound_copy(field):
    # A field holding other fields (a nested serializer, a list's child, a relation's
    # child) is copied as DRF copies declared fields, by building it anew. A plain field
    # needs only a shallow copy: binding it to its serializer sets attributes on the copy
    # alone, and what the copies share (validators, messages) is never changed in use.
    if isinstance(field, serializers.BaseSerializer) or any(
        hasattr(field, holder) for holder in ("child", "child_relation")
    ):
        return copy.deepcopy(field)
    return copy.copy(field)


class ModelSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    pass


class AnswerFieldsBoundOnceMixin:
    """For a serializer that only writes answers: its fields are built and bound once per
    class, to an instance of their own, and every instance reads through them.

    DRF copies and binds every field for each object it writes (for a loan, 15 fields,
    about a quarter of a millisecond per answer). Writing an answer changes no field, so
    one bound set serves all threads. Only for serializers whose fields read nothing from
    ``context`` (no hyperlinks, no request) and that never validate input: a field's
    ``parent`` and ``root`` are an instance made for them, not the serializer at hand.
    """

    @property
    def fields(self):
        return once_per_class(self, "_answer_fields", self._bind_fields_once)

    @property
    def _readable_fields(self):
        return once_per_class(
            self,
            "_answer_readable_fields",
            lambda: tuple(field for field in self.fields.values() if not field.write_only),
        )

    def _bind_fields_once(self):
        # Bound to an instance of their own, made for them: not to the first caller's,
        # whose context (a request) would then be kept for the life of the process.
        # DRF's own ``fields`` (a cached_property), run for that instance.
        return serializers.Serializer.fields.func(type(self)())


class AnswerModelSerializer(AnswerFieldsBoundOnceMixin, ModelSerializer):
    """A read-only ModelSerializer for answers (see ``AnswerFieldsBoundOnceMixin``)."""


class StrictModelSerializer(StrictInputMixin, FieldsBuiltOnceMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.DateField: IsoDateField,
    }
