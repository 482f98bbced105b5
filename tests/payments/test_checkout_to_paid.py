"""From a real checkout (orders.order_place) to two paid store orders, through the pages."""

import pytest

from apps.catalog.models import Sku
from apps.orders.models import Order
from tests.orders.conftest import fill_cart, make_address, make_sku, place

pytestmark = pytest.mark.django_db


def test_a_checkout_across_two_stores_is_paid_once_in_the_sandbox(
    client, shopper, store_a, store_b, divisions, sandbox_over_test_client, after_commit
):
    rice = make_sku(store_a, price="59.90", stock=10)
    oranges = make_sku(store_b, price="69.90", stock=10)
    fill_cart(shopper, (rice, 1), (oranges, 2))
    payment_order = place(shopper, make_address(shopper))
    client.force_login(shopper)

    start = client.post(f"/pay/{payment_order.number}/", {"provider": "sandbox"})
    with after_commit():
        click = client.post(start["Location"], {"outcome": "paid"})
    result = client.get(click["Location"])

    assert "支付成功" in result.content.decode()
    payment_order.refresh_from_db()
    assert payment_order.status == "paid"
    orders = Order.objects.filter(payment_order=payment_order).order_by("store_id")
    assert [(o.store, o.status) for o in orders] == [(store_a, "paid"), (store_b, "paid")]
    assert sum(o.total_amount for o in orders) == payment_order.amount
    # Paid orders still hold their stock until shipped.
    assert list(Sku.objects.order_by("pk").values_list("stock", "reserved")) == [(10, 1), (10, 2)]
