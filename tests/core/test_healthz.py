"""GET /healthz (liveness: the process only) and /readyz (readiness: one real round trip to the
database, the cache and the Celery broker; only the database is required).

With REDIS_URL set (CI), the broker check talks to the real Redis and one test also points the
cache at it; without it (embedded mode) the broker is Celery's in-memory transport.
"""

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import override_settings

from config.celery import app as celery_app
from tests.conftest import closed_port

pytestmark = pytest.mark.django_db

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (set REDIS_URL)")


@pytest.fixture
def database_refuses(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    # cursor() always goes through ensure_connection: the check's real path up to the socket.
    monkeypatch.setattr(connection, "ensure_connection", refuse)


@pytest.fixture
def broker_unreachable(monkeypatch):
    port = closed_port()
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")
    return port


@pytest.fixture
def cache_down():
    down = {
        "default": {
            "BACKEND": "apps.core.cache.FailSafeRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    with override_settings(CACHES=down):
        yield


# --- /healthz: liveness -------------------------------------------------------------------


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {"status": "ok"}


def test_healthz_stays_200_when_database_cache_and_broker_are_all_down(
    client, database_refuses, broker_unreachable, cache_down
):
    # A Redis or PostgreSQL outage must not get working web containers restarted.
    assert client.get("/healthz").status_code == 200


def test_healthz_answers_head_and_refuses_post(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


# --- /readyz: readiness -------------------------------------------------------------------


def test_readyz_is_ok_when_database_cache_and_broker_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
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
def test_readyz_checks_a_real_redis_cache(client):
    redis_cache = {
        "default": {
            "BACKEND": "apps.core.cache.FailSafeRedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "tianjian-test",
        }
    }
    with override_settings(CACHES=redis_cache):
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == {
        "ok": True,
        "backend": "FailSafeRedisCache",
        "ms": response.json()["checks"]["cache"]["ms"],
    }


def test_readyz_is_degraded_not_down_when_the_broker_is_unreachable(client, broker_unreachable):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    broker = body["checks"]["broker"]
    assert broker["ok"] is False
    assert broker["transport"] == "redis"
    assert f"127.0.0.1:{broker_unreachable}" in broker["error"]
    assert broker["ms"] < 3000  # one bounded attempt, no back-off retries
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True


def test_readyz_is_degraded_not_down_when_the_cache_server_is_down(client, cache_down):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["cache"]["backend"] == "FailSafeRedisCache"
    # the fail-safe backend swallows the error: what is seen is a cache that forgets
    assert body["checks"]["cache"]["error"] == "value written was not read back"
    assert body["checks"]["database"]["ok"] is True


def test_readyz_reports_the_error_of_a_plain_redis_cache(client):
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    with override_settings(CACHES=down):
        response = client.get("/readyz")

    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache"]["error"].startswith("ConnectionError")


def test_readyz_is_degraded_when_the_cache_forgets_what_it_stored(client):
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    ):
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == {
        "ok": False,
        "backend": "DummyCache",
        "error": "value written was not read back",
        "ms": response.json()["checks"]["cache"]["ms"],
    }


def test_readyz_is_503_when_the_database_refuses_connections(client, database_refuses):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["ok"] is False
    assert (
        body["checks"]["database"]["error"]
        == "OperationalError: could not connect to server: Connection refused"
    )


def test_readyz_answers_head_and_refuses_post(client):
    assert client.head("/readyz").status_code == 200
    assert client.post("/readyz").status_code == 405
