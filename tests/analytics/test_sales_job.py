"""The sales job: net of refunds, per paid day in Asia/Shanghai, exact distinct counts per store
and for the platform; idempotent and incremental."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.analytics.models import JobRun, SalesDaily, SalesDailyTotal
from apps.analytics.services.sales import sales_aggregate
from apps.orders.models import Order
from apps.orders.services.lifecycle import order_record_refund
from tests.analytics.conftest import buy, shanghai
from tests.factories import UserFactory
from tests.orders.conftest import make_sku

pytestmark = pytest.mark.postgres

DAY = dt.date(2024, 3, 1)


@pytest.fixture
def trade(store_a, store_b, shopper, divisions):
    """Day 1: the shopper buys 3 × A (10 元); a second buyer 2 × A and 1 × B (25 元)."""
    sku_a = make_sku(store_a, price="10.00", stock=100)
    sku_b = make_sku(store_b, price="25.00", stock=100)
    other = UserFactory(name="顾客小李")
    (first,) = buy(shopper, [(sku_a, 3)], paid_at=shanghai(DAY, 9))
    second_a, second_b = buy(other, [(sku_a, 2), (sku_b, 1)], paid_at=shanghai(DAY, 23, 30))
    return {"sku_a": sku_a, "sku_b": sku_b, "orders": (first, second_a, second_b)}


def _totals():
    return list(
        SalesDailyTotal.objects.order_by("date", "store_id").values_list(
            "date", "store", "gmv", "orders"
        )
    )


def total(day, store=None):
    row = SalesDailyTotal.objects.get(date=day, store=store)
    return row.quantity, row.gmv, row.orders, row.buyers


def test_cells_and_totals_of_a_day(trade, store_a, store_b):
    # when
    run = sales_aggregate()

    # then
    cell = SalesDaily.objects.get(date=DAY, product=trade["sku_a"].product)
    assert (cell.store, cell.category) == (store_a, trade["sku_a"].product.category)
    assert (cell.quantity, cell.gmv, cell.orders, cell.buyers) == (5, Decimal("50.00"), 2, 2)
    assert (cell.region_code, cell.region_name) == ("230184", "五常市")
    assert total(DAY, store_a) == (5, Decimal("50.00"), 2, 2)
    assert total(DAY, store_b) == (1, Decimal("25.00"), 1, 1)
    assert total(DAY) == (6, Decimal("75.00"), 3, 2)  # the platform: two buyers, not three
    assert (run.rows, run.date_from) == (1 + 1 + 3, DAY)


def test_refunds_are_netted_pro_rata_on_the_paid_day(trade, store_a):
    # given: 10 元 of the shopper's 30 元 order refunded (no pieces back)
    first = trade["orders"][0]
    order_record_refund(
        order=first, amount=Decimal("10.00"), lines={}, restock=False, reference="AS-1"
    )

    # when
    sales_aggregate()

    # then: 30 × (1 − 10/30) = 20 for the first order, 20 for the second
    assert total(DAY, store_a) == (5, Decimal("40.00"), 2, 2)


def test_the_paid_day_is_the_shanghai_day(store_a, shopper, divisions):
    sku = make_sku(store_a, price="10.00")
    buy(shopper, [(sku, 1)], paid_at=shanghai(DAY, 23, 59))  # 15:59 UTC on Mar 1
    buy(shopper, [(sku, 1)], paid_at=shanghai(DAY + dt.timedelta(days=1), 0, 1))  # Mar 1 16:01 UTC

    sales_aggregate()

    assert total(DAY, store_a)[0] == 1
    assert total(DAY + dt.timedelta(days=1), store_a)[0] == 1


def test_unpaid_orders_count_for_nothing(store_a, shopper, divisions):
    from apps.orders.services.cart import cart_add, cart_get_or_create
    from apps.orders.services.checkout import order_place
    from tests.orders.conftest import make_address

    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, sku_id=make_sku(store_a).pk, quantity=1)
    order_place(
        buyer=shopper, cart=cart, address=make_address(shopper), idempotency_key="unpaid-order-1"
    )

    run = sales_aggregate()

    assert run.rows == 0
    assert not SalesDaily.objects.exists()


def test_runs_are_idempotent_and_an_incremental_run_recomputes_only_touched_days(
    trade, store_a, shopper
):
    # given: an older day aggregated alongside
    old_day = DAY - dt.timedelta(days=5)
    buy(shopper, [(trade["sku_a"], 1)], paid_at=shanghai(old_day))
    sales_aggregate()
    before = _totals()
    # an hour passes (beyond the watermark's safety margin)
    Order.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))

    # when: nothing changed
    idle = sales_aggregate()

    # then
    assert (idle.rows, idle.date_from) == (0, None)
    assert _totals() == before

    # when: a refund on DAY
    order_record_refund(
        order=trade["orders"][1], amount=Decimal("20.00"), lines={}, restock=False, reference="R"
    )
    incremental = sales_aggregate()

    # then: only DAY on is recomputed, and it matches a full rebuild
    assert incremental.date_from == DAY
    assert total(old_day, store_a) == (1, Decimal("10.00"), 1, 1)
    assert total(DAY, store_a) == (5, Decimal("30.00"), 2, 2)
    after = _totals()
    sales_aggregate(full=True)
    assert _totals() == after
    assert JobRun.objects.filter(job="sales_daily").count() == 4
