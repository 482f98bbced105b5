"""The session engine: Django's write-through cached_db sessions, with the cached copy capped.

Every request of a signed-in user reads its session from the cache (no SQL on a hit); every
write goes to the database first and then the cache; log-out and key rotation (log-in, password
change) delete the cached copy with the row. Nothing here changes that.

The one addition: the cached copy lives at most SESSION_CACHE_MAX_SECONDS instead of the
session's whole lifetime (two weeks). The cache may swallow a delete while Redis is down
(apps/core/cache.py serves as an empty, forgetful cache then); without the cap the copy of a
session logged out during the outage would sign its holder in again once Redis is back. With
it, such a copy expires within the cap, and a signed-in user costs one session query per cap.
"""

from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import cached_db


class _CappedCache:
    """The session cache, whose `set`/`aset` never keep a value longer than `cap` seconds."""

    def __init__(self, cache: Any, cap: int) -> None:
        self._wrapped = cache
        self._cap = cap

    def _timeout(self, timeout: int | None) -> int:
        return self._cap if timeout is None else min(timeout, self._cap)

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        self._wrapped.set(key, value, self._timeout(timeout))

    async def aset(self, key: str, value: Any, timeout: int | None = None) -> None:
        await self._wrapped.aset(key, value, self._timeout(timeout))

    def __contains__(self, key: str) -> bool:
        return key in self._wrapped

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    def __str__(self) -> str:
        return str(self._wrapped)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = _CappedCache(self._cache, settings.SESSION_CACHE_MAX_SECONDS)
