"""ISBN-10/ISBN-13 parsing: check digits verified, everything stored as ISBN-13.

The check digits and the 978/979 prefix are python-stdnum's (``stdnum.isbn``). Before it
sees a value, the value must be spelled in ASCII: digits, hyphens and spaces, and X as an
ISBN-10's check digit. ``str.isdigit()`` and ``int()`` also take other scripts' digits
("٣", "³" and the like), which would crash a check-digit sum or store a second spelling of an ISBN
beside its ASCII form, past the unique index.
"""

import re

from django.core.exceptions import ValidationError
from stdnum import ean
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import InvalidChecksum, InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError

_ISBN_CHARACTERS = re.compile(r"[0-9Xx -]+")
_TWELVE_DIGITS = re.compile(r"[0-9]{12}")

_SHAPE = "An ISBN has 10 or 13 digits (ISBN-10 may end in X)."
_ASCII = "An ISBN is written with the digits 0-9, hyphens and spaces (ISBN-10 may end in X)."


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_isbn")


def isbn13_check_digit(first12: str) -> str:
    """The 13th digit of an ISBN-13 whose first twelve (ASCII) digits are given."""
    if not isinstance(first12, str) or not _TWELVE_DIGITS.fullmatch(first12):
        raise ValueError(f"Twelve ASCII digits expected, not {first12!r}.")
    return ean.calc_check_digit(first12)


def normalize_isbn(raw: str) -> str:
    """Return the ISBN-13 form of an ISBN-10 or ISBN-13, or raise ValidationError."""
    text = str(raw or "").strip()
    if not text:
        raise _invalid(_SHAPE)
    if not _ISBN_CHARACTERS.fullmatch(text):
        raise _invalid(_ASCII)
    candidate = text.replace("-", "").replace(" ", "").upper()
    if len(candidate) not in (10, 13):
        # stdnum would also read nine digits, as an SBN; the catalogue does not.
        raise _invalid(_SHAPE)
    try:
        stdnum_isbn.validate(candidate)
    except InvalidChecksum:
        raise _invalid(
            f"Not a valid ISBN-{len(candidate)}: the check digit does not match."
        ) from None
    except InvalidComponent:
        raise _invalid("An ISBN-13 starts with 978 or 979.") from None
    except StdnumError:  # an X anywhere but at the end of an ISBN-10
        raise _invalid(_SHAPE) from None
    return stdnum_isbn.to_isbn13(candidate)


def validate_isbn13(value: str) -> None:
    if normalize_isbn(value) != value:
        raise ValidationError("Store ISBNs in their 13-digit form.", code="invalid_isbn")
