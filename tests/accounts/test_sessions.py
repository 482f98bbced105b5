"""Sessions read from the cache (apps/accounts/sessions.py): no session row per request, and
nothing that ends a session (log-out, password change, expiry of the cached copy) survives in
the cache."""

import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from apps.accounts.sessions import SessionStore

CACHE_PREFIX = "django.contrib.sessions.cached_db"


def _signed_in(client: Client) -> bool:
    response = client.get(reverse("accounts:profile"))
    return response.status_code == 200


def _login(client, user, password):
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db
def test_signed_in_page_reads_no_session_row(
    client, shopper, password, django_assert_max_num_queries
):
    _login(client, shopper, password)

    with django_assert_max_num_queries(20) as captured:
        assert _signed_in(client)

    assert not [q for q in captured.captured_queries if "django_session" in q["sql"]]


@pytest.mark.django_db
def test_session_survives_the_cache_losing_it(client, shopper, password):
    # the database row is the record: a cache emptied (a Redis restart) signs nobody out
    _login(client, shopper, password)
    cache.clear()

    assert _signed_in(client)


@pytest.mark.django_db
def test_logout_leaves_nothing_in_the_cache(client, shopper, password):
    key = _login(client, shopper, password)
    assert cache.get(CACHE_PREFIX + key) is not None

    client.post(reverse("account_logout"))

    assert cache.get(CACHE_PREFIX + key) is None
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert not _signed_in(replay)


@pytest.mark.django_db
def test_password_change_ends_the_other_sessions(shopper, password):
    here, elsewhere = Client(), Client()
    old_key = _login(here, shopper, password)
    _login(elsewhere, shopper, password)

    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": "new-Pass-456", "password2": "new-Pass-456"},
    )

    assert response.status_code == 302
    assert _signed_in(here)  # the session that changed it stays signed in, under a new key
    assert here.cookies[settings.SESSION_COOKIE_NAME].value != old_key
    assert cache.get(CACHE_PREFIX + old_key) is None
    assert not _signed_in(elsewhere)  # its cached copy holds the old password's hash


@pytest.mark.django_db
def test_cached_copy_lives_at_most_the_cap(shopper, settings):
    settings.SESSION_CACHE_MAX_SECONDS = 1
    store = SessionStore()
    store[SESSION_KEY] = str(shopper.pk)
    store.create()

    ttl_key = cache.make_key(CACHE_PREFIX + store.session_key)
    expiry = cache._expire_info[ttl_key]  # locmem: the absolute expiry time
    assert expiry - time.time() <= 1
