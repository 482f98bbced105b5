import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "vendor": connection.vendor, "error": str(exc)[:200]}
    return {"ok": True, "vendor": connection.vendor}


def _check_cache() -> dict:
    key = f"healthz:{uuid.uuid4().hex}"
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": str(exc)[:200]}
    return {"ok": ok, "backend": backend}


def _check_broker() -> dict:
    from config.celery import app

    url = app.conf.broker_url or ""
    if url.startswith("memory://"):
        return {"ok": True, "transport": "memory", "eager": bool(app.conf.task_always_eager)}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return {"ok": False, "transport": url.split(":", 1)[0], "error": str(exc)[:200]}
    return {
        "ok": True,
        "transport": url.split(":", 1)[0],
        "eager": bool(app.conf.task_always_eager),
    }


def health_report() -> dict:
    checks = {"database": _check_database(), "cache": _check_cache(), "broker": _check_broker()}
    status = "ok" if all(c["ok"] for c in checks.values()) else "fail"
    return {"status": status, "checks": checks}
