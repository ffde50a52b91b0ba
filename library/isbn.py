"""ISBN-10/ISBN-13 parsing: check digits verified, everything stored as ISBN-13."""

import re

from django.core.exceptions import ValidationError

_SEPARATORS = re.compile(r"[\s-]")


def isbn13_check_digit(first12: str) -> str:
    """The 13th digit of an ISBN-13 whose first twelve digits are given."""
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first12))
    return str((10 - total % 10) % 10)


def _isbn10_is_valid(isbn10: str) -> bool:
    total = 0
    for position, char in enumerate(isbn10):
        if char == "X" and position == 9:
            value = 10
        elif char.isdigit():
            value = int(char)
        else:
            return False
        total += value * (10 - position)
    return total % 11 == 0


def normalize_isbn(raw: str) -> str:
    """Return the ISBN-13 form of an ISBN-10 or ISBN-13, or raise ValidationError."""
    candidate = _SEPARATORS.sub("", str(raw or "")).upper()
    if len(candidate) == 10:
        if not _isbn10_is_valid(candidate):
            raise ValidationError(
                "Not a valid ISBN-10: the check digit does not match.", code="invalid_isbn"
            )
        first12 = "978" + candidate[:9]
        return first12 + isbn13_check_digit(first12)
    if len(candidate) == 13 and candidate.isdigit():
        if not candidate.startswith(("978", "979")):
            raise ValidationError("An ISBN-13 starts with 978 or 979.", code="invalid_isbn")
        if isbn13_check_digit(candidate[:12]) != candidate[12]:
            raise ValidationError(
                "Not a valid ISBN-13: the check digit does not match.", code="invalid_isbn"
            )
        return candidate
    raise ValidationError(
        "An ISBN has 10 or 13 digits (ISBN-10 may end in X).", code="invalid_isbn"
    )


def validate_isbn13(value: str) -> None:
    if normalize_isbn(value) != value:
        raise ValidationError("Store ISBNs in their 13-digit form.", code="invalid_isbn")
