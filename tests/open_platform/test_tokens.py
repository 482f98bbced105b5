"""App tokens: scopes by method, revocation and expiry, hashed storage, merchants limited to
their own store, the call log and the per-token rate limit — through the real API."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.catalog.models import Product
from apps.core.errors import ApplicationError
from apps.open_platform.models import ApiCallLog, App, AppToken
from apps.open_platform.services.tokens import app_register, app_token_issue, app_token_revoke
from tests.factories import CategoryFactory, ProductFactory
from tests.open_platform.conftest import bearer, issue

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/merchant/orders/"
PRODUCTS = "/api/v1/merchant/products/"


def test_a_token_with_the_scope_reads_its_store_orders_as_the_merchant(app_a):
    raw = issue(app_a, app_a.acting_user, scopes=["orders:read"])

    response = APIClient().get(ORDERS, **bearer(raw))

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_token_without_the_scope_is_refused_with_json(app_a):
    raw = issue(app_a, app_a.acting_user, scopes=["catalog:read"])

    response = APIClient().get(ORDERS, **bearer(raw))

    assert response.status_code == 403
    assert response.json()["code"] == "open_platform_scope_missing"
    assert "orders:read" in response.json()["message"]


def test_scopes_are_per_method_and_a_refused_write_changes_nothing(app_a, store_a):
    category = CategoryFactory(name="大米", slug="rice")
    raw = issue(app_a, app_a.acting_user, scopes=["catalog:read"])
    client = APIClient()
    body = {
        "category": category.pk,
        "title": "稻花香大米 5kg",
        "skus": [{"spec": "5kg", "price": "59.90", "stock": 10}],
    }

    read = client.get(PRODUCTS, **bearer(raw))
    write = client.post(PRODUCTS, body, format="json", **bearer(raw))

    assert read.status_code == 200
    assert write.status_code == 403
    assert write.json()["code"] == "open_platform_scope_missing"
    assert not Product.objects.filter(store=store_a).exists()


def test_a_view_that_declares_no_scope_refuses_every_app_token(app_a):
    raw = issue(app_a, app_a.acting_user)  # every scope there is

    response = APIClient().get("/api/v1/cart/", **bearer(raw))

    assert response.status_code == 403
    assert response.json()["message"] == "此接口不对第三方应用令牌开放。"


def test_public_catalog_reads_need_catalog_read_with_a_token(app_a, store_a):
    ProductFactory(store=store_a, skus=[{"spec": "1kg", "price": "9.90", "stock": 5}])
    with_scope = issue(app_a, app_a.acting_user, scopes=["catalog:read"])
    without = issue(app_a, app_a.acting_user, scopes=["orders:read"])

    assert APIClient().get("/api/v1/products/", **bearer(with_scope)).status_code == 200
    assert APIClient().get("/api/v1/products/", **bearer(without)).status_code == 403


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("revoke", "令牌已吊销。"),
        ("expire", "令牌已过期。"),
        ("disable_app", "应用已停用。"),
    ],
)
def test_revoked_expired_or_disabled_tokens_are_refused(app_a, merchant_a, change, message):
    token, raw = app_token_issue(
        actor=merchant_a,
        app=app_a,
        name="ERP",
        scopes=["orders:read"],
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert APIClient().get(ORDERS, **bearer(raw)).status_code == 200

    if change == "revoke":
        app_token_revoke(actor=merchant_a, token=token)
    elif change == "expire":
        AppToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(1))
    else:
        App.objects.filter(pk=app_a.pk).update(is_active=False)
    response = APIClient().get(ORDERS, **bearer(raw))

    assert response.status_code == 401
    assert response.json()["message"] == message


def test_an_unknown_token_is_a_401(app_a):
    response = APIClient().get(ORDERS, HTTP_AUTHORIZATION="Bearer tj_deadbeef_nope")

    assert response.status_code == 401
    assert response.json()["message"] == "令牌无效。"


def test_the_secret_is_stored_only_as_its_digest(app_a, merchant_a):
    token, raw = app_token_issue(actor=merchant_a, app=app_a, name="ERP", scopes=["trace:read"])

    stored = AppToken.objects.get(pk=token.pk)
    assert raw.startswith(f"tj_{stored.prefix}_")
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not AppToken.objects.filter(token_hash=raw).exists()
    assert raw not in str(AppToken.objects.filter(pk=token.pk).values().get())


def test_unknown_scopes_and_past_expiry_are_refused(app_a, merchant_a):
    with pytest.raises(ApplicationError) as unknown:
        app_token_issue(actor=merchant_a, app=app_a, name="x", scopes=["orders:delete"])
    with pytest.raises(ApplicationError) as past:
        app_token_issue(
            actor=merchant_a,
            app=app_a,
            name="x",
            scopes=["orders:read"],
            expires_at=timezone.now() - timedelta(minutes=1),
        )

    assert unknown.value.code == "open_platform_scope_unknown"
    assert past.value.fields == {"expires_at": ["过期时间必须晚于现在。"]}
    assert not AppToken.objects.exists()


# --- merchants: their own store only ---------------------------------------------------------


def test_a_merchant_cannot_issue_tokens_for_another_stores_app(app_b, merchant_a):
    with pytest.raises(ApplicationError) as refused:
        app_token_issue(actor=merchant_a, app=app_b, name="x", scopes=["orders:read"])

    assert refused.value.status_code == 404
    assert not AppToken.objects.exists()


def test_a_merchant_registers_apps_for_its_own_store_only(store_a, store_b, merchant_a, staff):
    with pytest.raises(ApplicationError) as other_store:
        app_register(
            actor=merchant_a, name="x", store=store_b, acting_user=merchant_a, contact_name="李"
        )
    with pytest.raises(ApplicationError) as platform:
        app_register(
            actor=merchant_a, name="x", store=None, acting_user=merchant_a, contact_name="李"
        )
    platform_app = app_register(
        actor=staff, name="县物流园", store=None, acting_user=staff, contact_name="王"
    )

    assert other_store.value.code == "open_platform_app_not_allowed"
    assert platform.value.code == "open_platform_app_not_allowed"
    assert list(App.objects.all()) == [platform_app]


def test_a_store_app_must_act_as_a_member_of_that_store(store_a, merchant_b, staff):
    with pytest.raises(ApplicationError) as refused:
        app_register(
            actor=staff, name="x", store=store_a, acting_user=merchant_b, contact_name="李"
        )

    assert refused.value.fields == {"acting_user": ["店铺应用代表的账号必须是该店铺的成员。"]}


def test_a_store_token_sees_only_its_store(app_a, app_b, merchant_b):
    """The token acts as merchant B: store A's orders stay out of reach."""
    raw_b = issue(app_b, merchant_b, scopes=["orders:read"])

    response = APIClient().get("/api/v1/merchant/orders/WC000000/", **bearer(raw_b))

    assert response.status_code == 404


