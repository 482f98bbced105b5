import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from apps.accounts.models import Notification, User
from apps.accounts.services import notification_send
from tests.factories import UserFactory


@pytest.mark.django_db
def test_admin_login_goes_through_site_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    admin_login = response["Location"]
    assert admin_login.startswith(reverse("admin:login"))

    response = client.get(admin_login)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/admin/"


@pytest.mark.django_db
def test_admin_login_drops_foreign_next(client):
    response = client.get(reverse("admin:login") + "?next=https://evil.example.com/")

    assert response["Location"] == f"{reverse('account_login')}?next=/admin/"


@pytest.mark.django_db
def test_merchant_logs_in_on_site_and_reaches_admin(client, merchant_a, password):
    response = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": merchant_a.email, "password": password, "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_platform_staff_reaches_admin(client, staff):
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("admin:login")).status_code == 302


@pytest.mark.django_db
def test_shopper_is_told_admin_is_closed_without_loop(client, shopper):
    client.force_login(shopper)

    response = client.get(reverse("admin:login") + "?next=/admin/")

    assert response.status_code == 403
    assert "无权进入管理后台" in response.content.decode()
    assert client.session.get(SESSION_KEY) == str(shopper.pk)


@pytest.mark.django_db
def test_admin_user_changelist_and_phone_only_user_creation(admin_client):
    UserFactory(email=None, phone="+8613800138000", name="老李")
    assert admin_client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:accounts_user_add")).status_code == 200

    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "",
            "phone": "139 0013 9000",
            "name": "新用户",
            "usable_password": "true",
            "password1": "tian-Jian-2024",
            "password2": "tian-Jian-2024",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(phone="+8613900139000")
    assert (created.email, created.name) == (None, "新用户")
    assert created.check_password("tian-Jian-2024")


@pytest.mark.django_db
def test_admin_user_creation_requires_email_or_phone(admin_client):
    count = User.objects.count()

    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "", "phone": "", "name": "无名", "usable_password": "false"},
    )

    assert response.status_code == 200
    assert "请填写手机号或电子邮箱（至少一项）。" in response.content.decode()
    assert User.objects.count() == count


@pytest.mark.django_db
def test_notification_admin_is_read_only(admin_client, shopper):
    notification = notification_send(user=shopper, title="订单已发货", send_email=False)

    assert admin_client.get(reverse("admin:accounts_notification_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:accounts_notification_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:accounts_notification_delete", args=[notification.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Notification.objects.filter(pk=notification.pk).exists()
