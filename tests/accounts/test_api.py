import pytest
from rest_framework.authtoken.models import Token

from tests.accounts.conftest import PHONE
from tests.factories import UserFactory

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"
INVALID = {"code": "invalid_credentials", "message": "账号或密码不正确。", "fields": {}}


def _obtain(api_client, login, password, ip="10.0.0.1"):
    return api_client.post(
        TOKEN_URL, {"login": login, "password": password}, format="json", REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_token_by_email(api_client, shopper, password):
    response = _obtain(api_client, shopper.email.upper(), password)

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=shopper).key}


@pytest.mark.django_db
def test_token_by_phone_is_reused(api_client, phone_user, password):
    first = _obtain(api_client, "138 0013 8000", password)
    second = _obtain(api_client, PHONE, password)

    assert first.status_code == second.status_code == 200
    assert first.json()["token"] == second.json()["token"]
    assert Token.objects.filter(user=phone_user).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "login", ["user0@example.com", "nobody@example.com", "13800138000", "13900139000", "垃圾"]
)
def test_bad_credentials_all_get_the_same_answer(api_client, login):
    UserFactory(email="user0@example.com", phone=PHONE)

    response = _obtain(api_client, login, "not-the-password")

    assert response.status_code == 400
    assert response.json() == INVALID
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_token_missing_fields(api_client):
    response = api_client.post(TOKEN_URL, {"login": "a@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == {"password"}


@pytest.mark.django_db
def test_token_is_refused_while_the_address_backs_off(api_client, shopper, password):
    for _ in range(3):
        assert _obtain(api_client, shopper.email, "wrong").status_code == 400

    response = _obtain(api_client, shopper.email, password)

    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    assert 1 <= int(response["Retry-After"]) <= 3  # the first back-off step is 2 s
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_api_and_login_page_share_the_failure_count(client, api_client, shopper, password):
    for _ in range(3):
        client.post(
            "/accounts/login/",
            {"login": shopper.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.9",
        )

    assert _obtain(api_client, shopper.email, password, ip="10.0.0.9").status_code == 429


@pytest.mark.django_db
def test_inactive_account_with_right_password_is_refused(api_client, shopper, password):
    shopper.is_active = False
    shopper.save()

    response = _obtain(api_client, shopper.email, password)

    assert response.status_code == 403
    assert response.json()["code"] == "account_inactive"
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_me_with_token(api_client, staff, password):
    token = _obtain(api_client, staff.email, password).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = api_client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": staff.pk,
        "name": "平台运营",
        "email": staff.email,
        "phone": None,
        "phone_verified": False,
        "is_staff": True,
        "groups": ["平台运营"],
        "date_joined": response.json()["date_joined"],
    }


@pytest.mark.django_db
def test_me_requires_authentication(api_client):
    response = api_client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_me_patch_updates_name(api_client, shopper):
    api_client.force_authenticate(shopper)

    response = api_client.patch(ME_URL, {"name": "王小明"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "王小明"
    shopper.refresh_from_db()
    assert shopper.name == "王小明"


@pytest.mark.django_db
def test_me_patch_rejects_too_long_name(api_client, shopper):
    api_client.force_authenticate(shopper)

    response = api_client.patch(ME_URL, {"name": "长" * 51}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"name"}
    shopper.refresh_from_db()
    assert shopper.name == "顾客小王"