def test_admin_lists_a_merchants_own_apps_and_issues_a_token_shown_once(
    client, app_a, app_b, merchant_a
):
    client.force_login(merchant_a)

    listing = client.get(reverse("admin:open_platform_app_changelist"))
    other = client.get(reverse("admin:open_platform_app_change", args=[app_b.pk]))
    issued = client.post(
        reverse("admin:open_platform_apptoken_add"),
        {"app": app_a.pk, "name": "ERP 同步", "scopes": ["orders:read", "catalog:read"]},
        follow=True,
    )
    foreign = client.post(
        reverse("admin:open_platform_apptoken_add"),
        {"app": app_b.pk, "name": "越权", "scopes": ["orders:read"]},
    )

    assert listing.status_code == 200
    assert app_a.name in listing.text
    assert app_b.name not in listing.text
    assert other.status_code == 404
    token = AppToken.objects.get(app=app_a)
    shown = [str(m) for m in issued.context["messages"]]
    raw = next(m.split("：", 1)[1] for m in shown if "令牌已创建" in m)
    assert hashlib.sha256(raw.encode()).hexdigest() == token.token_hash
    assert token.scopes == ["catalog:read", "orders:read"]
    assert foreign.status_code == 200  # the form again, with the app choice refused
    assert not AppToken.objects.filter(app=app_b).exists()


# --- call log and rate limit -----------------------------------------------------------------


def test_every_app_token_call_is_logged_with_its_scope_and_result(app_a):
    raw = issue(app_a, app_a.acting_user, scopes=["orders:read"])
    client = APIClient()

    client.get(ORDERS, **bearer(raw))
    client.get(PRODUCTS, **bearer(raw))

    logs = list(
        ApiCallLog.objects.order_by("pk").values_list("scope", "method", "path", "status_code")
    )
    assert logs == [
        ("orders:read", "GET", ORDERS, 200),
        ("catalog:read", "GET", PRODUCTS, 403),
    ]
    assert AppToken.objects.get(app=app_a).last_used_at is not None


def test_calls_are_limited_per_token_not_per_merchant(app_a, merchant_a, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "2/m",
        },
    }
    _token, raw = app_token_issue(
        actor=merchant_a, app=app_a, name="慢", scopes=["orders:read"], rate="3/m"
    )
    other = issue(app_a, merchant_a, scopes=["orders:read"])
    client = APIClient()

    answers = [client.get(ORDERS, **bearer(raw)).status_code for _ in range(4)]
    other_token = client.get(ORDERS, **bearer(other)).status_code
    merchant = client.get(
        ORDERS, HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=merchant_a).key}"
    ).status_code

    assert answers == [200, 200, 200, 429]
    assert other_token == 200  # its own counter
    assert merchant == 200  # the merchant's own allowance ("user", 2/m) was not used up
