"""THE oversell test: real threads, each with its own PostgreSQL connection."""

import os
import threading
import time

import pytest
from django.db import connections

from apps.core.errors import ApplicationError
from apps.orders.models import Order, PaymentOrder
from apps.orders.services.checkout import order_place
from tests.factories import UserFactory
from tests.orders.conftest import fill_cart, make_address, make_sku, sku_state

BUYERS = 100
STOCK = 30
# PostgreSQL's default max_connections is 100 and other suites share the server, so at most
# this many of the 100 buyer threads hold a connection at the same moment (each opens its own
# and closes it when done). Raise it where the server allows more.
MAX_CONNECTIONS = int(os.environ.get("ORDERS_CONCURRENCY_MAX_CONNECTIONS", "40"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_100_concurrent_buyers_cannot_oversell_30_in_stock(store_a, divisions):
    # given one SKU with 30 in stock and 100 buyers, each with it in the cart
    sku = make_sku(store_a, price="9.90", stock=STOCK)
    buyers = [UserFactory() for _ in range(BUYERS)]
    setups = [(buyer, fill_cart(buyer, (sku, 1)), make_address(buyer)) for buyer in buyers]
    start = threading.Barrier(BUYERS)
    gate = threading.BoundedSemaphore(MAX_CONNECTIONS)
    results: list[tuple[str, str]] = [("not run", "")] * BUYERS

    def buy(index: int) -> None:
        buyer, cart, address = setups[index]
        start.wait()
        with gate:
            try:
                payment_order = order_place(
                    buyer=buyer,
                    cart=cart,
                    address=address,
                    idempotency_key=f"concurrent-buyer-{index:03d}",
                )
                results[index] = ("ok", payment_order.number)
            except ApplicationError as exc:
                results[index] = (exc.code, exc.message)
            except Exception as exc:
                results[index] = ("crash", repr(exc))
            finally:
                connections.close_all()

    # when they all check out at once
    threads = [threading.Thread(target=buy, args=(i,)) for i in range(BUYERS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - began

    # then exactly 30 succeed, 70 get a clear out-of-stock answer, nothing is oversold
    outcomes = [code for code, _message in results]
    assert outcomes.count("ok") == STOCK, results
    assert outcomes.count("out_of_stock") == BUYERS - STOCK, results
    refusal = next(message for code, message in results if code == "out_of_stock")
    assert sku.product.title in refusal
    assert "售罄" in refusal or "库存不足" in refusal
    stock, reserved = sku_state(sku)
    assert (stock, reserved, stock - reserved) == (STOCK, STOCK, 0)
    assert PaymentOrder.objects.count() == STOCK
    assert Order.objects.count() == STOCK
    assert elapsed < 20
