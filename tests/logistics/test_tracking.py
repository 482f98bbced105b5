"""Tracking events: dedup, event-time order, the shipment following its latest scan, the
order delivered with its last parcel, exception flags and notices."""

import pytest

from apps.accounts.models import Notification
from apps.logistics.models import Shipment, ShipmentEvent, TrackingEvent
from apps.logistics.services.tracking import (
    IngestItem,
    TrackingInput,
    tracking_event_record,
    tracking_events_ingest,
)
from apps.orders.models import Order
from tests.logistics.tracking_helpers import NUMBER, hours_ago, ship

S = TrackingEvent.Status


def record(shipment, hours, status, text="", **kw):
    return tracking_event_record(
        shipment=shipment,
        occurred_at=hours_ago(hours),
        status=status,
        text=text,
        source=TrackingEvent.Source.MANUAL,
        **kw,
    )


def test_repeated_event_is_stored_once(order_a):
    shipment = ship(order_a)
    first, created = record(shipment, 5, S.COLLECTED, "已揽收")
    again, created_again = record(shipment, 5, S.COLLECTED, "已揽收")
    assert created is True
    assert created_again is False
    assert again.pk == first.pk
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1


def test_events_ordered_by_event_time_and_late_old_event_does_not_move_back(order_a):
    # given a parcel out for delivery
    shipment = ship(order_a)
    record(shipment, 2, S.OUT_FOR_DELIVERY, "派件中")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.OUT_FOR_DELIVERY
    # when older scans arrive late
    record(shipment, 10, S.COLLECTED, "已揽收")
    record(shipment, 6, S.IN_TRANSIT, "到达杭州")
    # then the status stays, and the scans read in event-time order
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.OUT_FOR_DELIVERY
    assert shipment.last_event_at == hours_ago(2)
    assert list(shipment.tracking.values_list("status", flat=True)) == [
        S.COLLECTED,
        S.IN_TRANSIT,
        S.OUT_FOR_DELIVERY,
    ]
    moves = ShipmentEvent.objects.filter(shipment=shipment, kind="tracking")
    assert [(m.from_status, m.to_status) for m in moves] == [("created", "out_for_delivery")]


def test_collected_stamps_time_of_scan(order_a):
    shipment = ship(order_a)
    record(shipment, 3, S.COLLECTED)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.COLLECTED
    assert shipment.collected_at == hours_ago(3)


def test_delivered_event_delivers_shipment_and_single_parcel_order(order_a):
    shipment = ship(order_a)
    record(shipment, 4, S.IN_TRANSIT)
    record(shipment, 1, S.DELIVERED, "本人签收")
    shipment.refresh_from_db()
    order_a.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert shipment.delivered_at == hours_ago(1)
    assert order_a.status == Order.Status.DELIVERED


def test_final_status_never_changes(order_a):
    shipment = ship(order_a)
    record(shipment, 3, S.DELIVERED)
    # a later scan (carrier mix-up) does not reopen a delivered parcel
    _event, created = record(shipment, 1, S.IN_TRANSIT, "转运中")
    shipment.refresh_from_db()
    assert created is True
    assert shipment.status == Shipment.Status.DELIVERED
    assert shipment.last_event_at == hours_ago(1)


def test_order_waits_for_every_parcel(shopper, address, store_a):
    from tests.logistics.conftest import make_sku, paid_order

    rice = make_sku(store_a, price="10.00", stock=50)
    oil = make_sku(store_a, price="25.00", stock=20)
    order = paid_order(shopper, address, (rice, 1), (oil, 1), key="tracking-two-parcels")
    lines = list(order.lines.order_by("pk"))
    first = ship(order, number="SF1000000000001", lines={lines[0].pk: 1})
    second = ship(order, number="SF1000000000002", lines={lines[1].pk: 1})
    record(first, 1, S.DELIVERED)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    record(second, 1, S.DELIVERED)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED


def test_exception_flags_and_notifies_members_and_staff(order_a, merchant_a, merchant_b, staff):
    shipment = ship(order_a)
    record(shipment, 2, S.EXCEPTION, "收件人电话无法接通")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.EXCEPTION
    assert shipment.has_exception is True
    assert shipment.exception_note == "收件人电话无法接通"
    exceptions = Notification.objects.filter(title__startswith="包裹异常")
    assert set(exceptions.values_list("user_id", flat=True)) == {merchant_a.pk, staff.pk}
    assert Notification.objects.get(user=merchant_a).title == f"包裹异常：顺丰速运 {NUMBER}"


def test_repeated_exception_notifies_once(order_a, merchant_a):
    shipment = ship(order_a)
    record(shipment, 2, S.EXCEPTION, "地址不详")
    record(shipment, 2, S.EXCEPTION, "地址不详")
    assert Notification.objects.filter(user=merchant_a).count() == 1


def test_late_exception_of_delivered_parcel_is_not_flagged(order_a, merchant_a):
    shipment = ship(order_a)
    record(shipment, 1, S.DELIVERED)
    record(shipment, 5, S.EXCEPTION, "派送延误")
    shipment.refresh_from_db()
    assert shipment.has_exception is False
    assert Notification.objects.filter(user=merchant_a).count() == 0


def test_recovery_after_exception_keeps_flag_until_delivered(order_a):
    shipment = ship(order_a)
    record(shipment, 5, S.EXCEPTION, "天气原因滞留")
    record(shipment, 3, S.IN_TRANSIT, "继续运输")
    shipment.refresh_from_db()
    assert (shipment.status, shipment.has_exception) == (Shipment.Status.IN_TRANSIT, True)
    record(shipment, 1, S.DELIVERED)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.has_exception) == (Shipment.Status.DELIVERED, False)


@pytest.mark.parametrize(
    ("status", "hours", "field"),
    [("lost", 1, "status"), ("collected", -5, "time")],
)
def test_invalid_event_is_refused(order_a, status, hours, field):
    from apps.core.errors import ApplicationError

    shipment = ship(order_a)
    with pytest.raises(ApplicationError) as caught:
        record(shipment, hours, status)
    assert list(caught.value.fields) == [field]
    assert TrackingEvent.objects.count() == 0


def test_ingest_reports_each_item_and_dedups_within_batch(order_a):
    shipment = ship(order_a)
    scan = TrackingInput(occurred_at=hours_ago(3), status=S.COLLECTED, text="揽收")
    items = [
        IngestItem("sf", NUMBER, scan),
        IngestItem("sf", NUMBER.lower(), scan),
        IngestItem("sf", "SF9999999999999", scan),
        IngestItem("zto", NUMBER, scan),
        IngestItem("sf", NUMBER, None, "格式错误"),
        IngestItem("sf", NUMBER, TrackingInput(occurred_at=hours_ago(1), status=S.IN_TRANSIT)),
    ]
    results = tracking_events_ingest(feed=None, items=items)
    assert [r.result for r in results] == [
        "created",
        "duplicate",
        "not_found",
        "not_found",
        "invalid",
        "created",
    ]
    assert results[4].message == "格式错误"
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.IN_TRANSIT
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 2
    # the same batch again: everything already stored
    again = tracking_events_ingest(feed=None, items=items)
    assert [r.result for r in again][:2] == ["duplicate", "duplicate"]
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 2
