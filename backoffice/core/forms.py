"""Django form fields for typed query-string values: ids and ISO days, strictly spelled."""

from django import forms
from django.core.exceptions import ValidationError

from .inputs import DAY_RANGE_MESSAGE, MAX_ID, day_in_range, parse_id, parse_iso_date


class IdFormField(forms.IntegerField):
    """A primary key in ASCII digits, 1..2**63-1 (forms.IntegerField reads "٣" and "1_0")."""

    default_error_messages = {"invalid": f"Enter a whole number from 1 to {MAX_ID}."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = parse_id(str(value).strip())
        if key is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return key


class IsoDayFormField(forms.DateField):
    """A day written ``YYYY-MM-DD``, within FIRST_DAY..LAST_DAY.

    forms.DateField reads the locale's formats too (12/01/2026 is 12 January in en-gb,
    December in en-us), and a day at the calendar's edge overflows once made a datetime.
    """

    default_error_messages = {
        "invalid": "Enter a date as YYYY-MM-DD.",
        "out_of_range": DAY_RANGE_MESSAGE,
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        day = parse_iso_date(value)
        if day is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if not day_in_range(day):
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return day
