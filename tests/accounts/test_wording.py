"""backoffice.core.wording: a wait in words, with the clock time in the library's zone."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from backoffice.core.wording import wait_in_words

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def library_in_london(settings):
    settings.TIME_ZONE = "Europe/London"


NOW = datetime(2026, 7, 1, 14, 17, 30, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "in less than a minute (at 14:17)"),
        (20, "in less than a minute (at 14:17)"),
        (59.2, "in about 1 minute (at 14:18)"),  # rounded up, never down
        (61, "in about 2 minutes (at 14:18)"),
        (60, "in about 1 minute (at 14:18)"),
        (900, "in about 15 minutes (at 14:32)"),
        (3597, "in about 1 hour (at 15:17)"),
        (5400, "in about 1 hour 30 minutes (at 15:47)"),
        (10 * 3600, "in about 10 hours (at 00:17 tomorrow)"),
        (3 * 86400, "in about 3 days (on 4 July at 14:17)"),
        (200 * 86400, "in about 200 days (on 17 January 2027 at 13:17)"),  # back to GMT
    ],
)
def test_waits_in_words(seconds, words):
    assert wait_in_words(seconds, now=NOW) == words


def test_the_clock_time_is_the_librarys_not_utc():
    utc_now = datetime(2026, 7, 1, 13, 17, 30, tzinfo=ZoneInfo("UTC"))  # 14:17 in London

    assert wait_in_words(900, now=utc_now) == "in about 15 minutes (at 14:32)"
