"""Library cards: the barcode number printed on a patron's card.

A generated number is ``LIBRARY_CARD_PREFIX`` followed by random digits and a Luhn check
digit (python-stdnum), 14 digits in all: never 10 or 13 digits long, so a scanned card can
never be read as an ISBN, and a mistyped digit is caught before anyone is looked up.
Librarians may enter another number (a card printed elsewhere): any 4 to 32 ASCII letters
and digits, stored in capitals, with spaces and hyphens dropped, as a scanner would type it.
"""

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from stdnum import luhn

CARD_LENGTH = 14
_CARD = re.compile(r"[0-9A-Z]{4,32}")
_SEPARATORS = re.compile(r"[ -]")

CARD_INVALID = (
    "A card number is 4 to 32 letters (A-Z) and digits (0-9); spaces and hyphens are ignored."
)


def _with_check_digit(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def card_number_new() -> str:
    """A fresh card number: the prefix, random digits, a Luhn check digit.

    The default of ``User.card_number``, so it reads nothing (Django makes a User in its
    system checks, before any database may be there). A new account whose draw is already
    taken draws again when it is saved (``User.save``): with a long prefix the random part
    is short, and clashes would otherwise come with the library's growth.
    """
    prefix = settings.LIBRARY_CARD_PREFIX
    random_digits = CARD_LENGTH - 1 - len(prefix)
    return _with_check_digit(
        prefix + "".join(str(secrets.randbelow(10)) for _ in range(random_digits))
    )


def card_number_is_generated(value: str) -> bool:
    """Whether a value has the shape of a drawn card (the prefix, 14 digits, check digit)."""
    return (
        len(value or "") == CARD_LENGTH
        and value.isascii()
        and value.isdigit()
        and value.startswith(settings.LIBRARY_CARD_PREFIX)
        and luhn.is_valid(value)
    )


def card_number_for_id(user_id: int) -> str:
    """A card derived from an account id, for bulk writers (distinct ids, distinct cards)."""
    prefix = settings.LIBRARY_CARD_PREFIX
    width = CARD_LENGTH - 1 - len(prefix)
    return _with_check_digit(f"{prefix}{user_id % 10**width:0{width}d}")


def card_number_normalize(raw) -> str:
    """The stored spelling of a typed or scanned card number (which may not be valid)."""
    return _SEPARATORS.sub("", str(raw or "").strip()).upper()


def card_number_is_well_formed(value: str) -> bool:
    """Whether a (normalised) value could be anyone's card, before asking the database."""
    return bool(_CARD.fullmatch(value or ""))


def validate_card_number(value: str) -> None:
    if not _CARD.fullmatch(value or ""):
        raise ValidationError(CARD_INVALID, code="invalid_card_number")
    prefix = settings.LIBRARY_CARD_PREFIX
    if len(value) == CARD_LENGTH and value.startswith(prefix) and not luhn.is_valid(value):
        # One of ours with a digit wrong: say so, rather than store a card nobody holds.
        raise ValidationError(
            "This looks like one of the library's card numbers, but its check digit "
            "does not match; check the digits.",
            code="invalid_card_number",
        )
