"""Waits said the way a patron reads them, not as a count of seconds.

"Expected available in 3597 seconds" makes the reader do arithmetic; "in about 1 hour
(at 15:32)" does not. The clock time is in the library's time zone (``TIME_ZONE``), the
one its opening hours and due dates are given in.
"""

import math
from datetime import UTC, datetime, timedelta

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def wait_in_words(seconds: float, *, now: datetime | None = None) -> str:
    """``seconds`` from ``now`` as "in about 15 minutes (at 14:32)".

    The wait is rounded up, never down: a patron told "in about 15 minutes" who comes
    back after 15 minutes must not find the door still shut.
    """
    seconds = max(0, math.ceil(seconds))
    # In UTC: adding to a zoned time would keep its wall clock across a change of offset.
    now = (now or timezone.now()).astimezone(UTC)
    library_zone = timezone.get_default_timezone()
    start = timezone.localtime(now, library_zone)
    end = timezone.localtime(now + timedelta(seconds=seconds), library_zone)
    return f"{_roughly(seconds)} ({_clock(end, start)})"


def _roughly(seconds: int) -> str:
    if seconds < MINUTE:
        return _("in less than a minute")
    minutes = math.ceil(seconds / MINUTE)
    if minutes < 60:
        return ngettext("in about %(n)d minute", "in about %(n)d minutes", minutes) % {"n": minutes}
    if minutes < 24 * 60:
        hours, minutes = divmod(minutes, 60)
        said = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
        if minutes:
            said += " " + ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
        return _("in about %(wait)s") % {"wait": said}
    days = max(1, round(seconds / DAY))
    return ngettext("in about %(n)d day", "in about %(n)d days", days) % {"n": days}


def _clock(end: datetime, start: datetime) -> str:
    time = dateformat.format(end, "H:i")
    if end.date() == start.date():
        return _("at %(time)s") % {"time": time}
    if end.date() == start.date() + timedelta(days=1):
        return _("at %(time)s tomorrow") % {"time": time}
    day = dateformat.format(end, "j F" if end.year == start.year else "j F Y")
    return _("on %(day)s at %(time)s") % {"day": day, "time": time}
