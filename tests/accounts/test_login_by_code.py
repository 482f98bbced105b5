import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.accounts.conftest import PHONE, code_sent_to
from tests.factories import UserFactory


@pytest.mark.django_db
def test_sms_code_login_end_to_end(client, sms_outbox):
    user = UserFactory(email=None, phone=PHONE, phone_verified=False)
    assert client.get(reverse("account_request_login_code")).status_code == 200

    response = client.post(reverse("account_request_login_code"), {"phone": "138 0013 8000"})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    page = client.get(response["Location"])
    assert "138****8000" in page.content.decode()
    code = code_sent_to(sms_outbox, PHONE)
    assert client.session.get(SESSION_KEY) is None

    response = client.post(reverse("account_confirm_login_code"), {"code": code})

    assert response.status_code == 302
    assert client.session.get(SESSION_KEY) == str(user.pk)
    user.refresh_from_db()
    # Receiving the code proves the number.
    assert user.phone_verified is True


@pytest.mark.django_db
def test_sms_code_login_keeps_next(client, phone_user, sms_outbox):
    client.post(reverse("account_request_login_code") + "?next=/me/inbox/", {"phone": PHONE})
    code = code_sent_to(sms_outbox, PHONE)

    response = client.post(
        reverse("account_confirm_login_code"), {"code": code, "next": "/me/inbox/"}
    )

    assert response["Location"] == "/me/inbox/"


@pytest.mark.django_db
def test_wrong_codes_do_not_log_in_and_end_the_attempt(client, phone_user, sms_outbox):
    client.post(reverse("account_request_login_code"), {"phone": PHONE})
    code = code_sent_to(sms_outbox, PHONE)
    wrong = "000000" if code != "000000" else "111111"

    first = client.post(reverse("account_confirm_login_code"), {"code": wrong})
    assert first.status_code == 200
    assert "验证码不正确。" in first.content.decode()
    client.post(reverse("account_confirm_login_code"), {"code": wrong})
    last = client.post(reverse("account_confirm_login_code"), {"code": wrong})

    assert last.status_code == 302
    assert last["Location"] == reverse("account_request_login_code")
    # The right code is useless once the attempts are spent.
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert client.session.get(SESSION_KEY) is None


@pytest.mark.django_db
def test_unknown_phone_gets_the_same_page_and_no_code(client, sms_outbox):
    response = client.post(reverse("account_request_login_code"), {"phone": "13900139000"})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    assert len(sms_outbox) == 1
    to, message = sms_outbox[0]
    assert to == "+8613900139000"
    assert "尚未注册" in message
    assert "验证码是" not in message


@pytest.mark.django_db
def test_request_code_without_number_shows_error(client, sms_outbox):
    response = client.post(reverse("account_request_login_code"), {"phone": "", "email": ""})

    assert response.status_code == 200
    assert "请输入手机号。" in response.content.decode()
    assert sms_outbox == []


@pytest.mark.django_db
def test_request_code_with_landline_shows_error(client, sms_outbox):
    response = client.post(reverse("account_request_login_code"), {"phone": "0451-12345678"})

    assert response.status_code == 200
    assert "请填写手机号，固定电话无法接收短信验证码。" in response.content.decode()
    assert sms_outbox == []


@pytest.mark.django_db
def test_default_sender_writes_code_to_log(client, phone_user, settings, caplog):
    settings.SMS_SENDER = "apps.accounts.sms.LogSmsSender"

    with caplog.at_level("INFO", logger="apps.accounts.sms"):
        client.post(reverse("account_request_login_code"), {"phone": PHONE})

    records = [r.getMessage() for r in caplog.records if r.name == "apps.accounts.sms"]
    assert len(records) == 1
    assert records[0].startswith(f"SMS to {PHONE}: 【田间】您的验证码是 ")
