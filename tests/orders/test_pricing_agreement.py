"""The cart page, the checkout page's preview, the API preview and the checkout itself price the
same cart through the same functions: identical line prices, freight and totals, to the fen."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.orders import selectors
from apps.orders.models import Order, OrderLine, PaymentOrder, ShippingTemplate
from apps.promotions.rules import DiscountPlan, PromoDiscount
from tests.factories import StoreFactory
from tests.orders.conftest import fill_cart, make_sku, place
from tests.wholesale.helpers import make_organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def store_c(db):
    return StoreFactory(name="兴国蜂蜜合作社", slug="xingguo-honey")


@pytest.fixture
def cart_of_three_stores(shopper, store_a, store_b, store_c, address):
    """A verified wholesale buyer's cart over three stores:
    A: rice 12 × (tier ≥10: 55.00) + beans 3 × 3.33, by piece with a rule for 五常 (5 + 1/piece)
    B: oranges 2 × 7.77 at 2.5 kg each, by weight (10 first kg + 3/kg), free only from 99.00
    C: honey 1 × 19.99, no template: ships free."""
    make_organisation(user=shopper, credit_limit="5000.00")
    template = ShippingTemplate.objects.create(
        store=store_a, name="默认", basis="piece", first_fee="8.00", extra_fee="2.00"
    )
    template.rules.create(region_codes=["230184"], first_fee="5.00", extra_fee="1.00")
    ShippingTemplate.objects.create(
        store=store_b,
        name="按重",
        basis="weight",
        first_fee="10.00",
        extra_fee="3.00",
        free_threshold="99.00",
    )
    rice = make_sku(store_a, price="59.90", stock=500)
    rice.wholesale_tiers.create(min_quantity=10, unit_price=Decimal("55.00"))
    beans = make_sku(store_a, price="3.33", stock=50)
    oranges = make_sku(store_b, price="7.77", stock=50, weight_grams=2500)
    honey = make_sku(store_c, price="19.99", stock=5)
    fill_cart(shopper, (rice, 12), (beans, 3), (oranges, 2), (honey, 1))
    return {"rice": rice, "beans": beans, "oranges": oranges, "honey": honey}


EXPECTED_LINES = {  # name: (unit price, line amount)
    "rice": ("55.00", "660.00"),
    "beans": ("3.33", "9.99"),
    "oranges": ("7.77", "15.54"),
    "honey": ("19.99", "19.99"),
}
# store: (goods, freight, total): A 15 pieces = 5 + 14 × 1; B 5 kg = 10 + 4 × 3; C free
EXPECTED_STORES = {
    "a": ("669.99", "19.00", "688.99"),
    "b": ("15.54", "22.00", "37.54"),
    "c": ("19.99", "0.00", "19.99"),
}
EXPECTED_TOTAL = "746.52"


def _page_preview(client, shopper):
    client.force_login(shopper)
    summary = client.get(reverse("orders:checkout")).context["summary"]
    lines = {i.sku.pk: (str(i.unit_price), str(i.line_amount)) for i in summary.items}
    stores = {
        g.store.pk: (str(g.goods_amount), str(g.freight), str(g.total_amount))
        for g in summary.groups
    }
    return lines, stores, str(summary.total_amount)


def _api_preview(api_client, shopper):
    api_client.force_authenticate(shopper)
    data = api_client.get(reverse("api-checkout-preview")).json()
    lines = {
        i["sku_id"]: (i["unit_price"], i["line_amount"]) for g in data["groups"] for i in g["items"]
    }
    stores = {
        g["store"]["id"]: (g["goods_amount"], g["freight"], g["total_amount"])
        for g in data["groups"]
    }
    return lines, stores, data["total_amount"]


def _checkout(api_client, shopper, address):
    api_client.force_authenticate(shopper)
    response = api_client.post(
        reverse("api-checkout"),
        {"address_id": address.pk},
        format="json",
        headers={"Idempotency-Key": "agree-0001"},
    )
    assert response.status_code == 201, response.content
    payment_order = PaymentOrder.objects.get(number=response.json()["number"])
    lines = {
        line.sku_id: (str(line.unit_price), str(line.line_amount))
        for line in OrderLine.objects.filter(order__payment_order=payment_order)
    }
    stores = {
        o.store_id: (str(o.goods_amount), str(o.freight_amount), str(o.total_amount))
        for o in payment_order.orders.all()
    }
    return lines, stores, str(payment_order.amount)


def test_page_preview_api_preview_and_checkout_agree_to_the_fen(
    client, api_client, shopper, address, store_a, store_b, store_c, cart_of_three_stores
):
    # given the expected prices, worked out by hand
    skus = cart_of_three_stores
    expected_lines = {skus[name].pk: prices for name, prices in EXPECTED_LINES.items()}
    store_ids = {"a": store_a.pk, "b": store_b.pk, "c": store_c.pk}
    expected_stores = {store_ids[key]: sums for key, sums in EXPECTED_STORES.items()}
    expected = (expected_lines, expected_stores, EXPECTED_TOTAL)
    client.force_login(shopper)
    cart_page = client.get(reverse("orders:cart")).context["summary"]

    # when the same cart is priced by the page preview, the API preview, then placed
    page = _page_preview(client, shopper)
    api = _api_preview(api_client, shopper)
    placed = _checkout(api_client, shopper, address)

    # then all three agree with each other and with the hand-worked figures
    assert page == expected
    assert api == expected
    assert placed == expected
    assert {i.sku.pk: (str(i.unit_price), str(i.line_amount)) for i in cart_page.items} == (
        expected_lines
    )


def test_a_discount_enters_once_and_every_path_carries_it(
    client, api_client, shopper, address, store_a, cart_of_three_stores, monkeypatch
):
    # given a discount source (what the promotions app will plug in): 10.00 off store A's lines
    skus = cart_of_three_stores

    def store_a_promotion(*, cart, lines, coupon_ids=None):
        keys = frozenset(line.key for line in lines if line.store_id == store_a.pk)
        funder = f"store:{store_a.pk}"
        discount = PromoDiscount(
            code="promotion:1", funder=funder, amount=Decimal("10"), line_keys=keys
        )
        return DiscountPlan(discounts=(discount,))

    monkeypatch.setattr(selectors, "cart_discounts", store_a_promotion)

    # when previewed through the API and placed
    api_client.force_authenticate(shopper)
    preview = api_client.get(reverse("api-checkout-preview")).json()
    _lines, _stores, amount = _checkout(api_client, shopper, address)

    # then 10.00 is spread over rice (660.00) and beans (9.99) pro rata, remainder on rice,
    # the same in the preview and on the stored lines, and the totals drop by exactly 10.00
    previewed = {
        i["sku_id"]: (i["discount_amount"], i["paid_amount"])
        for g in preview["groups"]
        for i in g["items"]
    }
    stored = {
        line.sku_id: (str(line.discount_amount), str(line.paid_amount))
        for line in OrderLine.objects.filter(order__buyer=shopper)
    }
    assert stored == previewed
    assert stored[skus["rice"].pk] == ("9.86", "650.14")
    assert stored[skus["beans"].pk] == ("0.14", "9.85")
    assert stored[skus["honey"].pk] == ("0.00", "19.99")
    order_a = Order.objects.get(buyer=shopper, store=store_a)
    assert (str(order_a.discount_amount), str(order_a.total_amount)) == ("10.00", "678.99")
    assert preview["discount_amount"] == "10.00"
    assert preview["total_amount"] == amount == "736.52"


# --- Query ceilings: the figures before the pricing home, or lower ------------------------------
# (measured on this cart before the refactor: cart page 9, checkout page 18, API cart 6,
# API preview 15, placing 32 queries; promotions then added 3 reads for a signed-in shopper's
# cart: held coupons, running spend-and-save tiers, running limited-time prices)


@pytest.mark.parametrize(
    ("what", "ceiling"),
    [("cart", 12), ("checkout", 17), ("api_cart", 9), ("api_preview", 14)],
)
def test_pricing_pages_keep_their_query_ceiling(
    client, api_client, shopper, cart_of_three_stores, django_assert_max_num_queries, what, ceiling
):
    client.force_login(shopper)
    api_client.force_authenticate(shopper)
    urls = {
        "cart": (client, reverse("orders:cart")),
        "checkout": (client, reverse("orders:checkout")),
        "api_cart": (api_client, reverse("api-cart")),
        "api_preview": (api_client, reverse("api-checkout-preview")),
    }
    http, url = urls[what]
    http.get(url)  # the session's cart count is written once

    with django_assert_max_num_queries(ceiling):
        response = http.get(url)

    assert response.status_code == 200


def test_placing_keeps_its_query_ceiling(
    shopper, address, cart_of_three_stores, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30):
        payment_order = place(shopper, address)

    assert payment_order.amount == Decimal(EXPECTED_TOTAL)
