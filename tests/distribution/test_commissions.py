"""Commission at payment: uplines snapshotted, one frozen record per line per level, the
rate precedence, the base, and never twice."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.distribution.models import (
    CommissionEvent,
    CommissionOverride,
    CommissionRecord,
    PromoterGrade,
)
from apps.distribution.services.commissions import commissions_create_for_order
from apps.distribution.services.config import config_update
from apps.distribution.services.promoters import promoter_appoint
from apps.orders.models import Order
from apps.orders.signals import order_paid
from tests.distribution.conftest import bind, brokerage_sku, make_promoter, place_paid
from tests.factories import UserFactory
from tests.orders.conftest import make_sku

pytestmark = pytest.mark.django_db
D = Decimal


def records(order) -> list[tuple]:
    return list(
        CommissionRecord.objects.filter(order=order)
        .order_by("line_id", "level")
        .values_list("level", "promoter__code", "base", "rate", "amount", "status")
    )


@pytest.fixture
def chain(config, shopper):
    """shopper → 甲 (level 1) → 乙 (level 2)."""
    top = make_promoter("乙")
    near = make_promoter("甲", upline=top)
    bind(shopper, near)
    return near, top


def test_payment_snapshots_uplines_and_freezes_two_levels(shopper, store_a, divisions, chain):
    near, top = chain
    sku = brokerage_sku(store_a, "59.90")

    order = place_paid(shopper, [(sku, 3)])

    assert records(order) == [
        (1, near.code, D("179.70"), D("10.00"), D("17.97"), "frozen"),
        (2, top.code, D("179.70"), D("5.00"), D("8.99"), "frozen"),
    ]
    order.refresh_from_db()
    assert (order.promoter_level1_id, order.promoter_level2_id) == (near.user_id, top.user_id)
    assert list(
        CommissionEvent.objects.filter(commission__order=order).values_list("kind", "to_status")
    ) == [("created", "frozen"), ("created", "frozen")]


def test_freight_is_not_in_the_base(shopper, store_a, divisions, chain):
    sku = brokerage_sku(store_a, "10.00")
    order = place_paid(shopper, [(sku, 1)])
    order.refresh_from_db()
    assert order.total_amount >= order.goods_amount
    assert CommissionRecord.objects.get(order=order, level=1).base == order.lines.get().paid_amount


def test_rebinding_after_payment_changes_nothing_on_that_order(
    shopper, store_a, divisions, chain, staff
):
    order = place_paid(shopper, [(brokerage_sku(store_a), 1)])
    other = make_promoter("丙")
    bind(shopper, other)

    assert commissions_create_for_order(order=order)[0].promoter == chain[0]
    order.refresh_from_db()
    assert order.promoter_level1_id == chain[0].user_id


def test_products_without_brokerage_earn_nothing(shopper, store_a, divisions, chain):
    order = place_paid(shopper, [(make_sku(store_a, price="50.00"), 1)])
    assert records(order) == []
    order.refresh_from_db()
    assert order.promoter_level1_id == chain[0].user_id  # still who brought the sale


def test_precedence_sku_fixed_then_product_fixed_then_grade_then_global(
    shopper, store_a, divisions, chain
):
    near, _top = chain
    grade = PromoterGrade.objects.create(name="金牌", level1_rate=D("20"), level2_rate=D("8"))
    near.grade = grade
    near.save(update_fields=["grade"])
    by_sku = brokerage_sku(store_a, "100.00")
    by_product = brokerage_sku(store_a, "100.00")
    by_grade = brokerage_sku(store_a, "100.00")
    switched_off = brokerage_sku(store_a, "100.00")
    CommissionOverride.objects.create(product=by_sku.product, level1_amount=D("1.00"))
    CommissionOverride.objects.create(
        product=by_sku.product, sku=by_sku, level1_amount=D("3.00"), level2_amount=D("0.50")
    )
    CommissionOverride.objects.create(product=by_product.product, level2_amount=D("2.00"))
    CommissionOverride.objects.create(product=switched_off.product, is_disabled=True)

    order = place_paid(shopper, [(by_sku, 2), (by_product, 1), (by_grade, 1), (switched_off, 1)])

    got = {
        (r.line.sku_id, r.level): (r.rate, r.fixed_amount, r.amount)
        for r in CommissionRecord.objects.filter(order=order).select_related("line")
    }
    assert got == {
        (by_sku.pk, 1): (None, D("3.00"), D("6.00")),  # SKU fixed × 2 pieces
        (by_sku.pk, 2): (None, D("0.50"), D("1.00")),
        (by_product.pk, 1): (D("20.00"), None, D("20.00")),  # no level-1 amount: grade rate
        (by_product.pk, 2): (None, D("2.00"), D("2.00")),  # product fixed
        (by_grade.pk, 1): (D("20.00"), None, D("20.00")),  # 甲's grade
        (by_grade.pk, 2): (D("5.00"), None, D("5.00")),  # 乙 has no grade: global
    }


@pytest.mark.parametrize(
    ("base", "expected"),
    [("paid", D("10.00")), ("sale_price", D("10.00")), ("profit", D("4.00"))],
)
def test_commission_base_from_config(shopper, store_a, divisions, chain, base, expected):
    config_update(actor=None, base=base)
    sku = brokerage_sku(store_a, "50.00")
    sku.cost_price = D("30.00")
    sku.save(update_fields=["cost_price"])
    order = place_paid(shopper, [(sku, 2)])
    assert CommissionRecord.objects.get(order=order, level=1).amount == expected


def test_one_level_only_and_self_purchase_rebate(shopper, store_a, divisions, chain):
    config_update(actor=None, levels=1, is_self_purchase_rebate=True)
    own = promoter_appoint(user=shopper, actor=None)
    order = place_paid(shopper, [(brokerage_sku(store_a, "20.00"), 1)])
    assert records(order) == [(1, own.code, D("20.00"), D("10.00"), D("2.00"), "frozen")]


def test_disabled_distribution_and_wholesale_orders_earn_nothing(
    shopper, store_a, divisions, chain
):
    config_update(actor=None, is_enabled=False)
    order = place_paid(shopper, [(brokerage_sku(store_a), 1)])
    assert records(order) == []
    config_update(actor=None, is_enabled=True)
    Order.objects.filter(pk=order.pk).update(is_wholesale=True)
    CommissionRecord.objects.filter(order=order).delete()
    assert commissions_create_for_order(order=order) == []


def test_a_repeated_signal_creates_nothing_twice(shopper, store_a, divisions, chain):
    order = place_paid(shopper, [(brokerage_sku(store_a), 2)])
    order_paid.send(sender=Order, order=order)
    commissions_create_for_order(order=order)
    assert CommissionRecord.objects.filter(order=order).count() == 2
    assert CommissionEvent.objects.filter(commission__order=order).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_signals_create_one_record_per_line_and_level(store_a, divisions):
    config_update(actor=None)
    buyer = UserFactory()
    bind(buyer, make_promoter("甲", upline=make_promoter("乙")))
    config_update(actor=None, is_enabled=False)
    order = place_paid(buyer, [(brokerage_sku(store_a), 1), (brokerage_sku(store_a), 1)])
    config_update(actor=None, is_enabled=True)
    barrier, errors = threading.Barrier(4), []

    def deliver():
        try:
            barrier.wait()
            commissions_create_for_order(order=order)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert CommissionRecord.objects.filter(order=order).count() == 4
