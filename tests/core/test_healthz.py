"""GET /healthz: one real round trip to the database, the cache and the Celery broker.

With REDIS_URL set (CI), the broker check talks to the real Redis and one test also points the
cache at it; without it (embedded mode) the broker is Celery's in-memory transport.
"""

import socket

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import override_settings

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (set REDIS_URL)")


def closed_port() -> int:
    """A local TCP port nothing listens on: bound once by us, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_is_200_when_database_cache_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "cache": True,
        "broker": True,
    }
    assert body["checks"]["database"]["vendor"] == connection.vendor
    assert body["checks"]["cache"]["backend"] == "LocMemCache"
    # On CI (REDIS_URL set) this is a real connection to Redis, not the in-memory transport.
    assert body["checks"]["broker"]["transport"] == ("redis" if settings.REDIS_URL else "memory")


@needs_redis
def test_healthz_checks_a_real_redis_cache(client):
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "tianjian-test",
        }
    }
    with override_settings(CACHES=redis_cache):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == {
        "ok": True,
        "backend": "RedisCache",
        "ms": response.json()["checks"]["cache"]["ms"],
    }


def test_healthz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    port = closed_port()
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    broker = body["checks"]["broker"]
    assert broker["ok"] is False
    assert broker["transport"] == "redis"
    assert f"127.0.0.1:{port}" in broker["error"]
    assert broker["ms"] < 3000  # one bounded attempt, no back-off retries
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True


def test_healthz_is_503_when_the_cache_server_is_down(client):
    port = closed_port()
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    with override_settings(CACHES=down):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["cache"]["backend"] == "RedisCache"
    assert body["checks"]["cache"]["error"].startswith("ConnectionError")
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_healthz_is_503_when_the_cache_forgets_what_it_stored(client):
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {
        "ok": False,
        "backend": "DummyCache",
        "error": "value written was not read back",
        "ms": response.json()["checks"]["cache"]["ms"],
    }


def test_healthz_is_503_when_the_database_refuses_connections(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    with monkeypatch.context() as patch:
        # cursor() always goes through ensure_connection: the check's real path up to the socket.
        patch.setattr(connection, "ensure_connection", refuse)
        response = client.get("/healthz")

    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database["ok"] is False
    assert database["error"] == "OperationalError: could not connect to server: Connection refused"


def test_healthz_answers_head_and_refuses_post(client):
    assert client.head("/healthz").status_code == 200

    response = client.post("/healthz")

    assert response.status_code == 405
