"""Coupon centre, my coupons, redeem by code (pages and API) and the back office: merchants
see and create only their own store's promotions; staff run the platform's and send coupons."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.roles import roles_sync
from apps.promotions.models import Coupon, Promotion, UserCoupon
from tests.factories import UserFactory
from tests.promotions.helpers import give_coupon, make_coupon, make_promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles(db):
    roles_sync()


# --- Shopper pages ---------------------------------------------------------------------------


def test_coupon_centre_lists_claimable_coupons_and_a_claim_takes_one(client, shopper, store_a):
    coupon = make_coupon(name="满99减10", amount="10", threshold="99", total_quantity=5)
    make_coupon(name="兑换码券", distribution="code", code="SPRING")
    make_coupon(
        name="已结束",
        valid_from=timezone.now() - timedelta(days=9),
        valid_until=timezone.now() - timedelta(days=1),
    )
    client.force_login(shopper)

    page = client.get(reverse("promotions:coupon_center"))
    claim = client.post(reverse("promotions:coupon_claim", args=[coupon.pk]), follow=True)
    again = client.post(reverse("promotions:coupon_claim", args=[coupon.pk]), follow=True)

    assert [c.name for c, _claimed in page.context["rows"]] == ["满99减10"]
    assert "领取成功：满99减10" in claim.content.decode()
    assert "每人限领 1 张" in again.content.decode()
    assert UserCoupon.objects.filter(user=shopper).count() == 1
    assert Coupon.objects.get(pk=coupon.pk).issued_count == 1


def test_redeem_by_code_and_my_coupon_tabs(client, shopper):
    make_coupon(name="春季兑换券", distribution="code", code="spring-2026")
    client.force_login(shopper)

    forged = client.post(reverse("promotions:my_coupons"), {"code": "NOPE"})
    redeemed = client.post(reverse("promotions:my_coupons"), {"code": " Spring-2026 "})
    available = client.get(reverse("promotions:my_coupons"))
    used = client.get(reverse("promotions:my_coupons") + "?tab=used")

    assert forged.status_code == 400
    assert "兑换码无效" in forged.content.decode()
    assert redeemed.status_code == 302
    assert [h.coupon.name for h in available.context["holdings"]] == ["春季兑换券"]
    assert used.context["holdings"] == []


def test_an_expired_coupon_shows_under_expired(client, shopper):
    holding = give_coupon(shopper, make_coupon(name="旧券"))
    Coupon.objects.filter(pk=holding.coupon_id).update(
        valid_from=timezone.now() - timedelta(days=9),
        valid_until=timezone.now() - timedelta(days=1),
    )
    client.force_login(shopper)

    expired = client.get(reverse("promotions:my_coupons") + "?tab=expired")
    available = client.get(reverse("promotions:my_coupons"))

    assert [h.pk for h in expired.context["holdings"]] == [holding.pk]
    assert available.context["holdings"] == []


# --- API -------------------------------------------------------------------------------------


def test_api_claim_list_mine_and_redeem(api_client, shopper):
    coupon = make_coupon(name="API券", total_quantity=1)
    make_coupon(name="码券", distribution="code", code="CODE1")
    api_client.force_authenticate(shopper)

    centre = api_client.get(reverse("api-coupons")).json()
    claimed = api_client.post(reverse("api-coupon-claim", args=[coupon.pk]))
    exhausted = api_client.post(reverse("api-coupon-claim", args=[coupon.pk]))
    redeemed = api_client.post(reverse("api-coupon-redeem"), {"code": "code1"}, format="json")
    forged = api_client.post(reverse("api-coupon-redeem"), {"code": "FORGED"}, format="json")
    mine = api_client.get(reverse("api-my-coupons")).json()

    assert [c["name"] for c in centre["results"]] == ["API券"]
    assert claimed.status_code == 201
    assert claimed.json()["coupon"]["funder"] == "platform"
    assert exhausted.status_code == 409
    assert exhausted.json()["code"] == "promotions_coupon_exhausted"
    assert redeemed.status_code == 201
    assert (forged.status_code, forged.json()["code"]) == (400, "promotions_coupon_not_found")
    assert sorted(h["coupon"]["name"] for h in mine["results"]) == ["API券", "码券"]


def test_api_needs_a_login_to_claim(api_client):
    coupon = make_coupon()

    response = api_client.post(reverse("api-coupon-claim", args=[coupon.pk]))

    assert response.status_code == 401
    assert not UserCoupon.objects.exists()


def test_the_openapi_schema_has_the_coupon_endpoints(api_client):
    schema = api_client.get(reverse("api-schema"), {"format": "json"}).json()

    for path in ("/api/v1/coupons/", "/api/v1/coupons/{id}/claim/", "/api/v1/me/coupons/"):
        assert path in schema["paths"]


# --- Back office: isolation -----------------------------------------------------------------


def test_a_merchant_sees_and_edits_only_its_own_stores_coupons(
    client, roles, merchant_a, store_a, store_b
):
    own = make_coupon(store=store_a, name="甲店券")
    foreign = make_coupon(store=store_b, name="乙店券")
    platform = make_coupon(name="平台券")
    client.force_login(merchant_a)

    changelist = client.get(reverse("admin:promotions_coupon_changelist"))
    own_page = client.get(reverse("admin:promotions_coupon_change", args=[own.pk]))
    foreign_page = client.get(reverse("admin:promotions_coupon_change", args=[foreign.pk]))
    platform_page = client.get(reverse("admin:promotions_coupon_change", args=[platform.pk]))

    assert changelist.status_code == 200
    assert [c.name for c in changelist.context["cl"].result_list] == ["甲店券"]
    assert own_page.status_code == 200
    # a merchant of one store: the store is implied, not even a field to choose
    assert "store" not in own_page.context["adminform"].form.fields
    assert (foreign_page.status_code, platform_page.status_code) == (404, 404)


def _coupon_form(store, name="新券"):
    now = timezone.localtime()
    return {
        "store": store.pk if store else "",
        "name": name,
        "is_active": "on",
        "kind": "fixed",
        "amount": "5.00",
        "percent_off": "0",
        "threshold": "50.00",
        "scope": "all",
        "valid_from_0": now.strftime("%Y-%m-%d"),
        "valid_from_1": now.strftime("%H:%M:%S"),
        "valid_until_0": (now + timedelta(days=3)).strftime("%Y-%m-%d"),
        "valid_until_1": now.strftime("%H:%M:%S"),
        "distribution": "claim",
        "per_user_limit": "1",
    }


def test_a_merchant_creates_coupons_only_for_its_own_store(
    client, roles, merchant_a, store_a, store_b
):
    client.force_login(merchant_a)
    url = reverse("admin:promotions_coupon_add")

    # when it posts another store's id, or none (a platform coupon), or its own
    foreign = client.post(url, _coupon_form(store_b, "越权券"))
    platform = client.post(url, _coupon_form(None, "无店铺券"))
    own = client.post(url, _coupon_form(store_a, "甲店新券"))

    # then every one is its own store's coupon, funded by its store
    assert (foreign.status_code, platform.status_code, own.status_code) == (302, 302, 302)
    created = Coupon.objects.filter(name__in=["越权券", "无店铺券", "甲店新券"])
    assert {(c.store_id, c.funder, c.created_by_id) for c in created} == {
        (store_a.pk, f"store:{store_a.pk}", merchant_a.pk)
    }
    assert created.count() == 3


def test_a_merchant_of_two_stores_must_pick_one_of_its_own(
    client, roles, merchant_a, store_a, store_b
):
    from apps.stores.services import store_member_add
    from tests.factories import StoreFactory

    store_c = StoreFactory(name="甲的第二家店", slug="a-second")
    store_member_add(store=store_c, user=merchant_a, role="owner")
    client.force_login(merchant_a)
    url = reverse("admin:promotions_coupon_add")

    foreign = client.post(url, _coupon_form(store_b, "越权券"))
    platform = client.post(url, _coupon_form(None, "平台券"))
    own = client.post(url, _coupon_form(store_c, "第二家店券"))

    assert "store" in foreign.context["adminform"].form.errors
    assert "store" in platform.context["adminform"].form.errors
    assert not Coupon.objects.filter(name__in=["越权券", "平台券"]).exists()
    assert own.status_code == 302
    assert Coupon.objects.get(name="第二家店券").store == store_c


def test_a_merchant_sees_only_its_own_spend_and_save(client, roles, merchant_a, store_a, store_b):
    make_promotion(store=store_a, name="甲店满减")
    foreign = make_promotion(store=store_b, name="乙店满减")
    make_promotion(store=None, name="平台满减")
    client.force_login(merchant_a)

    changelist = client.get(reverse("admin:promotions_promotion_changelist"))
    foreign_page = client.get(reverse("admin:promotions_promotion_change", args=[foreign.pk]))

    assert [p.name for p in changelist.context["cl"].result_list] == ["甲店满减"]
    assert foreign_page.status_code == 404
    assert Promotion.objects.count() == 3


def test_staff_send_a_coupon_to_new_sign_ups(client, staff):
    coupon = make_coupon(name="新人券", distribution="send", is_new_customer_only=True)
    newcomer = UserFactory(phone="+8613900000001")
    old = UserFactory()
    type(old).objects.filter(pk=old.pk).update(date_joined=timezone.now() - timedelta(days=30))
    client.force_login(staff)

    response = client.post(
        reverse("admin:promotions_coupon_changelist"),
        {
            "action": "send_to_users",
            "_selected_action": [coupon.pk],
            "recipients": "",
            "joined_within_days": "7",
        },
        follow=True,
    )

    assert response.status_code == 200
    holders = set(UserCoupon.objects.filter(coupon=coupon).values_list("user_id", flat=True))
    assert newcomer.pk in holders
    assert old.pk not in holders
    assert all(h.source == "send" for h in UserCoupon.objects.filter(coupon=coupon))


def test_a_merchant_cannot_send_coupons(client, roles, merchant_a, store_a):
    coupon = make_coupon(store=store_a, name="甲店券", distribution="send")
    client.force_login(merchant_a)

    response = client.post(
        reverse("admin:promotions_coupon_changelist"),
        {"action": "send_to_users", "_selected_action": [coupon.pk], "joined_within_days": "7"},
    )

    assert response.status_code in (200, 302)
    assert not UserCoupon.objects.exists()
