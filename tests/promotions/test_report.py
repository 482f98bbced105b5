"""The per-promotion report: figures by funder, new buyers, redemption rate, CSV; a merchant
sees its own stores' orders only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.roles import roles_sync
from apps.orders.promotion_report import promotion_report
from tests.promotions.helpers import give_coupon, make_coupon, make_promotion
from tests.settlement.conftest import place_paid

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def sales(shopper, store_a, store_b, divisions):
    """Store A: 60.00 + 50.00 with its 满100减15 and a platform 满50减10 (the shopper's first
    paid order); store B: 80.00 with the platform coupon's sibling (a second holder)."""
    roles_sync()
    make_promotion(store=store_a, name="甲店满减", tiers=[("100.00", "15.00")])
    coupon = make_coupon(name="平台满50减10", amount="10.00", threshold="50.00")
    give_coupon(shopper, coupon)
    give_coupon(shopper, coupon)  # issued twice, used once
    order_a = place_paid(shopper, store_a, [("60.00", 1), ("50.00", 1)])
    return {"order_a": order_a, "coupon": coupon}


def test_the_report_shows_each_discount_by_funder_with_new_buyers_and_redemption(
    staff, sales, store_a
):
    rows = {row.label: row for row in promotion_report(user=staff)}

    coupon = rows["平台满50减10"]
    assert (coupon.orders, coupon.gmv, coupon.platform_amount, coupon.store_amount) == (
        1,
        D("85.00"),
        D("10.00"),
        D("0.00"),
    )
    assert (coupon.new_buyers, coupon.issued, coupon.used, coupon.redemption_rate) == (
        1,
        2,
        1,
        "50.0%",
    )
    promotion = rows["甲店满减"]
    assert (promotion.store_amount, promotion.platform_amount, promotion.kind) == (
        D("15.00"),
        D("0.00"),
        "满减活动",
    )


def test_a_merchant_sees_only_its_own_stores_figures_and_exports_csv(
    client, sales, merchant_a, merchant_b
):
    roles_sync()
    client.force_login(merchant_b)
    other = client.get(reverse("admin:orders_promotion_report"))
    client.force_login(merchant_a)
    own = client.get(reverse("admin:orders_promotion_report") + "?format=csv")

    assert other.status_code == 200
    assert other.context["rows"] == []
    assert own.status_code == 200
    text = own.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("优惠,类型,订单数,成交额,平台出资,店铺出资")
    assert "甲店满减,满减活动,1,85.00,0.00,15.00,1" in text
