from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.orders.models import Order, OrderEvent, OrderLine, PaymentOrder
from apps.orders.services.lifecycle import (
    order_cancel,
    order_confirm_receipt,
    order_lines_ship,
    order_mark_delivered,
    order_record_refund,
    payment_order_mark_paid,
)
from apps.orders.signals import order_cancelled, order_completed, order_paid, order_refunded
from apps.orders.tasks import payment_orders_cancel_expired_task
from tests.orders.conftest import fill_cart, make_sku, place, sku_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Signals caught during a test: [(signal name, kwargs)]."""
    caught = []
    handlers = {}
    for name, signal in [
        ("paid", order_paid),
        ("cancelled", order_cancelled),
        ("completed", order_completed),
        ("refunded", order_refunded),
    ]:

        def handler(sender, _name=name, **kwargs):
            caught.append((_name, kwargs))

        handlers[name] = handler
        signal.connect(handler, weak=False)
    yield caught
    for name, signal in [
        ("paid", order_paid),
        ("cancelled", order_cancelled),
        ("completed", order_completed),
        ("refunded", order_refunded),
    ]:
        signal.disconnect(handlers[name])


@pytest.fixture
def two_store_checkout(shopper, store_a, store_b, address):
    rice = make_sku(store_a, price="20.00", stock=10)
    oranges = make_sku(store_b, price="30.00", stock=10)
    fill_cart(shopper, (rice, 2), (oranges, 1))
    return place(shopper, address), rice, oranges


def test_mark_paid_pays_every_order_once(two_store_checkout, received):
    payment_order, _rice, _oranges = two_store_checkout
    paid_at = timezone.now()

    payment_order_mark_paid(payment_order=payment_order, paid_at=paid_at, reference="SANDBOX-1")
    again = payment_order_mark_paid(payment_order=payment_order, paid_at=paid_at, reference="X")

    assert again.status == PaymentOrder.Status.PAID
    assert set(payment_order.orders.values_list("status", flat=True)) == {"paid"}
    assert OrderEvent.objects.filter(kind="paid").count() == 2
    assert OrderEvent.objects.filter(kind="paid", payload__reference="SANDBOX-1").count() == 2
    assert [name for name, _kwargs in received] == ["paid", "paid"]


def test_mark_paid_counts_sales_once_for_the_sales_sort(two_store_checkout):
    payment_order, rice, oranges = two_store_checkout

    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())

    rice.product.refresh_from_db()
    oranges.product.refresh_from_db()
    assert (rice.product.sales_count, oranges.product.sales_count) == (2, 1)


def test_mark_paid_of_a_cancelled_payment_order_raises_for_a_refund(
    two_store_checkout, shopper, received
):
    payment_order, rice, _oranges = two_store_checkout
    order_cancel(order=payment_order.orders.first(), actor=shopper)

    with pytest.raises(ApplicationError) as exc:
        payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())

    assert exc.value.code == "payment_order_cancelled"
    assert set(payment_order.orders.values_list("status", flat=True)) == {"cancelled"}
    assert sku_state(rice) == (10, 0)


def test_cancel_before_payment_cancels_the_checkout_and_releases_stock(
    two_store_checkout, shopper, received
):
    payment_order, rice, oranges = two_store_checkout
    assert sku_state(rice) == (10, 2)

    order_cancel(order=payment_order.orders.first(), actor=shopper, reason="买错了")

    payment_order.refresh_from_db()
    assert payment_order.status == PaymentOrder.Status.CANCELLED
    assert set(payment_order.orders.values_list("status", flat=True)) == {"cancelled"}
    assert sku_state(rice) == (10, 0)
    assert sku_state(oranges) == (10, 0)
    assert OrderEvent.objects.filter(kind="cancelled", reason="买错了", actor=shopper).count() == 2
    assert [name for name, _kwargs in received] == ["cancelled", "cancelled"]


def test_another_shopper_cannot_cancel(two_store_checkout):
    from tests.factories import UserFactory

    payment_order, rice, _oranges = two_store_checkout
    with pytest.raises(ApplicationError) as exc:
        order_cancel(order=payment_order.orders.first(), actor=UserFactory())
    assert exc.value.status_code == 403
    assert sku_state(rice) == (10, 2)


def test_paid_order_cannot_be_cancelled(two_store_checkout, shopper):
    payment_order, rice, _oranges = two_store_checkout
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())

    with pytest.raises(ApplicationError) as exc:
        order_cancel(order=payment_order.orders.first(), actor=shopper)

    assert exc.value.code == "orders_invalid_transition"
    assert sku_state(rice) == (10, 2)


def test_timeout_task_cancels_only_expired_unpaid_checkouts(
    shopper, store_a, address, settings, received
):
    # given three checkouts: expired, fresh, and expired-but-paid
    sku = make_sku(store_a, stock=10)
    fill_cart(shopper, (sku, 1))
    expired = place(shopper, address, key="expired-0000001")
    fill_cart(shopper, (sku, 2))
    fresh = place(shopper, address, key="fresh-000000001")
    fill_cart(shopper, (sku, 3))
    paid = place(shopper, address, key="paid-0000000001")
    payment_order_mark_paid(payment_order=paid, paid_at=timezone.now())
    past = timezone.now() - timedelta(minutes=1)
    PaymentOrder.objects.filter(pk__in=[expired.pk, paid.pk]).update(expires_at=past)
    assert sku_state(sku) == (10, 6)

    # when the beat task runs (its real function, eagerly)
    cancelled = payment_orders_cancel_expired_task.delay().get()

    # then only the expired unpaid one is cancelled and its 1 piece released
    assert cancelled == 1
    statuses = dict(PaymentOrder.objects.values_list("pk", "status"))
    assert statuses == {expired.pk: "cancelled", fresh.pk: "pending", paid.pk: "paid"}
    assert sku_state(sku) == (10, 5)
    event = OrderEvent.objects.get(kind="timeout")
    assert (event.actor, event.reason) == (None, "超时未支付，系统自动取消")
    assert payment_orders_cancel_expired_task.delay().get() == 0


def test_periodic_task_is_scheduled_every_minute_by_default(settings):
    from config.celery import build_beat_schedule

    schedule = build_beat_schedule(settings.PERIODIC_TASKS)
    entry = schedule["orders-cancel-expired-payment-orders"]
    assert entry["task"] == "apps.orders.tasks.payment_orders_cancel_expired_task"
    assert entry["schedule"] == 60.0
    assert settings.ORDER_PAYMENT_TIMEOUT_MINUTES == 30


def test_payment_deadline_follows_the_setting(shopper, store_a, address, settings):
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 5
    sku = make_sku(store_a, stock=10)
    fill_cart(shopper, (sku, 1))
    before = timezone.now()

    payment_order = place(shopper, address)

    assert before + timedelta(minutes=5) <= payment_order.expires_at
    assert payment_order.expires_at <= timezone.now() + timedelta(minutes=5)


def test_ship_decrements_stock_and_reservation(two_store_checkout, merchant_a):
    payment_order, rice, _oranges = two_store_checkout
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get(store__members__user=merchant_a)

    order_lines_ship(
        order=order,
        quantities=None,
        actor=merchant_a,
        reference="sf:SF1234567890",
        payload={"carrier_name": "顺丰速运", "tracking_number": "SF1234567890"},
    )

    order.refresh_from_db()
    assert (order.status, order.carrier_name, order.tracking_number) == (
        "shipped",
        "顺丰速运",
        "SF1234567890",
    )
    assert order.shipped_at is not None
    assert sku_state(rice) == (8, 0)
    assert OrderEvent.objects.get(order=order, kind="shipped").actor == merchant_a


def test_merchant_of_another_store_cannot_ship(two_store_checkout, merchant_a, merchant_b):
    payment_order, rice, _oranges = two_store_checkout
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get(store__members__user=merchant_a)

    with pytest.raises(ApplicationError) as exc:
        order_lines_ship(order=order, quantities=None, actor=merchant_b)

    assert exc.value.status_code == 403
    order.refresh_from_db()
    assert order.status == "paid"
    assert sku_state(rice) == (10, 2)


@pytest.mark.parametrize("quantity", [0, -1, 3])
def test_ship_refuses_quantities_beyond_what_is_left(two_store_checkout, merchant_a, quantity):
    payment_order, rice, _oranges = two_store_checkout
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get(store__members__user=merchant_a)
    line = order.lines.get()

    with pytest.raises(ApplicationError) as exc:
        order_lines_ship(order=order, quantities={line.pk: quantity}, actor=merchant_a)

    assert exc.value.code == "orders_invalid_ship_quantity"
    assert list(exc.value.fields["lines"]) == [str(line.pk)]
    assert sku_state(rice) == (10, 2)
    assert OrderLine.objects.get(pk=line.pk).shipped_quantity == 0
    assert not OrderEvent.objects.filter(order=order, kind="shipment").exists()


def test_partly_shipped_then_rest_refunded_releases_reservation_and_ships_the_order(
    shopper, store_a, address, merchant_a
):
    # given a paid order of 3 × 10.00, one piece shipped
    sku = make_sku(store_a, price="10.00", stock=10)
    fill_cart(shopper, (sku, 3))
    payment_order = place(shopper, address)
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get()
    line = order.lines.get()
    order = order_lines_ship(order=order, quantities={line.pk: 1}, actor=merchant_a)
    assert (order.status, sku_state(sku)) == ("paid", (9, 2))

    # when the two unshipped pieces are refunded
    order = order_record_refund(
        order=order, amount=Decimal("20.00"), lines={line.pk: 2}, restock=True, reference="AS-P"
    )

    # then their reservation goes back (not the stock: they never left) and the order is
    # shipped, since everything not refunded is out
    line.refresh_from_db()
    assert (line.shipped_quantity, line.refunded_quantity) == (1, 2)
    assert sku_state(sku) == (9, 0)
    assert order.status == "shipped"


def test_unpaid_order_cannot_be_shipped(two_store_checkout, merchant_a):
    payment_order, rice, _oranges = two_store_checkout
    order = payment_order.orders.get(store__members__user=merchant_a)

    with pytest.raises(ApplicationError) as exc:
        order_lines_ship(order=order, quantities=None, actor=merchant_a)

    assert exc.value.code == "orders_invalid_transition"
    assert sku_state(rice) == (10, 2)


def test_delivered_then_confirmed_completes_and_signals(
    two_store_checkout, shopper, merchant_a, received
):
    payment_order, _rice, _oranges = two_store_checkout
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get(store__members__user=merchant_a)
    order_lines_ship(order=order, quantities=None, actor=merchant_a)
    order_mark_delivered(order=order, actor=merchant_a)
    received.clear()

    order = order_confirm_receipt(order=order, actor=shopper)

    assert order.status == "completed"
    assert order.completed_at is not None
    assert [(name, kwargs["order"].pk) for name, kwargs in received] == [("completed", order.pk)]
    assert list(order.events.values_list("to_status", flat=True)) == [
        "pending_payment",
        "paid",
        "paid",  # the parcel (kind "shipment"), then the move once every line is out
        "shipped",
        "delivered",
        "completed",
    ]


def test_confirm_receipt_before_shipping_is_refused(two_store_checkout, shopper):
    payment_order, _rice, _oranges = two_store_checkout
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())

    with pytest.raises(ApplicationError) as exc:
        order_confirm_receipt(order=payment_order.orders.first(), actor=shopper)

    assert exc.value.code == "orders_invalid_transition"


def test_full_refund_before_shipping_releases_stock_and_closes(
    two_store_checkout, merchant_a, received
):
    payment_order, rice, _oranges = two_store_checkout
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get(store__members__user=merchant_a)
    line = order.lines.get()
    received.clear()

    order = order_record_refund(
        order=order,
        amount=Decimal("40.00"),
        lines={line.pk: 2},
        restock=False,
        reference="AS-1",
    )

    line.refresh_from_db()
    assert (line.refunded_quantity, line.refunded_amount) == (2, Decimal("40.00"))
    assert (order.refunded_amount, order.status) == (Decimal("40.00"), "cancelled")
    assert sku_state(rice) == (10, 0)
    assert [name for name, _kwargs in received] == ["refunded"]
    assert received[0][1]["amount"] == Decimal("40.00")
    assert received[0][1]["reference"] == "AS-1"


def test_partial_refund_after_shipping_restocks_and_is_idempotent(
    shopper, store_a, address, merchant_a
):
    # given a shipped order of 3 × 3.33 = 9.99
    sku = make_sku(store_a, price="3.33", stock=10)
    fill_cart(shopper, (sku, 3))
    payment_order = place(shopper, address)
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get()
    order_lines_ship(order=order, quantities=None, actor=merchant_a)
    line = order.lines.get()
    assert sku_state(sku) == (7, 0)

    # when one piece comes back and is refunded (twice: a replayed callback)
    for _ in range(2):
        order = order_record_refund(
            order=order, amount=Decimal("3.33"), lines={line.pk: 1}, restock=True, reference="AS-9"
        )

    line.refresh_from_db()
    assert (line.refunded_quantity, line.refunded_amount) == (1, Decimal("3.33"))
    assert (order.refunded_amount, order.status) == (Decimal("3.33"), "shipped")
    assert sku_state(sku) == (8, 0)
    assert OrderEvent.objects.filter(order=order, kind="refund").count() == 1

    # the last two pieces: the last share takes the remainder to the fen
    order = order_record_refund(
        order=order, amount=Decimal("6.66"), lines={line.pk: 2}, restock=False, reference="AS-10"
    )
    line.refresh_from_db()
    assert line.refunded_amount == line.paid_amount == Decimal("9.99")
    assert sku_state(sku) == (8, 0)


@pytest.mark.parametrize(
    ("amount", "quantity"),
    [("0", 1), ("-1", 1), ("40.01", 1), ("1.00", 3), ("1.00", -1)],
)
def test_refund_refuses_bad_amounts_and_quantities(
    two_store_checkout, merchant_a, amount, quantity
):
    payment_order, rice, _oranges = two_store_checkout
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get(store__members__user=merchant_a)
    line = order.lines.get()

    with pytest.raises(ApplicationError) as exc:
        order_record_refund(
            order=order,
            amount=Decimal(amount),
            lines={line.pk: quantity},
            restock=False,
            reference="AS-X",
        )

    assert exc.value.code == "orders_invalid_refund"
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("0.00")
    assert OrderLine.objects.get(pk=line.pk).refunded_quantity == 0
    assert sku_state(rice) == (10, 2)


def test_refund_of_a_line_of_another_order_is_refused(two_store_checkout, merchant_a):
    payment_order, _rice, _oranges = two_store_checkout
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    mine = payment_order.orders.get(store__members__user=merchant_a)
    other_line = OrderLine.objects.exclude(order=mine).get()

    with pytest.raises(ApplicationError):
        order_record_refund(
            order=mine,
            amount=Decimal("1.00"),
            lines={other_line.pk: 1},
            restock=False,
            reference="AS-Y",
        )
    assert Order.objects.filter(refunded_amount__gt=0).count() == 0
