"""Free-shipping coupons (免运费券): they waive the freight of their scope (a platform coupon:
every store it covers; a store coupon: that store), up to a cap, never below zero; one per
checkout, stacking with spend-and-save and goods coupons; the cart, the checkout page, the API
preview and the checkout agree to the fen; settlement shows who paid."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.orders.models import PaymentOrder, ShippingTemplate
from apps.orders.pricing import freight_waive
from apps.orders.services.lifecycle import order_cancel, order_record_refund
from apps.promotions.models import Coupon, UserCoupon
from apps.promotions.rules import CouponTerms, LineData, Offers, PromotionTerms, Tier, discount_plan
from tests.orders.conftest import fill_cart, make_sku, place
from tests.promotions.helpers import give_coupon, make_coupon, make_promotion
from tests.settlement.conftest import complete, entries, place_paid

pytestmark = pytest.mark.django_db
D = Decimal


def shipping_coupon(*, store=None, name="免运费券", **kw) -> Coupon:
    return make_coupon(store=store, name=name, amount="0.00", kind="shipping", **kw)


def charge_freight(store, fee: str) -> None:
    ShippingTemplate.objects.create(store=store, name="默认", basis="piece", first_fee=fee)


# --- Pricing (pure) ---------------------------------------------------------------------------


class Waiver:
    def __init__(self, store_ids, cap=None, code="coupon:1", funder="platform"):
        self.store_ids, self.cap, self.code, self.funder = frozenset(store_ids), cap, code, funder


def test_freight_waive_takes_whole_freights_or_spreads_a_cap_pro_rata():
    freights = {1: D("8.00"), 2: D("12.00"), 3: D("0.00"), 4: None}

    assert freight_waive(freights, None) == {}
    assert freight_waive(freights, Waiver({1, 2, 3, 4})) == {1: D("8.00"), 2: D("12.00")}
    assert freight_waive(freights, Waiver({2})) == {2: D("12.00")}
    # cap 7.01 over 8 : 12 → 2.804 → 2.80, 4.206 → 4.20, the remaining fen on the largest
    assert freight_waive(freights, Waiver({1, 2}, cap=D("7.01"))) == {1: D("2.80"), 2: D("4.21")}
    # a cap above the freight waives only the freight: never negative
    assert freight_waive(freights, Waiver({1}, cap=D("50.00"))) == {1: D("8.00")}


# --- Rules (pure) -----------------------------------------------------------------------------


def _line(key, store_id, amount):
    return LineData(
        key=key,
        store_id=store_id,
        sku_id=key,
        product_id=key,
        category_id=None,
        quantity=1,
        unit_price=D(amount),
        line_amount=D(amount),
    )


def _terms(uc, *, store_id=None, kind="shipping", threshold="0.00", cap=None, amount="0.00"):
    return CouponTerms(
        user_coupon_id=uc,
        coupon_id=uc,
        name=f"券{uc}",
        store_id=store_id,
        kind=kind,
        amount=D(amount),
        threshold=D(threshold),
        cap=D(cap) if cap else None,
    )


def test_a_free_shipping_coupon_stacks_with_spend_and_save_and_a_platform_coupon():
    lines = [_line(1, 10, "120.00"), _line(2, 20, "30.00")]
    offers = Offers(
        coupons=(
            _terms(1, kind="fixed", amount="10.00", threshold="100.00"),
            _terms(2, threshold="100.00"),
        ),
        promotions=(
            PromotionTerms(
                promotion_id=7,
                name="满100减15",
                store_id=10,
                kind="amount_off",
                tiers=(Tier(threshold=D("100.00"), amount_off=D("15.00")),),
            ),
        ),
    )

    plan = discount_plan(lines=lines, offers=offers)

    assert [(d.code, d.amount) for d in plan.discounts] == [
        ("promotion:7", D("15.00")),
        ("coupon:1", D("10.00")),
    ]
    assert plan.shipping is not None
    assert (plan.shipping.user_coupon_id, plan.shipping.store_ids) == (2, frozenset({10, 20}))
    assert plan.user_coupon_ids == [1, 2]


def test_its_threshold_is_measured_after_the_goods_discounts():
    # 110 − 满100减15 = 95 < 100: the coupon does not apply, and says by how much
    lines = [_line(1, 10, "110.00")]
    offers = Offers(
        coupons=(_terms(2, threshold="100.00"),),
        promotions=(
            PromotionTerms(
                promotion_id=7,
                name="满100减15",
                store_id=10,
                kind="amount_off",
                tiers=(Tier(threshold=D("100.00"), amount_off=D("15.00")),),
            ),
        ),
    )

    auto = discount_plan(lines=lines, offers=offers)
    chosen = discount_plan(lines=lines, offers=offers, chosen_coupon_ids=[2])

    assert auto.shipping is None
    assert auto.coupon_options[0].reason.startswith("适用商品还差 ¥5.00")
    assert chosen.shipping is None
    assert chosen.errors == ("「券2」：适用商品还差 ¥5.00 可用（满 ¥100.00，已减其他优惠后计算）",)


def test_one_per_checkout_and_the_default_covers_most_stores():
    lines = [_line(1, 10, "50.00"), _line(2, 20, "50.00")]
    store_only = _terms(1, store_id=10)
    platform = _terms(2)
    offers = Offers(coupons=(store_only, platform))

    auto = discount_plan(lines=lines, offers=offers)
    both = discount_plan(lines=lines, offers=offers, chosen_coupon_ids=[1, 2])
    mine = discount_plan(lines=lines, offers=offers, chosen_coupon_ids=[1])

    assert auto.shipping.user_coupon_id == 2
    assert [o.is_chosen for o in auto.coupon_options] == [True, False]
    assert both.errors == ("「券2」：每单只能使用一张免运费券。",)
    assert (mine.shipping.user_coupon_id, mine.shipping.store_ids) == (1, frozenset({10}))
    assert mine.shipping.funder == "store:10"
    assert mine.errors == ()


# --- Through the real checkout ----------------------------------------------------------------


@pytest.fixture
def two_store_cart(shopper, store_a, store_b, address):
    """Store A 2 × 30.00 with freight 8.00 and 满50减5; store B 1 × 45.50 with freight 12.00."""
    charge_freight(store_a, "8.00")
    charge_freight(store_b, "12.00")
    make_promotion(store=store_a, tiers=[("50.00", "5.00")])
    fill_cart(
        shopper,
        (make_sku(store_a, price="30.00", stock=20), 2),
        (make_sku(store_b, price="45.50"), 1),
    )


def _figures(data):
    groups = {
        g["store"]["id"]: (g["freight"], g["freight_discount_amount"]) for g in data["groups"]
    }
    return groups, data["freight_discount_amount"], data["total_amount"]


def test_a_platform_coupon_waives_every_freight_the_same_everywhere_to_the_fen(
    client, api_client, shopper, address, store_a, store_b, two_store_cart
):
    # given a platform free-shipping coupon capped at 15.00: 8 : 12 → 6.00 and 9.00
    holding = give_coupon(shopper, shipping_coupon(name="平台免运费", cap=D("15.00")))
    client.force_login(shopper)
    api_client.force_authenticate(shopper)

    # when priced by the cart page, the checkout page, the API preview, then placed
    cart_page = client.get(reverse("orders:cart"))
    page = client.get(reverse("orders:checkout")).context["summary"]
    preview = api_client.get(reverse("api-checkout-preview")).json()
    response = api_client.post(
        reverse("api-checkout"),
        {"address_id": address.pk},
        format="json",
        headers={"Idempotency-Key": "free-ship-00001"},
    )

    # then the cart (no address yet) names the coupon, and the rest agree to the fen
    assert "平台免运费" in cart_page.content.decode()
    assert "结算时按运费减免" in cart_page.content.decode()
    expected_groups = {store_a.pk: ("8.00", "6.00"), store_b.pk: ("12.00", "9.00")}
    # goods 105.50 − 5.00 + freight 20.00 − 15.00 waived
    assert _figures(preview) == (expected_groups, "15.00", "105.50")
    assert preview["promotions"]["shipping"]["user_coupon_id"] == holding.pk
    assert preview["promotions"]["shipping"]["funder"] == "platform"
    # each coupon option names its kind by its label too, not only the code
    assert [(o["kind"], o["kind_display"]) for o in preview["promotions"]["coupon_options"]] == [
        ("shipping", "免运费券")
    ]
    assert (page.freight_discount_amount, page.total_amount) == (D("15.00"), D("105.50"))
    assert {g.store.pk: g.freight_discount_amount for g in page.groups} == {
        store_a.pk: D("6.00"),
        store_b.pk: D("9.00"),
    }
    assert response.status_code == 201, response.content
    payment_order = PaymentOrder.objects.get(number=response.json()["number"])
    assert payment_order.amount == D("105.50")
    orders = {o.store_id: o for o in payment_order.orders.all()}
    assert [
        (o.freight_amount, o.freight_discount_amount, o.freight_discount_funder, o.total_amount)
        for o in (orders[store_a.pk], orders[store_b.pk])
    ] == [
        (D("8.00"), D("6.00"), "platform", D("57.00")),
        (D("12.00"), D("9.00"), "platform", D("48.50")),
    ]
    assert payment_order.amount == sum(o.total_amount for o in orders.values())
    holding.refresh_from_db()
    assert (holding.status, holding.used_reference, holding.discount_amount) == (
        "used",
        payment_order.number,
        D("15.00"),
    )
    detail = client.get(reverse("orders:order_detail", args=[orders[store_a.pk].number]))
    assert "运费减免" in detail.content.decode()
    assert "平台出资" in detail.content.decode()  # the platform's coupon: it funds the waiver


def test_a_store_coupon_waives_only_its_own_store_freight(
    api_client, shopper, address, store_a, store_b, two_store_cart
):
    give_coupon(shopper, shipping_coupon(store=store_b, name="橙园包邮"))
    api_client.force_authenticate(shopper)

    preview = api_client.get(reverse("api-checkout-preview")).json()
    payment_order = place(shopper, address, key="free-ship-00002")

    assert _figures(preview) == (
        {store_a.pk: ("8.00", "0.00"), store_b.pk: ("12.00", "12.00")},
        "12.00",
        "108.50",
    )
    order_b = payment_order.orders.get(store=store_b)
    assert (order_b.freight_discount_amount, order_b.freight_discount_funder) == (
        D("12.00"),
        f"store:{store_b.pk}",
    )
    assert order_b.total_amount == D("45.50")  # freight never below zero
    assert payment_order.amount == D("108.50")


def test_cancelling_the_unpaid_order_gives_the_coupon_back(shopper, address, two_store_cart):
    holding = give_coupon(shopper, shipping_coupon())
    payment_order = place(shopper, address, key="free-ship-00003")
    holding.refresh_from_db()
    assert holding.status == "used"

    order_cancel(order=payment_order.orders.first(), actor=shopper)

    holding.refresh_from_db()
    assert holding.status == "available"
    assert Coupon.objects.get(pk=holding.coupon_id).used_count == 0


def test_a_coupon_with_nothing_to_waive_is_not_used(shopper, store_a, address):
    # given a store without freight (no template: free)
    fill_cart(shopper, (make_sku(store_a, price="20.00"), 1))
    holding = give_coupon(shopper, shipping_coupon())

    payment_order = place(shopper, address, key="free-ship-00004")

    holding.refresh_from_db()
    assert holding.status == "available"
    assert payment_order.orders.get().freight_discount_amount == D("0.00")


# --- Settlement: who paid ---------------------------------------------------------------------


def test_settlement_owes_the_store_a_platform_waiver_until_a_full_refund(
    shopper, store_a, divisions
):
    charge_freight(store_a, "8.00")
    give_coupon(shopper, shipping_coupon(name="平台免运费"))
    order = complete(place_paid(shopper, store_a, [("40.00", 1)]))

    assert (order.freight_amount, order.freight_discount_amount, order.total_amount) == (
        D("8.00"),
        D("8.00"),
        D("40.00"),
    )
    assert ("platform_subsidy", D("8.00")) in entries(order)

    # a partial refund keeps the waiver owed; the full refund takes it back; coupon stays used
    order_record_refund(order=order, amount=D("10.00"), lines={}, restock=False, reference="R1")
    assert sum(a for t, a in entries(order) if t == "platform_subsidy") == D("8.00")
    order.refresh_from_db()
    order_record_refund(order=order, amount=D("30.00"), lines={}, restock=False, reference="R2")
    assert sum(a for t, a in entries(order) if t == "platform_subsidy") == D("0.00")
    assert UserCoupon.objects.get(user=shopper).status == "used"


def test_settlement_books_no_subsidy_for_a_store_waiver(shopper, store_a, divisions):
    charge_freight(store_a, "8.00")
    give_coupon(shopper, shipping_coupon(store=store_a, name="本店包邮"))
    order = complete(place_paid(shopper, store_a, [("40.00", 1)]))

    # the store funded it: its income is what the buyer paid (40.00, freight waived)
    assert order.freight_discount_funder == f"store:{store_a.pk}"
    assert [t for t, _a in entries(order)] == ["order_income", "platform_commission"]
    assert entries(order)[0] == ("order_income", D("40.00"))


def test_a_shipping_coupon_takes_no_amount_or_exclusivity():
    coupon = Coupon(
        name="x",
        kind="shipping",
        amount=D("5.00"),
        is_exclusive=True,
        valid_until="2099-01-01T00:00:00Z",
    )
    with pytest.raises(ValidationError) as caught:
        coupon.full_clean()
    assert set(caught.value.message_dict) >= {"kind", "is_exclusive"}


def test_the_promotion_report_counts_the_freight_a_coupon_waived(
    staff, api_client, shopper, address, store_a, store_b, two_store_cart
):
    from django.utils import timezone

    from apps.orders.promotion_report import promotion_report
    from apps.orders.services.lifecycle import payment_order_mark_paid

    give_coupon(shopper, shipping_coupon(name="平台免运费", cap=D("15.00")))
    api_client.force_authenticate(shopper)
    response = api_client.post(
        reverse("api-checkout"),
        {"address_id": address.pk},
        format="json",
        headers={"Idempotency-Key": "free-ship-report1"},
    )
    assert response.status_code == 201, response.content
    payment_order = PaymentOrder.objects.get(number=response.json()["number"])
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())

    rows = {row.label: row for row in promotion_report(user=staff)}

    waiver = rows["平台免运费"]
    # 6.00 of store A's 8.00 and 9.00 of store B's 12.00, both orders, paid by the platform
    assert (waiver.orders, waiver.platform_amount, waiver.store_amount) == (
        2,
        D("15.00"),
        D("0.00"),
    )
    assert (waiver.kind, waiver.gmv, waiver.issued, waiver.used) == ("优惠券", D("105.50"), 1, 1)
