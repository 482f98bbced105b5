"""What /readyz reports: can we reach the database, the cache and the Celery broker?

Each check does one real round trip through the configured backend (no mocks, no cached
answers) and is bounded in time, so a load balancer polling /readyz learns within a few
seconds that a dependency is gone. Only the database is required to serve: without the cache
pages render uncached, without the broker side effects wait in the outbox, so those two make
the site "degraded", not unready (docs/operations.md).
"""

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

BROKER_CONNECT_TIMEOUT_SECONDS = 2.0


def _timed(check: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    result = check()
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "vendor": connection.vendor, "error": _error(exc)}
    return {"ok": True, "vendor": connection.vendor}


def _check_cache() -> dict:
    key = f"healthz:{uuid.uuid4().hex}"
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    try:
        cache.set(key, "1", timeout=5)
        value = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": _error(exc)}
    if value != "1":
        # A cache that accepts writes but forgets them (e.g. DummyCache, an evicting or
        # misrouted server) breaks sessions and rate limits just as surely as one that is down.
        return {"ok": False, "backend": backend, "error": "value written was not read back"}
    return {"ok": True, "backend": backend}


def _check_broker() -> dict:
    from config.celery import app

    url = app.conf.broker_url or ""
    transport = url.split(":", 1)[0]
    eager = bool(app.conf.task_always_eager)
    if transport == "memory":
        # Embedded mode (no REDIS_URL): tasks run in-process, there is no broker to reach.
        return {"ok": True, "transport": transport, "eager": eager}
    try:
        with app.connection_for_write(connect_timeout=BROKER_CONNECT_TIMEOUT_SECONDS) as conn:
            # One attempt: retrying with kombu's default back-off would make /readyz hang.
            conn.ensure_connection(max_retries=0, timeout=BROKER_CONNECT_TIMEOUT_SECONDS)
    except Exception as exc:
        return {"ok": False, "transport": transport, "eager": eager, "error": _error(exc)}
    return {"ok": True, "transport": transport, "eager": eager}


def readiness_report() -> dict:
    """{"status": "ok" | "degraded" | "fail", "checks": {...}}: fail only without the database."""
    checks = {
        "database": _timed(_check_database),
        "cache": _timed(_check_cache),
        "broker": _timed(_check_broker),
    }
    if not checks["database"]["ok"]:
        status = "fail"
    elif all(check["ok"] for check in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return {"status": status, "checks": checks}
