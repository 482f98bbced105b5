import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.accounts.conftest import PHONE
from tests.factories import UserFactory

INVALID = "账号或密码不正确。"
TOO_MANY = "密码尝试次数过多，请稍后再试，或改用短信验证码登录。"


def _login(client, login, password, ip="10.0.0.1"):
    return client.post(
        reverse("account_login"), {"login": login, "password": password}, REMOTE_ADDR=ip
    )


def _signed_in_as(client):
    return client.session.get(SESSION_KEY)


@pytest.mark.django_db
def test_login_by_email_and_password(client, shopper, password):
    response = _login(client, shopper.email.upper(), password)

    assert response.status_code == 302
    assert _signed_in_as(client) == str(shopper.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["13800138000", "138 0013 8000", "+86 138-0013-8000"])
def test_login_by_phone_and_password(client, phone_user, password, typed):
    response = _login(client, typed, password)

    assert response.status_code == 302
    assert _signed_in_as(client) == str(phone_user.pk)


@pytest.mark.django_db
def test_login_with_unverified_phone_asks_for_sms_code_first(client, password, sms_outbox):
    user = UserFactory(email=None, phone=PHONE, phone_verified=False)

    response = _login(client, "13800138000", password)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_verify_phone")
    assert _signed_in_as(client) is None
    assert [to for to, _ in sms_outbox] == [PHONE]
    user.refresh_from_db()
    assert user.phone_verified is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("known", "unknown"),
    [("user0@example.com", "nobody@example.com"), ("13800138000", "13900139000")],
)
def test_wrong_password_and_unknown_account_get_the_same_answer(client, known, unknown):
    UserFactory(email="user0@example.com", phone=PHONE, phone_verified=True)

    wrong_password = _login(client, known, "not-the-password")
    unknown_account = _login(client, unknown, "not-the-password")

    for response in (wrong_password, unknown_account):
        assert response.status_code == 200
        assert INVALID in response.content.decode()
    assert wrong_password.context["form"].errors == unknown_account.context["form"].errors
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_email_and_phone_failures_read_the_same(client, phone_user):
    by_phone = _login(client, "13800138000", "nope")
    by_email = _login(client, "someone@example.com", "nope")

    assert (
        by_phone.context["form"].errors == by_email.context["form"].errors == {"__all__": [INVALID]}
    )


@pytest.mark.django_db
def test_an_address_that_keeps_failing_for_an_account_must_wait(client, shopper, password):
    for _ in range(3):
        assert INVALID in _login(client, shopper.email, "wrong").content.decode()

    response = _login(client, shopper.email, password)

    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_failed_phone_logins_do_not_lock_the_number_for_its_owner(client, password):
    attacked = UserFactory(email=None, phone=PHONE, phone_verified=True)
    for n in range(12):
        _login(client, "13800138000", "wrong", ip=f"10.0.1.{n}")

    # The owner, from an address that has not failed for the number, gets in.
    assert _login(client, "13800138000", password, ip="10.0.0.3").status_code == 302
    assert _signed_in_as(client) == str(attacked.pk)


@pytest.mark.django_db
def test_login_page_renders_in_chinese_inside_site_layout(client):
    response = client.get(reverse("account_login"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "登录田间" in body
    assert "手机号或电子邮箱" in body
    assert reverse("account_request_login_code") in body
    assert 'class="site-header"' in body


@pytest.mark.django_db
def test_logout_requires_post(client, shopper):
    client.force_login(shopper)

    assert client.get(reverse("account_logout")).status_code == 200
    assert _signed_in_as(client) == str(shopper.pk)
    client.post(reverse("account_logout"))
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_second_code_within_cooldown_is_a_429_page_not_an_error(client, sms_outbox):
    client.post(reverse("account_signup"), {"phone": "13800138000", "password1": "tian-Jian-2024"})
    client.logout()

    response = _login(client, "13800138000", "tian-Jian-2024")

    assert response.status_code == 429
    assert "操作太频繁" in response.content.decode()
    assert len(sms_outbox) == 1
    assert _signed_in_as(client) is None
