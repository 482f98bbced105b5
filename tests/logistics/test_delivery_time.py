"""An order's delivery time is the carrier's scan time (issue 22): late pushes, CSV imports of
old scans and parcels reported out of order date it by the scans, auto-receipt counts from it,
and an exception the same batch follows with the delivery raises no notice."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Notification
from apps.logistics.models import Shipment, TrackingFeed
from apps.logistics.services.receipt import orders_auto_receipt
from apps.logistics.tasks import orders_auto_receipt_task
from apps.orders.models import Order, OrderEvent
from tests.logistics.test_tracking_csv import TRACKING_URL, upload
from tests.logistics.test_webhooks import SECRET, push, scan
from tests.logistics.tracking_helpers import NUMBER, SHANGHAI, hours_ago, ship


@pytest.fixture
def generic_feed(db):
    return TrackingFeed.objects.create(
        code="agg", name="聚合平台", adapter=TrackingFeed.Adapter.GENERIC, secret=SECRET
    )


def at(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def test_late_push_dates_the_order_by_the_scan_time(client, generic_feed, order_a):
    # given: a shipped order whose delivered scan (2 hours ago) is pushed only now
    shipment = ship(order_a)
    signed_for = hours_ago(2)

    # when
    response = push(client, [scan("delivered", at(signed_for), text="本人签收")])

    # then: parcel and order both carry the scan's time, not the time of the push
    assert response.json()["created"] == 1
    shipment.refresh_from_db()
    order_a.refresh_from_db()
    assert shipment.delivered_at == signed_for
    assert (order_a.status, order_a.delivered_at) == (Order.Status.DELIVERED, signed_for)
    assert OrderEvent.objects.filter(order=order_a, to_status="delivered").count() == 1


def test_csv_of_yesterdays_scans_dates_the_order_yesterday(client, merchant_a, order_a):
    # given: yesterday's scans in Beijing time, imported today by the merchant
    ship(order_a)
    yesterday = timezone.localdate() - timedelta(days=1)
    text = (
        "carrier,tracking_number,time,status,location,text\n"
        f"sf,{NUMBER},{yesterday} 08:10,collected,金华,已揽收\n"
        f"sf,{NUMBER},{yesterday} 13:00,in_transit,杭州,到达杭州\n"
        f"sf,{NUMBER},{yesterday:%Y/%m/%d} 18:05,已签收,杭州,本人签收\n"
    )
    client.force_login(merchant_a)

    # when
    report = upload(client, TRACKING_URL, text).context["report"]

    # then: the order was delivered yesterday at 18:05 Beijing time
    assert (report.created, report.errors) == (3, [])
    order_a.refresh_from_db()
    signed_for = datetime.combine(yesterday, time(18, 5), tzinfo=SHANGHAI)
    assert (order_a.status, order_a.delivered_at) == (Order.Status.DELIVERED, signed_for)
    # and auto-receipt counts its 10 days from that scan
    assert orders_auto_receipt(now=signed_for + timedelta(days=10, seconds=-1)) == 0
    assert orders_auto_receipt(now=signed_for + timedelta(days=10)) == 1
    order_a.refresh_from_db()
    assert order_a.status == Order.Status.COMPLETED


@pytest.mark.parametrize(
    ("scan_age", "completed"),
    [(timedelta(days=10, minutes=5), 1), (timedelta(days=10, minutes=-5), 0)],
)
def test_auto_receipt_job_completes_ten_days_after_the_scan(
    client, generic_feed, order_a, settings, scan_age, completed
):
    # given: a delivered scan pushed only now, dated (just over / just under) 10 days ago
    settings.LOGISTICS_AUTO_RECEIPT_DAYS = 10
    ship(order_a)
    push(client, [scan("delivered", at(timezone.now() - scan_age), text="本人签收")])

    # when: the beat job runs
    result = orders_auto_receipt_task.delay().get()

    # then: the order completes 10 days after the scan, not 10 days after the push
    order_a.refresh_from_db()
    assert result == completed
    expected = Order.Status.COMPLETED if completed else Order.Status.DELIVERED
    assert order_a.status == expected


def test_later_arriving_earlier_scan_does_not_move_the_delivery_time_forward(
    shopper, address, store_a
):
    from tests.logistics.conftest import make_sku, paid_order
    from tests.logistics.test_tracking import record

    # given: an order in two parcels; the first is signed for 3 hours ago
    rice = make_sku(store_a, price="10.00", stock=50)
    oil = make_sku(store_a, price="25.00", stock=20)
    order = paid_order(shopper, address, (rice, 1), (oil, 1), key="delivery-time-two-parcels")
    lines = list(order.lines.order_by("pk"))
    first = ship(order, number="SF1000000000001", lines={lines[0].pk: 1})
    second = ship(order, number="SF1000000000002", lines={lines[1].pk: 1})
    record(first, 3, "delivered", "本人签收")

    # when: the second parcel's delivery, 5 hours ago, is reported after it
    record(second, 5, "delivered", "快递柜签收")

    # then: the order was delivered when its last parcel was (3 hours ago), not now
    order.refresh_from_db()
    assert (order.status, order.delivered_at) == (Order.Status.DELIVERED, hours_ago(3))

    # when: an even earlier delivered scan of the second parcel comes in later still
    record(second, 6, "delivered", "代收点签收")

    # then: nothing moves
    order.refresh_from_db()
    second.refresh_from_db()
    assert order.delivered_at == hours_ago(3)
    assert second.delivered_at == hours_ago(5)


@pytest.mark.parametrize("delivered_listed_first", [False, True])
def test_exception_then_delivered_in_one_batch_sends_no_exception_notice(
    client, generic_feed, order_a, merchant_a, staff, delivered_listed_first
):
    # given: one push holding an exception scan and, later in time, the delivery
    shipment = ship(order_a)
    events = [
        scan("exception", at(hours_ago(3)), text="收件人电话无法接通"),
        scan("delivered", at(hours_ago(1)), text="本人签收"),
    ]
    if delivered_listed_first:
        events.reverse()

    # when
    assert push(client, events).json()["created"] == 2

    # then: the parcel is delivered without an exception, and nobody is told otherwise
    shipment.refresh_from_db()
    order_a.refresh_from_db()
    assert (shipment.status, shipment.has_exception) == (Shipment.Status.DELIVERED, False)
    assert order_a.delivered_at == hours_ago(1)
    assert not Notification.objects.filter(title__startswith="包裹异常").exists()


def test_exception_then_moving_again_in_one_batch_still_notifies(
    client, generic_feed, order_a, merchant_a, staff
):
    # given / when: one push with an exception and a later transit scan (not delivered yet)
    shipment = ship(order_a)
    push(
        client,
        [
            scan("exception", at(hours_ago(3)), text="天气原因滞留"),
            scan("in_transit", at(hours_ago(1)), text="继续运输"),
        ],
    )

    # then: the parcel still carries the exception, and the store and staff hear of it once
    shipment.refresh_from_db()
    assert (shipment.status, shipment.has_exception) == (Shipment.Status.IN_TRANSIT, True)
    notices = Notification.objects.filter(title=f"包裹异常：顺丰速运 {NUMBER}")
    assert sorted(notices.values_list("user_id", flat=True)) == sorted([merchant_a.pk, staff.pk])
