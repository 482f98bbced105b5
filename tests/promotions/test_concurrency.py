"""Limits under concurrency: real threads, each with its own PostgreSQL connection."""

import os
import threading
from decimal import Decimal

import pytest
from django.db import connections

from apps.core.errors import ApplicationError
from apps.orders.models import PaymentOrder
from apps.orders.services.checkout import order_place
from apps.promotions.models import Coupon, UserCoupon
from apps.promotions.services import coupon_claim
from tests.factories import StoreFactory, UserFactory
from tests.orders.conftest import fill_cart, make_address, make_sku
from tests.promotions.helpers import give_coupon, make_coupon

MAX_CONNECTIONS = int(os.environ.get("ORDERS_CONCURRENCY_MAX_CONNECTIONS", "40"))


def race(count: int, work) -> list[str]:
    """Run work(i) in `count` threads released together; each result is "ok" or an error code."""
    start = threading.Barrier(count)
    gate = threading.BoundedSemaphore(MAX_CONNECTIONS)
    results = ["not run"] * count

    def run(index: int) -> None:
        start.wait()
        with gate:
            try:
                work(index)
                results[index] = "ok"
            except ApplicationError as exc:
                results[index] = exc.code
            except Exception as exc:
                results[index] = f"crash {exc!r}"
            finally:
                connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_shoppers_racing_for_50_coupons_get_exactly_50():
    coupon = make_coupon(name="限量券", total_quantity=50)
    users = [UserFactory() for _ in range(200)]

    results = race(200, lambda i: coupon_claim(coupon=coupon, user=users[i]))

    assert results.count("ok") == 50, results
    assert results.count("promotions_coupon_exhausted") == 150, results
    coupon.refresh_from_db()
    assert coupon.issued_count == 50
    assert UserCoupon.objects.filter(coupon=coupon).count() == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_shopper_claiming_at_once_from_ten_tabs_gets_the_per_user_limit():
    coupon = make_coupon(name="每人两张", per_user_limit=2, total_quantity=100)
    user = UserFactory()

    results = race(10, lambda _i: coupon_claim(coupon=coupon, user=user))

    assert results.count("ok") == 2, results
    assert results.count("promotions_coupon_limit_reached") == 8, results
    coupon.refresh_from_db()
    assert (coupon.issued_count, UserCoupon.objects.filter(user=user).count()) == (2, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_checkouts_cannot_both_use_one_coupon(store_a, divisions):
    # given one shopper with one coupon and two carts' worth of goods... the same cart
    # submitted from two devices with different idempotency keys
    user = UserFactory()
    sku = make_sku(store_a, price="50.00", stock=100)
    cart = fill_cart(user, (sku, 2))
    address = make_address(user)
    holding = give_coupon(user, make_coupon(amount="10.00"))

    def buy(index: int) -> None:
        order_place(
            buyer=user,
            cart=cart,
            address=address,
            idempotency_key=f"two-devices-{index:03d}",
            coupon_ids=[holding.pk],
        )

    results = race(2, buy)

    # then one places with the coupon; the other is refused (the coupon was taken, or the
    # cart was already emptied by the first) and nothing of it stays
    assert sorted(results) in (
        ["ok", "promotions_coupon_taken"],  # both priced with it; the guarded UPDATE refused
        ["ok", "promotions_coupon_unusable"],  # priced after the first committed: not held
        ["ok", "orders_cart_empty"],  # the second read the cart after the first committed
    ), results
    assert PaymentOrder.objects.count() == 1
    holding.refresh_from_db()
    assert holding.status == "used"
    assert Coupon.objects.get(pk=holding.coupon_id).used_count == 1
    sku.refresh_from_db()
    assert sku.reserved == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_checkouts_racing_for_a_coupon_with_few_left_use_exactly_that_many(divisions):
    # given 40 shoppers with a cart each, and a coupon with 10 left (the bench runs 200 / 50
    # through HTTP: bench/checkout_bench.py "race")
    store = StoreFactory()
    sku = make_sku(store, price="50.00", stock=1000)
    coupon = make_coupon(name="限量券", amount="5.00", total_quantity=10)
    shoppers = []
    for _i in range(40):
        user = UserFactory()
        shoppers.append((user, fill_cart(user, (sku, 1)), make_address(user)))

    def claim_and_buy(index: int) -> None:
        user, cart, address = shoppers[index]
        try:
            coupon_claim(coupon=coupon, user=user)
        except ApplicationError as exc:
            if exc.code != "promotions_coupon_exhausted":
                raise
        order_place(buyer=user, cart=cart, address=address, idempotency_key=f"race-{index:04d}")

    # when each claims and checks out at once (the best combination takes a held coupon)
    results = race(40, claim_and_buy)

    # then all 40 place, exactly 10 with the coupon, and the counts agree
    assert results.count("ok") == 40, results
    coupon.refresh_from_db()
    assert (coupon.issued_count, coupon.used_count) == (10, 10)
    used = UserCoupon.objects.filter(coupon=coupon, status="used")
    assert used.count() == 10
    amounts = sorted(PaymentOrder.objects.values_list("amount", flat=True))
    assert amounts.count(Decimal("45.00")) == 10
    assert amounts.count(Decimal("50.00")) == 30
    sku.refresh_from_db()
    assert sku.reserved == 40
