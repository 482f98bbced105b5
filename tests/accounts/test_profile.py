import pytest
from django.urls import reverse

from tests.accounts.conftest import PHONE, code_sent_to


@pytest.mark.django_db
def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/me/"


@pytest.mark.django_db
def test_profile_shows_masked_phone_email_and_placeholders(client, shopper):
    shopper.phone, shopper.phone_verified = PHONE, True
    shopper.save()
    client.force_login(shopper)

    response = client.get(reverse("accounts:profile"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "138****8000" in body
    assert "13800138000" not in body
    assert shopper.email in body
    assert reverse("account_change_phone") in body
    assert "默认收货地址" in body
    assert "/stores/apply/" in body
    assert 'href="/admin/"' not in body


@pytest.mark.django_db
def test_profile_links_merchant_to_admin(client, merchant_a):
    client.force_login(merchant_a)

    body = client.get(reverse("accounts:profile")).content.decode()

    assert 'href="/admin/"' in body


@pytest.mark.django_db
def test_profile_edit_name(client, shopper):
    client.force_login(shopper)

    response = client.post(reverse("accounts:profile"), {"name": "  王小明 "})

    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.name == "王小明"
    assert "资料已保存。" in client.get(reverse("accounts:profile")).content.decode()


@pytest.mark.django_db
def test_profile_edit_rejects_too_long_name(client, shopper):
    client.force_login(shopper)

    response = client.post(reverse("accounts:profile"), {"name": "长" * 51})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    shopper.refresh_from_db()
    assert shopper.name == "顾客小王"


@pytest.mark.django_db
def test_change_phone_page_renders_for_email_only_user(client, shopper):
    client.force_login(shopper)

    response = client.get(reverse("account_change_phone"))

    assert response.status_code == 200
    assert "绑定手机号" in response.content.decode()


@pytest.mark.django_db
def test_change_phone_via_sms_code(client, phone_user, sms_outbox):
    client.force_login(phone_user)

    response = client.post(reverse("account_change_phone"), {"phone": "139 0013 9000"})
    assert response.status_code == 302
    phone_user.refresh_from_db()
    assert phone_user.phone == PHONE  # unchanged until the code is entered
    code = code_sent_to(sms_outbox, "+8613900139000")

    client.post(reverse("account_verify_phone"), {"code": code})

    phone_user.refresh_from_db()
    assert (phone_user.phone, phone_user.phone_verified) == ("+8613900139000", True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("account_email", "更换电子邮箱"),
        ("account_change_password", "修改密码"),
        ("account_change_phone", "绑定手机号"),
        ("account_logout", "退出登录"),
        ("account_reauthenticate", "确认身份"),
    ],
)
def test_account_pages_render_in_site_layout(client, shopper, url_name, heading):
    client.force_login(shopper)

    response = client.get(reverse(url_name))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="page-auth"' in body
    assert 'class="site-header"' in body
    assert f'<h1 class="auth-title">{heading}</h1>' in body
