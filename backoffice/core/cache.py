"""A Redis cache that a Redis outage slows down instead of breaking.

``ResilientRedisCache`` is Django's RedisCache with short socket timeouts. When Redis does
not answer, the call goes to a fallback cache (``OPTIONS["FALLBACK"]``, the alias of the
database cache in this project) and Redis is left alone for ``OPTIONS["RETRY_AFTER"]``
seconds (default 5), so an outage costs one timeout per process every few seconds rather
than one per call. Without a fallback, or when the fallback fails too, reads miss and
writes are dropped, each with a warning: the callers (the dashboard's statistics, the
import previews) only ever lose time, never the request.
"""

import logging
import time

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.5
RETRY_AFTER_SECONDS = 5.0

# Per process and Redis location, shared by the per-thread cache objects Django creates.
_redis_down_until: dict[str, float] = {}


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.ConnectionError, redis.TimeoutError)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self._fallback_alias = options.pop("FALLBACK", None)
        self._retry_after = float(options.pop("RETRY_AFTER", RETRY_AFTER_SECONDS))
        options.setdefault("socket_connect_timeout", TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", TIMEOUT_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})
        self._location = ",".join(self._servers)

    def _call(self, method: str, args: tuple, kwargs: dict, *, when_down):
        if time.monotonic() >= _redis_down_until.get(self._location, 0.0):
            try:
                return getattr(super(), method)(*args, **kwargs)
            except _redis_errors() as error:
                _redis_down_until[self._location] = time.monotonic() + self._retry_after
                logger.warning(
                    "Redis cache at %s is unreachable (%s); using %s for %.0f s",
                    self._location,
                    error,
                    f"the {self._fallback_alias!r} cache" if self._fallback_alias else "no cache",
                    self._retry_after,
                )
        if self._fallback_alias:
            try:
                return getattr(caches[self._fallback_alias], method)(*args, **kwargs)
            except DatabaseError as error:
                logger.warning("Fallback cache %r failed too: %s", self._fallback_alias, error)
        return when_down

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", (key, value, timeout, version), {}, when_down=False)

    def get(self, key, default=None, version=None):
        return self._call("get", (key, default, version), {}, when_down=default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", (key, value, timeout, version), {}, when_down=None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", (key, timeout, version), {}, when_down=False)

    def delete(self, key, version=None):
        return self._call("delete", (key, version), {}, when_down=False)

    def get_many(self, keys, version=None):
        return self._call("get_many", (keys, version), {}, when_down={})

    def has_key(self, key, version=None):
        return self._call("has_key", (key, version), {}, when_down=False)

    def incr(self, key, delta=1, version=None):
        # No sensible value to make up for a counter: without a fallback, say it is missing.
        result = self._call("incr", (key, delta, version), {}, when_down=None)
        if result is None:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", (data, timeout, version), {}, when_down=list(data))

    def delete_many(self, keys, version=None):
        return self._call("delete_many", (keys, version), {}, when_down=None)

    def clear(self):
        return self._call("clear", (), {}, when_down=False)
