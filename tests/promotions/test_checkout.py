"""Promotions through the one pricing home: the cart page, the checkout page, the API preview
and checkout agree to the fen; each line stores its shares with their funder; a coupon is
taken with the order and given back when the unpaid order is cancelled."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.orders.models import Order, OrderLine, OrderLineDiscount, PaymentOrder
from apps.orders.services.lifecycle import order_cancel, payment_order_mark_paid
from apps.promotions.models import Coupon, UserCoupon
from tests.orders.conftest import fill_cart, make_sku, place
from tests.promotions.helpers import give_coupon, make_coupon, make_promotion

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def promo_cart(shopper, store_a, store_b, address):
    """Store A: 3 × 33.33 + 1 × 40.01 = 140.00 with 满100减15; store B: 2 × 19.99 = 39.98;
    the shopper holds a platform 满150减20 (threshold after the store discount: 125 + 39.98)."""
    tea = make_sku(store_a, price="33.33", stock=50)
    rice = make_sku(store_a, price="40.01", stock=50)
    honey = make_sku(store_b, price="19.99", stock=50)
    fill_cart(shopper, (tea, 3), (rice, 1), (honey, 2))
    promotion = make_promotion(store=store_a, tiers=[("100.00", "15.00")])
    coupon = make_coupon(name="平台满150减20", amount="20.00", threshold="150.00")
    holding = give_coupon(shopper, coupon)
    return {"tea": tea, "rice": rice, "honey": honey, "promotion": promotion, "holding": holding}


# tea 99.99, rice 40.01 (store A 140.00), honey 39.98 (store B)
# store promotion 15 over A: tea 15×99.99/140 = 10.713 → 10.71; rice 4.286 → 4.28; +0.01 on tea
#   → tea 10.72, rice 4.28; A payable 125.00
# platform 20 over 164.98 (tea 89.27, rice 35.73, honey 39.98):
#   tea 20×89.27/164.98 = 10.821 → 10.82; rice 4.331 → 4.33; honey 4.846 → 4.84 (sum 19.99)
#   +0.01 on the largest line still payable (tea 89.27) → tea 10.83
EXPECTED = {  # (discount, paid)
    "tea": ("21.55", "78.44"),
    "rice": ("8.61", "31.40"),
    "honey": ("4.84", "35.14"),
}


def _cart_page(client):
    summary = client.get(reverse("orders:cart")).context["summary"]
    return {i.sku.pk: (str(i.discount_amount), str(i.paid_amount)) for i in summary.items}, str(
        summary.discount_amount
    )


def _checkout_page(client):
    summary = client.get(reverse("orders:checkout")).context["summary"]
    return {i.sku.pk: (str(i.discount_amount), str(i.paid_amount)) for i in summary.items}, str(
        summary.discount_amount
    )


def _api(api_client, name):
    data = api_client.get(reverse(name)).json()
    lines = {
        i["sku_id"]: (i["discount_amount"], i["paid_amount"])
        for g in data["groups"]
        for i in g["items"]
    }
    return lines, data["discount_amount"]


def test_cart_checkout_page_api_and_checkout_agree_on_every_discount(
    client, api_client, shopper, address, store_a, store_b, promo_cart
):
    # given the figures worked out by hand (above)
    expected = ({promo_cart[k].pk: v for k, v in EXPECTED.items()}, "35.00")
    client.force_login(shopper)
    api_client.force_authenticate(shopper)

    # when priced by every path, then placed through the API with the best combination
    cart = _cart_page(client)
    page = _checkout_page(client)
    api_cart = _api(api_client, "api-cart")
    preview = _api(api_client, "api-checkout-preview")
    response = api_client.post(
        reverse("api-checkout"),
        {"address_id": address.pk},
        format="json",
        headers={"Idempotency-Key": "promo-agree-0001"},
    )

    # then all agree with each other and the hand-worked figures, and checkout stored them
    assert response.status_code == 201, response.content
    assert cart == page == api_cart == preview == expected
    payment_order = PaymentOrder.objects.get(number=response.json()["number"])
    stored = {
        line.sku_id: (str(line.discount_amount), str(line.paid_amount))
        for line in OrderLine.objects.filter(order__payment_order=payment_order)
    }
    assert stored == expected[0]
    order_a = payment_order.orders.get(store=store_a)
    order_b = payment_order.orders.get(store=store_b)
    assert (order_a.discount_amount, order_b.discount_amount) == (D("30.16"), D("4.84"))
    assert payment_order.amount == D("179.98") - D("35.00")
    shares = OrderLineDiscount.objects.filter(line__order__payment_order=payment_order)
    by_funder = {}
    for share in shares:
        by_funder[share.funder] = by_funder.get(share.funder, D("0")) + share.amount
    assert by_funder == {f"store:{store_a.pk}": D("15.00"), "platform": D("20.00")}
    assert {s.label for s in shares} == {"满减活动", "平台满150减20"}
    # the coupon is used by this checkout
    holding = UserCoupon.objects.get(pk=promo_cart["holding"].pk)
    assert (holding.status, holding.used_reference, holding.discount_amount) == (
        "used",
        payment_order.number,
        D("20.00"),
    )
    assert Coupon.objects.get(pk=holding.coupon_id).used_count == 1


def test_the_preview_lists_each_discount_with_its_funder_and_the_picker(
    api_client, shopper, store_a, promo_cart
):
    api_client.force_authenticate(shopper)

    data = api_client.get(reverse("api-checkout-preview")).json()["promotions"]

    assert [(d["kind"], d["funder"], d["amount"]) for d in data["discounts"]] == [
        ("promotion", f"store:{store_a.pk}", "15.00"),
        ("coupon", "platform", "20.00"),
    ]
    assert data["is_auto"] is True
    assert [(o["name"], o["amount"], o["is_chosen"]) for o in data["coupon_options"]] == [
        ("平台满150减20", "20.00", True)
    ]


def test_the_shopper_may_place_without_the_coupon_and_keeps_it(
    api_client, shopper, address, promo_cart
):
    api_client.force_authenticate(shopper)

    preview = api_client.get(reverse("api-checkout-preview") + "?coupons=").json()
    response = api_client.post(
        reverse("api-checkout"),
        {"address_id": address.pk, "coupons": []},
        format="json",
        headers={"Idempotency-Key": "promo-nocoupon-1"},
    )

    assert response.status_code == 201, response.content
    assert preview["discount_amount"] == "15.00"
    assert PaymentOrder.objects.get().amount == D("179.98") - D("15.00")
    assert UserCoupon.objects.get().status == "available"


def test_a_coupon_outside_its_threshold_is_refused_at_checkout_and_nothing_is_taken(
    api_client, shopper, address, store_a, promo_cart
):
    # given a store coupon of store A 满200 the cart does not reach
    store_coupon = give_coupon(
        shopper, make_coupon(store=store_a, name="店铺满200减30", amount="30", threshold="200")
    )
    api_client.force_authenticate(shopper)

    response = api_client.post(
        reverse("api-checkout"),
        {"address_id": address.pk, "coupons": [store_coupon.pk]},
        format="json",
        headers={"Idempotency-Key": "promo-refused-01"},
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "promotions_coupon_unusable"
    assert "店铺满200减30" in body["message"]
    assert "还差" in body["message"]
    assert not PaymentOrder.objects.exists()
    assert set(UserCoupon.objects.values_list("status", flat=True)) == {"available"}
    assert promo_cart["tea"].__class__.objects.get(pk=promo_cart["tea"].pk).reserved == 0


def test_a_forged_coupon_id_is_refused_with_a_message(api_client, shopper, address, promo_cart):
    api_client.force_authenticate(shopper)

    preview = api_client.get(reverse("api-checkout-preview") + "?coupons=999999").json()

    assert preview["can_checkout"] is False
    assert "999999" in preview["promotions"]["errors"][0]


def test_cancelling_the_unpaid_order_returns_the_coupon_and_a_paid_refund_does_not(
    shopper, address, promo_cart
):
    # given a checkout that used the coupon, then cancelled before payment
    payment_order = place(shopper, address, key="promo-cancel-001")
    holding = promo_cart["holding"]
    holding.refresh_from_db()
    assert holding.status == "used"

    order_cancel(order=payment_order.orders.first(), actor=shopper)

    # then the coupon is available again and its use count goes back
    holding.refresh_from_db()
    assert (holding.status, holding.used_reference) == ("available", "")
    assert Coupon.objects.get(pk=holding.coupon_id).used_count == 0


def test_a_paid_order_keeps_its_coupon_used(shopper, address, promo_cart):
    payment_order = place(shopper, address, key="promo-paid-0001")
    payment_order_mark_paid(payment_order=payment_order, paid_at=payment_order.created_at)

    holding = UserCoupon.objects.get(pk=promo_cart["holding"].pk)
    assert holding.status == "used"
    assert Order.objects.filter(status="paid").count() == 2
