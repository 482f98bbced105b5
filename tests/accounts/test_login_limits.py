"""Password log-in limits that slow guessers without locking other people out."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import RequestFactory
from django.urls import reverse

from apps.accounts import login_limits
from apps.accounts.models import LoginFailure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INVALID = "账号或密码不正确。"
TOO_MANY = "密码尝试次数过多，请稍后再试，或改用短信验证码登录。"


def _login(client, login, password, ip):
    return client.post(
        reverse("account_login"), {"login": login, "password": password}, REMOTE_ADDR=ip
    )


def test_failures_for_one_account_do_not_lock_out_others_behind_the_same_address(client, password):
    guessed = UserFactory(email="guessed@example.com")
    colleague = UserFactory(email="colleague@example.com")
    for _ in range(8):
        _login(client, guessed.email, "wrong", ip="10.9.9.9")  # one county-office NAT

    response = _login(client, colleague.email, password, ip="10.9.9.9")

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(colleague.pk)


def test_an_account_under_attack_still_lets_its_owner_in_from_a_clean_address(client, password):
    owner = UserFactory(email="owner@example.com")
    for n in range(30):
        _login(client, owner.email, "guess", ip=f"192.0.2.{n}")

    response = _login(client, owner.email, password, ip="198.51.100.4")

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(owner.pk)


def test_a_slowed_address_is_told_to_wait_or_use_an_sms_code(client, password):
    user = UserFactory(email="slow@example.com")
    for _ in range(3):
        _login(client, user.email, "wrong", ip="10.0.0.5")

    response = _login(client, user.email, password, ip="10.0.0.5")

    page = response.content.decode()
    assert TOO_MANY in page
    assert reverse("account_request_login_code") in page
    assert SESSION_KEY not in client.session


def _request(ip):
    return RequestFactory().post("/", REMOTE_ADDR=ip)


def test_the_wait_doubles_with_each_further_failure(settings):
    settings.LOGIN_PAIR_FREE_FAILURES = 3
    settings.LOGIN_BACKOFF_BASE_SECONDS = 2
    settings.LOGIN_BACKOFF_MAX_SECONDS = 10
    request, login, now = _request("10.0.0.7"), "a@example.com", 1_000_000.0
    waits = []
    for n in range(6):
        login_limits.login_failure_record(request=request, login=login, now=now + n)
        verdict = login_limits.login_attempt_check(request=request, login=login, now=now + n)
        waits.append(verdict.retry_after)

    assert waits == [0, 0, 3, 5, 9, 11]  # 2, 4, 8, then the 10 s ceiling (+1 rounding up)
    later = login_limits.login_attempt_check(request=request, login=login, now=now + 5 + 10)
    assert later.allowed


def test_an_address_that_failed_for_a_much_guessed_account_waits_on_the_account_count(
    settings,
):
    settings.LOGIN_ACCOUNT_FREE_FAILURES = 10
    login, now = "target@example.com", 2_000_000.0
    for n in range(12):
        login_limits.login_failure_record(request=_request(f"192.0.2.{n}"), login=login, now=now)

    # 192.0.2.1 failed once (its own pair is still free) but the account has 12 failures.
    assert not login_limits.login_attempt_check(
        request=_request("192.0.2.1"), login=login, now=now + 1
    ).allowed
    assert login_limits.login_attempt_check(
        request=_request("203.0.113.1"), login=login, now=now + 1
    ).allowed


def test_an_address_spraying_many_accounts_hits_the_address_ceiling(client, settings, password):
    settings.LOGIN_ADDRESS_FAILURE_RATE = "5/h"
    victim = UserFactory(email="victim@example.com")
    for n in range(5):
        _login(client, f"user{n}@example.com", "123456", ip="203.0.113.50")

    response = _login(client, victim.email, password, ip="203.0.113.50")

    assert TOO_MANY in response.content.decode()
    assert _login(client, victim.email, password, ip="203.0.113.51").status_code == 302


def test_failures_are_recorded_for_staff(client, staff, password):
    user = UserFactory(email="watched@example.com")
    _login(client, user.email, "wrong", ip="10.1.1.1")
    _login(client, "ghost@example.com", "wrong", ip="10.1.1.2")

    rows = list(LoginFailure.objects.order_by("id").values_list("login", "user", "ip"))
    assert rows == [
        ("watched@example.com", user.pk, "10.1.1.1"),
        ("ghost@example.com", None, "10.1.1.2"),
    ]
    client.force_login(staff)
    page = client.get(reverse("admin:accounts_loginfailure_changelist"))
    assert page.status_code == 200
    assert "ghost@example.com" in page.content.decode()
