"""A Redis cache that degrades instead of failing when Redis is unreachable.

Django's RedisCache raises redis' ConnectionError/TimeoutError from every call, so one Redis
outage turned every page that touches the cache (the storefront page cache, the log-in rate
limiter, the trace page) into a 500. This backend answers as an *empty, forgetful* cache
instead, logs a warning, and stops calling Redis for `RETRY_AFTER` seconds so a dead server
costs one socket timeout per process, not one per call:

- get / get_many / has_key: a miss; set / set_many / delete / touch / clear: nothing happens;
- add: True ("nobody held the key"): a cache lock is granted and a rate-limit counter starts
  afresh, so rate limiters built on the cache (allauth's log-in and SMS-code limits,
  django-ratelimit's trace and tracking limits, DRF throttles) *fail open* during an outage;
- incr: ValueError, as for a missing key.

Only connection-level errors are swallowed: a ResponseError (a bug, a wrong type) still raises.
Settings: CACHES["default"]["OPTIONS"] go to redis-py's connection pool (socket timeouts) plus
`RETRY_AFTER` (seconds, popped here). docs/operations.md says what degrades how.
"""

import logging
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE_ERRORS = (RedisConnectionError, RedisTimeoutError)
DEFAULT_RETRY_AFTER_SECONDS = 5.0


class FailSafeRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, *, retry_after: float = DEFAULT_RETRY_AFTER_SECONDS, **options):
        super().__init__(servers, **options)
        self.retry_after = retry_after
        self._down_until = 0.0

    def _call(self, operation: str, fallback: Any, *args) -> Any:
        if time.monotonic() < self._down_until:
            return fallback() if callable(fallback) else fallback
        try:
            return getattr(super(), operation)(*args)
        except UNAVAILABLE_ERRORS as exc:
            self._down_until = time.monotonic() + self.retry_after
            logger.warning(
                "cache unavailable (%s: %s); serving without it for %.0f s",
                type(exc).__name__,
                exc,
                self.retry_after,
            )
            return fallback() if callable(fallback) else fallback

    def add(self, key, value, timeout):
        return self._call("add", True, key, value, timeout)

    def get(self, key, default):
        return self._call("get", default, key, default)

    def set(self, key, value, timeout):
        return self._call("set", None, key, value, timeout)

    def touch(self, key, timeout):
        return self._call("touch", False, key, timeout)

    def delete(self, key):
        return self._call("delete", False, key)

    def get_many(self, keys):
        return self._call("get_many", dict, keys)

    def has_key(self, key):
        return self._call("has_key", False, key)

    def incr(self, key, delta):
        def missing():
            raise ValueError(f"Key '{key}' not found (cache unavailable).")

        return self._call("incr", missing, key, delta)

    def set_many(self, data, timeout):
        return self._call("set_many", None, data, timeout)

    def delete_many(self, keys):
        return self._call("delete_many", None, keys)

    def clear(self):
        return self._call("clear", False)


class FailSafeRedisCache(RedisCache):
    """Django's RedisCache with FailSafeRedisCacheClient (see the module docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailSafeRedisCacheClient
        options = dict(self._options)  # a copy: the settings' dict stays as it was
        retry_after = float(options.pop("RETRY_AFTER", DEFAULT_RETRY_AFTER_SECONDS))
        self._options = {**options, "retry_after": retry_after}
