"""The shapes of typed input every entry point shares: ids and calendar days.

Python is generous where the API and the admin must not be: ``int()`` reads "٣", " 3",
"3_000" and 5,000-digit strings, and ``date.fromisoformat()`` reads "20260112" and
"2026-W03-1". These helpers accept one spelling only, in ASCII digits.
"""

import re
from datetime import date

# A primary key: what a 64-bit signed column holds, from 1 (SQLite cannot even bind more).
MAX_ID = 2**63 - 1
_ASCII_WHOLE_NUMBER = re.compile(r"[0-9]{1,19}")

# The first and last days whose local start and end exist as aware datetimes in every
# time zone: UTC offsets stay within a day, so one day in from each end of the calendar
# never overflows when converted to UTC (date.min or date.max at +14:00 / -12:00 would).
FIRST_DAY = date(1, 1, 2)
LAST_DAY = date(9999, 12, 30)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_id(raw) -> int | None:
    """``raw`` as a primary key (1..2**63-1), or None.

    Takes an int (not a bool) or a string of ASCII digits, nothing else: not "٣", "1.0",
    " 1", "+1" or "1_0".
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _ASCII_WHOLE_NUMBER.fullmatch(raw):
        value = int(raw)
    else:
        return None
    return value if 1 <= value <= MAX_ID else None


def parse_iso_date(raw) -> date | None:
    """``raw`` as a calendar date written ``YYYY-MM-DD`` in ASCII digits, or None."""
    if not isinstance(raw, str):
        return None
    match = _ISO_DATE.fullmatch(raw)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:  # month 13, February 30th, year 0
        return None


def day_in_range(day: date) -> bool:
    """Whether a day can bound a period of aware datetimes (see FIRST_DAY, LAST_DAY)."""
    return FIRST_DAY <= day <= LAST_DAY


DAY_RANGE_MESSAGE = (
    f"Dates run from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()} "
    "(the days that exist in every time zone)."
)
