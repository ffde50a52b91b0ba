"""Fixed-window rate limits, counted in one atomic step per request.

A key's first request opens a window as long as the rate's period ("20/hour": an hour);
each request in the window adds one to the key's count, and a request that takes the count
past the limit is refused until the window closes. Counting and checking are the same
operation, so parallel requests cannot all read "19" and all pass:

- with ``THROTTLE_REDIS_URL`` set, one Lua script runs INCR and sets the expiry (one round
  trip, through one connection pool per process);
- otherwise one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement on the
  ``core_rate_counter`` table (SQLite 3.35+ and PostgreSQL), whose expired rows the
  hourly beat job deletes.

Redis unreachable: the throttle fails open (and logs a warning); the rules that matter,
such as loan limits, are enforced by the database whatever the throttle says.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from .models import RateCounter
from .wording import wait_in_words

logger = logging.getLogger(__name__)

PERIODS = {"s": (1, "second"), "m": (60, "minute"), "h": (3600, "hour"), "d": (86400, "day")}

# Redis answers in well under a millisecond; a slow or absent server must not hold up the
# request for long before the throttle gives up and lets it through.
REDIS_TIMEOUT_SECONDS = 0.5

_INCREMENT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int
    period_name: str


@dataclass(frozen=True)
class Hit:
    count: int  # requests in the window, this one included
    ms_left: int  # until the window closes


def parse_rate(rate: str) -> Rate:
    """``"20/hour"`` -> 20 per 3600 s (DRF's notation: s, m, h, d, by first letter)."""
    try:
        number, period = rate.split("/")
        seconds, name = PERIODS[period.strip()[0].lower()]
        limit = int(number)
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(f"Not a rate: {rate!r} (expected e.g. '20/hour').") from None
    if limit < 0:
        raise ImproperlyConfigured(f"Not a rate: {rate!r} (the number must be 0 or more).")
    return Rate(limit=limit, seconds=seconds, period_name=name)


# --- The counters ---------------------------------------------------------------------


def counter_hit(key: str, window_seconds: int) -> Hit | None:
    """Count one request under ``key``; None when the counter's store is unreachable."""
    key = f"{settings.THROTTLE_KEY_PREFIX}{key}"
    window_ms = window_seconds * 1000
    url = settings.THROTTLE_REDIS_URL
    if url:
        return _redis_hit(url, key, window_ms)
    return _database_hit(key, window_ms)


_redis_lock = threading.Lock()
_redis_scripts: dict = {}  # one client (and its connection pool) per Redis URL and process


def _increment_script(url: str):
    script = _redis_scripts.get(url)
    if script is None:
        import redis

        with _redis_lock:
            script = _redis_scripts.get(url)
            if script is None:
                # Retries stay off: a retried script could count the same request twice.
                pool = redis.ConnectionPool.from_url(
                    url,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                )
                client = redis.Redis(connection_pool=pool)
                script = _redis_scripts[url] = client.register_script(_INCREMENT_SCRIPT)
    return script


def _redis_hit(url: str, key: str, window_ms: int) -> Hit | None:
    import redis

    try:
        count, ms_left = _increment_script(url)(keys=[key], args=[window_ms])
    except redis.RedisError as error:
        logger.warning("Rate limit not checked, Redis is unreachable (%s): %s", url, error)
        return None
    return Hit(count=int(count), ms_left=int(ms_left))


def _database_hit(key: str, window_ms: int) -> Hit:
    quote = connection.ops.quote_name
    table = quote(RateCounter._meta.db_table)
    key_col, count_col, ends_col = quote("key"), quote("count"), quote("window_ends_ms")
    now_ms = _now_ms()
    # One statement: the row is locked while it is read and written, so concurrent requests
    # queue on it and each sees the count the previous one left. A window that has ended
    # starts again at 1. (Every expression in SET reads the row as it was before.)
    sql = (
        f"INSERT INTO {table} ({key_col}, {count_col}, {ends_col}) VALUES (%s, 1, %s) "
        f"ON CONFLICT ({key_col}) DO UPDATE SET "
        f"{count_col} = CASE WHEN {table}.{ends_col} > %s "
        f"THEN {table}.{count_col} + 1 ELSE 1 END, "
        f"{ends_col} = CASE WHEN {table}.{ends_col} > %s "
        f"THEN {table}.{ends_col} ELSE excluded.{ends_col} END "
        f"RETURNING {count_col}, {ends_col}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, now_ms + window_ms, now_ms, now_ms])
        count, ends_ms = cursor.fetchone()
    return Hit(count=int(count), ms_left=max(0, int(ends_ms) - now_ms))


def rate_counters_delete_expired() -> int:
    """Delete the database counters whose window has ended; returns how many."""
    deleted, _ = RateCounter.objects.filter(window_ends_ms__lte=_now_ms()).delete()
    return deleted


def _now_ms() -> int:
    return int(time.time() * 1000)


# --- The DRF throttle -----------------------------------------------------------------


class RateLimited(exceptions.Throttled):
    """DRF's 429 (code ``throttled``, Retry-After) with our own sentence as the detail."""

    def __init__(self, *, wait: float, detail: str):
        exceptions.APIException.__init__(self, detail, "throttled")
        self.wait = max(1, math.ceil(wait))


class FixedWindowThrottle(BaseThrottle):
    """A per-user (per-address for anonymous callers) fixed-window limit.

    Subclasses set ``scope`` (names the counter), the rate (``rate`` or ``get_rate()``) and
    the words of the refusal: "You have made 20 {noun}s in the last hour, the most allowed;
    you can {verb} again in about 12 minutes (at 14:32)."
    """

    scope = "default"
    rate: str | None = None
    noun = "request"
    verb = "try"

    def get_rate(self) -> str | None:
        return self.rate

    def get_cache_key(self, request, view) -> str | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"{self.scope}:user:{user.pk}"
        return f"{self.scope}:ip:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        rate_text = self.get_rate()
        if not rate_text:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        rate = parse_rate(rate_text)
        hit = counter_hit(key, rate.seconds)
        if hit is None or hit.count <= rate.limit:
            return True
        raise RateLimited(wait=hit.ms_left / 1000, detail=self.refusal(rate, hit.ms_left / 1000))

    def refusal(self, rate: Rate, seconds_left: float) -> str:
        noun = self.noun if rate.limit == 1 else f"{self.noun}s"
        return (
            f"You have made {rate.limit} {noun} in the last {rate.period_name}, the most "
            f"allowed; you can {self.verb} again {wait_in_words(seconds_left)}."
        )
