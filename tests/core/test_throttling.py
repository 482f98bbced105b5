"""API rate limits: every view per client address or per user, tighter scopes, 429 + Retry-After."""

import os
import time

import pytest
from django.conf import settings as dj_settings
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.core.http import client_ip
from tests.factories import UserFactory

CATEGORIES = "/api/v1/categories/"


@pytest.fixture
def rates(settings):
    """Small rates so a test reaches them in a few requests (the real ones are settings)."""

    def set_rates(**overrides):
        settings.REST_FRAMEWORK = {
            **dj_settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **dj_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **overrides,
            },
        }

    return set_rates


def _get(client, url=CATEGORIES, **extra):
    return client.get(url, **extra)


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_every_view_has_the_default_throttles():
    assert dj_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "apps.core.throttling.AnonRateThrottle",
        "apps.core.throttling.UserRateThrottle",
        "apps.core.throttling.ScopedRateThrottle",
        "apps.open_platform.throttling.AppTokenRateThrottle",
    ]


def test_anonymous_calls_are_limited_per_address_with_429_retry_after_and_error_body(db, rates):
    rates(anon="3/m")
    client = APIClient()

    answers = [_get(client, REMOTE_ADDR="203.0.113.7").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    refused = _get(client, REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["code"] == "throttled"
    assert body["message"]
    assert body["fields"] == {}
    # Another address has its own count.
    assert _get(client, REMOTE_ADDR="203.0.113.8").status_code == 200


def test_default_rates_stop_a_burst_of_anonymous_calls(db, monkeypatch):
    # One fixed instant: on a slow machine the burst could otherwise straddle two windows.
    now = time.time()
    monkeypatch.setattr("django_ratelimit.core.time.time", lambda: now)
    client = APIClient()
    answers = [_get(client).status_code for _ in range(125)]
    assert answers.count(200) == 120
    assert answers[-1] == 429


def test_spoofed_forwarded_for_changes_nothing_without_a_trusted_proxy(db, rates, settings):
    settings.TRUSTED_PROXIES = []
    rates(anon="2/m")
    client = APIClient()
    for n in range(2):
        assert _get(client, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code == 200

    assert _get(client, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_trusted_proxy_forwards_the_client_address(db, rates, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    rates(anon="2/m")
    client = APIClient()
    proxy = {"REMOTE_ADDR": "10.1.2.3"}
    for _ in range(2):
        assert _get(client, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 200
    assert _get(client, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 429

    # A client behind the same proxy is another address; a forged left part changes nothing.
    assert _get(client, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy).status_code == 200
    forged = "198.51.100.77, 198.51.100.1"
    assert _get(client, HTTP_X_FORWARDED_FOR=forged, **proxy).status_code == 429


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.5", "1.2.3.4", "203.0.113.5"),
        (["10.0.0.1"], "203.0.113.5", "1.2.3.4", "203.0.113.5"),
        (["10.0.0.1"], "10.0.0.1", "1.2.3.4", "1.2.3.4"),
        (["10.0.0.0/8"], "10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.9", "1.2.3.4"),
        (["10.0.0.0/8"], "10.0.0.1", "", "10.0.0.1"),
        (["10.0.0.0/8"], "10.0.0.1", "not-an-ip", "10.0.0.1"),
        (["10.0.0.0/8"], "10.0.0.1", "1.2.3.4, garbage", "10.0.0.1"),
        (["fd00::/8"], "fd00::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_client_ip(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_authenticated_calls_are_limited_per_user_not_per_address(db, rates):
    rates(anon="1/m", user="3/m")
    first, second = _token_client(UserFactory()), _token_client(UserFactory())

    answers = [_get(first).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert _get(second).status_code == 200  # same address, another user


def test_search_has_its_own_tighter_limit(db, rates):
    rates(search="2/m")
    client = APIClient()
    products = reverse("api-product-list")
    for _ in range(2):
        assert client.get(products, {"search": "大米"}).status_code == 200

    assert client.get(products, {"search": "大米"}).status_code == 429
    assert client.get(products).status_code == 200  # browsing is not searching


def test_token_creation_is_limited_per_address(db, rates):
    rates(auth_token="2/m")
    client = APIClient()
    url = reverse("api-auth-token")
    data = {"login": "nobody@example.com", "password": "wrong-password"}
    answers = [client.post(url, data, format="json").status_code for _ in range(3)]
    assert answers == [400, 400, 429]


def test_checkout_is_limited_per_user(db, rates, shopper):
    rates(checkout="1/m")
    client = _token_client(shopper)
    url = reverse("api-checkout")
    first = client.post(url, {}, format="json")
    assert first.status_code != 429
    assert client.post(url, {}, format="json").status_code == 429


def test_payment_notify_is_limited_per_address(db, rates):
    rates(payment_notify="2/m")
    client = APIClient()
    url = reverse("payments:notify", kwargs={"provider": "sandbox"})
    answers = [client.post(url, b"{}", content_type="application/json") for _ in range(3)]
    assert [a.status_code for a in answers][-1] == 429
    assert answers[-1].json()["code"] == "throttled"


def test_tracking_webhook_is_limited_per_address(db, rates):
    rates(webhook="2/m")
    client = APIClient()
    url = reverse("api-logistics-webhook", kwargs={"feed_code": "nope"})
    answers = [client.post(url, {}, format="json").status_code for _ in range(3)]
    assert answers == [404, 404, 429]


def test_counters_live_in_the_shared_cache(db, rates):
    rates(anon="1/m")
    client = APIClient()
    assert _get(client).status_code == 200
    assert _get(client).status_code == 429

    cache.clear()  # what every worker and node shares: clearing it resets the count

    assert _get(client).status_code == 200


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)")
def test_counters_count_together_in_redis(db, rates, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"throttle-test-{os.getpid()}",
        }
    }
    from django.core.cache import caches

    rates(anon="2/m")
    try:
        # Two "workers": separate cache connections, one Redis.
        assert _get(APIClient()).status_code == 200
        caches["default"].close()
        assert _get(APIClient()).status_code == 200
        assert _get(APIClient()).status_code == 429
    finally:
        caches["default"].clear()
