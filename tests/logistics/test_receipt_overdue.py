"""Auto-receipt and the overdue flags: the two logistics beat jobs, through their task code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.logistics.models import Carrier, Shipment, ShipmentEvent
from apps.logistics.tasks import orders_auto_receipt_task, shipments_flag_overdue_task
from apps.orders.models import Order, OrderEvent
from apps.settlement.models import LedgerEntry


def deliver(order: Order, *, days_ago: float) -> Order:
    """Given: the order was delivered `days_ago` days ago (arranged directly in the database)."""
    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.DELIVERED,
        shipped_at=timezone.now() - timedelta(days=days_ago + 1),
        delivered_at=timezone.now() - timedelta(days=days_ago),
    )
    order.refresh_from_db()
    return order


def parcel(order: Order, *, status=Shipment.Status.CREATED, number="SF1234567890123", **fields):
    return Shipment.objects.create(
        order=order,
        store=order.store,
        carrier=Carrier.objects.get(code="sf"),
        tracking_number=number,
        delivery_method=order.delivery_method,
        status=status,
        **fields,
    )


def test_auto_receipt_completes_orders_delivered_ten_days_ago(order_a, settings):
    settings.LOGISTICS_AUTO_RECEIPT_DAYS = 10
    due = deliver(order_a, days_ago=10.01)

    assert orders_auto_receipt_task.delay().get() == 1

    due.refresh_from_db()
    assert due.status == Order.Status.COMPLETED
    event = OrderEvent.objects.filter(order=due, kind="completed").get()
    assert event.actor is None
    assert event.reason == "自动确认收货"
    # Completing books the merchant's settlement (order_completed → settlement).
    assert LedgerEntry.objects.filter(order=due).exists()


def test_auto_receipt_leaves_recent_and_undelivered_orders(order_a, settings, shopper, address):
    settings.LOGISTICS_AUTO_RECEIPT_DAYS = 10
    recent = deliver(order_a, days_ago=9.9)

    assert orders_auto_receipt_task.delay().get() == 0

    recent.refresh_from_db()
    assert recent.status == Order.Status.DELIVERED
    assert not OrderEvent.objects.filter(order=recent, kind="completed").exists()


def test_auto_receipt_setting_changes_the_delay(order_a, settings):
    settings.LOGISTICS_AUTO_RECEIPT_DAYS = 3
    deliver(order_a, days_ago=3.5)

    assert orders_auto_receipt_task.delay().get() == 1


def test_not_collected_within_48_hours_of_payment_is_flagged_once(order_a, settings):
    settings.LOGISTICS_COLLECT_DEADLINE_HOURS = 48
    Order.objects.filter(pk=order_a.pk).update(paid_at=timezone.now() - timedelta(hours=49))
    late = parcel(order_a)

    assert shipments_flag_overdue_task.delay().get() == [1, 0]
    assert shipments_flag_overdue_task.delay().get() == [0, 0]  # idempotent

    late.refresh_from_db()
    assert late.is_overdue
    assert late.overdue_reason == "付款后 48 小时未揽收"
    assert ShipmentEvent.objects.filter(shipment=late, kind="overdue").count() == 1


def test_parcel_paid_recently_is_not_overdue(order_a):
    Order.objects.filter(pk=order_a.pk).update(paid_at=timezone.now() - timedelta(hours=47))
    shipment = parcel(order_a)

    assert shipments_flag_overdue_task.delay().get() == [0, 0]

    shipment.refresh_from_db()
    assert not shipment.is_overdue


@pytest.mark.parametrize(
    ("status", "hours_silent", "expected"),
    [
        (Shipment.Status.IN_TRANSIT, 73, True),
        (Shipment.Status.IN_TRANSIT, 71, False),
        (Shipment.Status.OUT_FOR_DELIVERY, 80, True),
        (Shipment.Status.AT_PICKUP_POINT, 200, False),
        (Shipment.Status.DELIVERED, 200, False),
    ],
)
def test_no_scan_for_72_hours_is_flagged(order_a, settings, status, hours_silent, expected):
    settings.LOGISTICS_SILENCE_HOURS = 72
    shipment = parcel(
        order_a, status=status, last_event_at=timezone.now() - timedelta(hours=hours_silent)
    )

    shipments_flag_overdue_task.delay().get()

    shipment.refresh_from_db()
    assert shipment.is_overdue is expected
    assert shipment.overdue_reason == ("72 小时无物流更新" if expected else "")


def test_flag_clears_when_a_scan_arrives(order_a):
    shipment = parcel(
        order_a,
        status=Shipment.Status.IN_TRANSIT,
        last_event_at=timezone.now() - timedelta(hours=100),
    )
    shipments_flag_overdue_task.delay().get()
    Shipment.objects.filter(pk=shipment.pk).update(last_event_at=timezone.now())

    assert shipments_flag_overdue_task.delay().get() == [0, 1]

    shipment.refresh_from_db()
    assert not shipment.is_overdue
    kinds = list(ShipmentEvent.objects.filter(shipment=shipment).values_list("kind", flat=True))
    assert kinds == ["overdue", "overdue_cleared"]


def test_staff_filter_orders_paid_long_ago_and_not_shipped(client, staff, order_a, settings):
    settings.LOGISTICS_COLLECT_DEADLINE_HOURS = 48
    Order.objects.filter(pk=order_a.pk).update(paid_at=timezone.now() - timedelta(hours=50))
    client.force_login(staff)

    late = client.get("/admin/orders/order/", {"ship_late": "yes"}).context["cl"].result_list
    Order.objects.filter(pk=order_a.pk).update(paid_at=timezone.now() - timedelta(hours=10))
    fresh = client.get("/admin/orders/order/", {"ship_late": "yes"}).context["cl"].result_list

    assert [o.pk for o in late] == [order_a.pk]
    assert list(fresh) == []


def test_staff_filter_parcels_by_overdue_reason(client, staff, order_a):
    Order.objects.filter(pk=order_a.pk).update(paid_at=timezone.now() - timedelta(hours=49))
    late = parcel(order_a)
    shipments_flag_overdue_task.delay().get()
    client.force_login(staff)

    listed = (
        client.get("/admin/logistics/shipment/", {"overdue_reason": "付款后 48 小时未揽收"})
        .context["cl"]
        .result_list
    )

    assert [s.pk for s in listed] == [late.pk]
