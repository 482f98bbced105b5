"""Redis (the cache) is down: pages answer, uncached, and the cache backend says so in the log.

The cache is apps.core.cache.FailSafeRedisCache pointed at a local port nothing listens on: the
real backend and redis-py, refusing connections as a stopped Redis does.
"""

import logging

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.urls import reverse

from apps.accounts.services import notification_send
from apps.catalog.page_cache import CACHE_HEADER
from tests.conftest import closed_port
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.FailSafeRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            # Try Redis on every call, so each test sees the real refusal, not the pause.
            "OPTIONS": {"RETRY_AFTER": 0},
        }
    }


def test_the_backend_answers_as_an_empty_cache_and_logs_a_warning(cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger="apps.core.cache"):
        cache.set("k", "v")
        assert cache.get("k", "default") == "default"
        assert cache.get_many(["k"]) == {}
        assert cache.has_key("k") is False
        # add grants the key: cache locks are taken and rate limits fail open
        assert cache.add("k", "v") is True
        assert cache.delete("k") is False
        with pytest.raises(ValueError, match="not found"):
            cache.incr("k")

    assert "cache unavailable (ConnectionError" in caplog.text


def test_after_a_failure_the_backend_pauses_before_trying_redis_again(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.FailSafeRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"RETRY_AFTER": 60},
        }
    }
    with caplog.at_level(logging.WARNING, logger="apps.core.cache"):
        for _ in range(5):
            assert cache.get("k") is None

    assert caplog.text.count("cache unavailable") == 1


def test_a_working_redis_is_used_as_usual(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.FailSafeRedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "tianjian-test-failsafe",
        }
    }
    cache.set("k", "v", 5)

    assert cache.get("k") == "v"
    assert cache.add("k", "other") is False
    cache.delete("k")


@pytest.fixture
def rice(store_a):
    return ProductFactory(
        store=store_a,
        category=CategoryFactory(name="大米", slug="rice"),
        title="五常稻花香大米",
        skus=[{"spec": "5kg/袋", "price": "59.90", "stock": 50}],
    )


def test_storefront_pages_render_fresh_when_the_page_cache_is_down(
    client, rice, cache_down, settings, caplog
):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 60
    paths = [
        reverse("catalog:home"),
        reverse("catalog:category", args=[rice.category.slug]),
        reverse("catalog:search") + "?q=五常大米",
        reverse("catalog:store_detail", args=[rice.store.slug]),
        reverse("catalog:product_detail", args=[rice.pk]),
    ]

    with caplog.at_level(logging.WARNING, logger="apps.core.cache"):
        responses = [client.get(path) for path in paths * 2]

    assert [r.status_code for r in responses] == [200] * 10
    # never a hit: the second round renders again
    assert all(r.get(CACHE_HEADER) != "hit" for r in responses)
    assert "五常稻花香大米" in responses[-1].content.decode()
    assert "cache unavailable" in caplog.text


def test_log_in_works_and_its_rate_limit_fails_open_while_the_cache_is_down(
    client, shopper, password, cache_down
):
    # given: more failed attempts than ACCOUNT_RATE_LIMITS["login_failed"] allows (5 per 5 min)
    for _ in range(6):
        response = client.post(
            reverse("account_login"), {"login": shopper.email, "password": "wrong"}
        )
        assert response.status_code == 200
        assert "账号或密码不正确。" in response.content.decode()

    # when: the right password comes
    response = client.post(reverse("account_login"), {"login": shopper.email, "password": password})

    # then: the documented choice — the limiter has no memory, the shopper logs in
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(shopper.pk)


def test_signed_in_pages_and_log_out_work_while_the_cache_is_down(
    cache_down, client, shopper, password
):
    # sessions are read from their rows and the unread count from the database
    notification_send(user=shopper, title="已发货", send_email=False)
    response = client.post(reverse("account_login"), {"login": shopper.email, "password": password})
    assert response.status_code == 302
    key = client.cookies["sessionid"].value

    profile = client.get(reverse("accounts:profile"))
    assert profile.status_code == 200
    assert (
        'href="/me/inbox/">消息<span class="badge badge-count">1</span>' in profile.content.decode()
    )

    client.post(reverse("account_logout"))
    client.cookies["sessionid"] = key
    assert client.get(reverse("accounts:profile")).status_code == 302
