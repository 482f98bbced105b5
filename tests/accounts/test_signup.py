import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from apps.accounts.models import User
from tests.accounts.conftest import PHONE, code_sent_to

PASSWORD = "tian-Jian-2024"


@pytest.mark.django_db
def test_signup_by_email_creates_account_and_signs_in(client):
    response = client.post(
        reverse("account_signup"), {"email": "Li.Na@Example.com", "password1": PASSWORD}
    )

    assert response.status_code == 302
    user = User.objects.get()
    assert (user.email, user.phone, user.phone_verified) == ("li.na@example.com", None, False)
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.filter(user=user, email="li.na@example.com", primary=True).exists()
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert [m.to for m in mail.outbox] == [["li.na@example.com"]]  # address confirmation


@pytest.mark.django_db
def test_signup_by_phone_sends_code_and_verifies_number(client, sms_outbox):
    response = client.post(
        reverse("account_signup"), {"phone": "138 0013 8000", "password1": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_verify_phone")
    user = User.objects.get()
    assert (user.email, user.phone, user.phone_verified) == (None, PHONE, False)
    code = code_sent_to(sms_outbox, PHONE)

    response = client.post(reverse("account_verify_phone"), {"code": code})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone_verified is True
    assert client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.django_db
def test_signup_by_phone_with_wrong_code_does_not_verify(client, sms_outbox):
    client.post(reverse("account_signup"), {"phone": "13800138000", "password1": PASSWORD})
    code = code_sent_to(sms_outbox, PHONE)
    wrong = "000000" if code != "000000" else "111111"

    response = client.post(reverse("account_verify_phone"), {"code": wrong})

    assert response.status_code == 200
    assert "验证码不正确。" in response.content.decode()
    assert User.objects.get().phone_verified is False
    assert client.get(reverse("accounts:profile")).status_code == 302


@pytest.mark.django_db
def test_signup_with_both_email_and_phone(client, sms_outbox):
    client.post(
        reverse("account_signup"),
        {"phone": "13800138000", "email": "both@example.com", "password1": PASSWORD},
    )

    user = User.objects.get()
    assert (user.email, user.phone) == ("both@example.com", PHONE)


@pytest.mark.django_db
def test_signup_without_email_or_phone_is_refused(client):
    response = client.post(reverse("account_signup"), {"password1": PASSWORD})

    assert response.status_code == 200
    assert "请填写手机号或电子邮箱（至少一项）。" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_with_landline_is_refused_with_clear_message(client, sms_outbox):
    response = client.post(
        reverse("account_signup"), {"phone": "010-12345678", "password1": PASSWORD}
    )

    assert response.status_code == 200
    assert "请填写手机号，固定电话无法接收短信验证码。" in response.content.decode()
    assert not User.objects.exists()
    assert sms_outbox == []


@pytest.mark.django_db
def test_signup_with_taken_phone_looks_like_a_new_signup(client, phone_user, sms_outbox):
    response = client.post(
        reverse("account_signup"), {"phone": "13800138000", "password1": PASSWORD}
    )

    # Same answer as for a free number, so the page does not reveal the account exists...
    assert response.status_code == 302
    assert response["Location"] == reverse("account_verify_phone")
    assert list(User.objects.values_list("pk", flat=True)) == [phone_user.pk]
    # ...and the owner of the number is told by SMS, without a code.
    assert len(sms_outbox) == 1
    assert sms_outbox[0][0] == PHONE
    assert "已注册" in sms_outbox[0][1]


@pytest.mark.django_db
def test_signup_with_taken_email_is_refused(client, shopper):
    # allauth can only hide a taken address at sign-up when e-mail verification is mandatory,
    # which a phone-or-email sign-up cannot require; log-in never reveals it (test_login.py).
    response = client.post(
        reverse("account_signup"), {"email": shopper.email.upper(), "password1": PASSWORD}
    )

    assert response.status_code == 200
    assert "该电子邮箱已被其他账号使用。" in response.content.decode()
    assert list(User.objects.values_list("pk", flat=True)) == [shopper.pk]


@pytest.mark.django_db
def test_signup_page_renders_in_chinese_inside_site_layout(client):
    response = client.get(reverse("account_signup"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "注册田间账号" in body
    assert 'class="site-header"' in body
    assert 'type="tel"' in body
