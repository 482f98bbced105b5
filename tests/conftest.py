import shutil

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.test import APIClient

from apps.core.roles import PLATFORM_OPERATIONS, roles_sync
from apps.stores.services import store_member_add
from tests.factories import StoreFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped, visibly, when the suite runs on SQLite."""
    from django.conf import settings as dj_settings

    engine = dj_settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return "pass-Word-123"


@pytest.fixture
def shopper(db):
    return UserFactory(name="顾客小王")


@pytest.fixture
def store_a(db):
    return StoreFactory(name="五常稻米合作社", slug="wuchang-rice")


@pytest.fixture
def store_b(db):
    return StoreFactory(name="赣南脐橙家庭农场", slug="gannan-orange", county_code="360732")


@pytest.fixture
def merchant_a(store_a):
    user = UserFactory(name="商家甲")
    store_member_add(store=store_a, user=user, role="owner")
    return user


@pytest.fixture
def merchant_b(store_b):
    user = UserFactory(name="商家乙")
    store_member_add(store=store_b, user=user, role="owner")
    return user


@pytest.fixture
def staff(db):
    """Platform operations staff: a Django group, not a superuser."""
    roles_sync()
    user = UserFactory(name="平台运营", is_staff=True)
    user.groups.add(Group.objects.get(name=PLATFORM_OPERATIONS))
    return user


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def is_postgres(db):
    return connection.vendor == "postgresql"


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """`with after_commit(): client.post(...)` runs what the request queued for after its
    commit (outbox deliveries, signals) as a real commit would; a test's own transaction never
    commits, so without it those callbacks are dropped."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def closed_port() -> int:
    """A local TCP port nothing listens on: bound once by us, then released."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_down(monkeypatch):
    """Celery as in production (not eager) with a broker that refuses connections: a stopped
    Redis. Celery keeps its connection and producer pools per app, so they are reset around."""
    from config.celery import app

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    eager = app.conf.task_always_eager  # a Celery setting monkeypatch cannot restore
    app.conf.task_always_eager = False
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{closed_port()}/0")
    reset_pools()
    yield
    app.conf.task_always_eager = eager
    reset_pools()
