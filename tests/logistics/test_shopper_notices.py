"""The shopper hears about every step of an order, once per event: payment received, each
parcel shipped (carrier and waybill), out for delivery, delivered, auto-receipt coming; SMS
for the steps they must act on, to a verified number only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Notification
from apps.accounts.sms import LocmemSmsSender
from apps.core.models import OutboxMessage
from apps.logistics.models import Shipment, TrackingEvent
from apps.logistics.services.notices import (
    orders_auto_receipt_remind,
    shipment_notify_moved,
    shipment_notify_shipped,
)
from apps.logistics.tasks import orders_auto_receipt_remind_task
from apps.orders.models import Order
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.orders.services.notices import payment_order_notify_paid
from tests.logistics.test_tracking import record
from tests.logistics.tracking_helpers import NUMBER, ship

S = TrackingEvent.Status
SMS = "accounts.notification_sms"


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_SENDER = "apps.accounts.sms.LocmemSmsSender"
    LocmemSmsSender.outbox.clear()


@pytest.fixture
def verified(shopper):
    shopper.phone = "+8613812345678"
    shopper.phone_verified = True
    shopper.save(update_fields=["phone", "phone_verified"])
    return shopper


def inbox(user, title_part: str = "") -> list[Notification]:
    return list(Notification.objects.filter(user=user, title__contains=title_part).order_by("id"))


def test_payment_received_is_told_once(shopper, order_a):
    payment_order = order_a.payment_order

    [notice] = inbox(shopper, "支付成功")
    assert notice.title == f"支付成功：¥{payment_order.amount}"
    assert order_a.number in notice.body
    assert "五常稻米合作社" in notice.body
    assert notice.url == order_a.get_absolute_url()
    assert notice.key == f"payment-order:{payment_order.pk}:paid"

    # A repeated payment notification, or the notice itself retried, adds nothing.
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    payment_order_notify_paid(payment_order=payment_order, orders=[order_a])
    assert len(inbox(shopper, "支付成功")) == 1


def test_each_parcel_shipped_names_its_carrier_and_waybill(shopper, order_a):
    rice, oil = order_a.lines.order_by("id")
    first = ship(order_a, lines={rice.pk: 3})
    second = ship(order_a, number="SF9876543210987", lines={oil.pk: 2})

    notices = inbox(shopper, "已发货")
    assert [n.key for n in notices] == [
        f"shipment:{first.pk}:shipped",
        f"shipment:{second.pk}:shipped",
    ]
    assert f"顺丰速运 运单号 {NUMBER}，共 3 件" in notices[0].body
    assert "顺丰速运 运单号 SF9876543210987，共 2 件" in notices[1].body
    assert not OutboxMessage.objects.filter(kind=SMS).exists()  # nothing to act on

    shipment_notify_shipped(shipment=first)  # a retry
    assert len(inbox(shopper, "已发货")) == 2


def test_out_for_delivery_and_delivered_are_told_once_each(
    verified, order_a, django_capture_on_commit_callbacks
):
    shipment = ship(order_a)
    with django_capture_on_commit_callbacks(execute=True):
        record(shipment, 3, S.OUT_FOR_DELIVERY, "派件员：张三")
    record(shipment, 2, S.OUT_FOR_DELIVERY, "派件员：张三 再次派送")  # another scan, same step
    record(shipment, 1, S.DELIVERED, "本人签收")
    record(shipment, 1, S.DELIVERED, "本人签收")  # a replayed push

    assert [n.key for n in inbox(verified) if n.key.startswith("shipment:")] == [
        f"shipment:{shipment.pk}:shipped",
        f"shipment:{shipment.pk}:out-for-delivery",
        f"shipment:{shipment.pk}:delivered",
    ]
    [delivered] = inbox(verified, "已签收")
    assert "申请售后" in delivered.body
    # The courier is coming: a text message to the verified number, delivered by the outbox.
    assert LocmemSmsSender.outbox == [
        (
            "+8613812345678",
            f"【田间】您的订单 {order_a.number} 包裹（顺丰速运 运单号 {NUMBER}）正在派送，"
            "请保持电话畅通。",
        )
    ]
    shipment.refresh_from_db()
    shipment_notify_moved(shipment=shipment, to_status=Shipment.Status.DELIVERED)  # a retry
    assert len(inbox(verified, "已签收")) == 1


def test_an_unverified_number_gets_no_text_message(shopper, order_a):
    shopper.phone = "+8613812345678"
    shopper.phone_verified = False
    shopper.save(update_fields=["phone", "phone_verified"])
    shipment = ship(order_a)

    record(shipment, 3, S.OUT_FOR_DELIVERY)

    assert inbox(shopper, "正在派送")
    assert not OutboxMessage.objects.filter(kind=SMS).exists()


def delivered(order: Order, days_ago: float) -> Order:
    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.DELIVERED, delivered_at=timezone.now() - timedelta(days=days_ago)
    )
    order.refresh_from_db()
    return order


def test_auto_receipt_coming_is_told_once_with_a_text_message(
    verified, order_a, settings, django_capture_on_commit_callbacks
):
    settings.LOGISTICS_AUTO_RECEIPT_DAYS = 10
    settings.LOGISTICS_AUTO_RECEIPT_REMIND_HOURS = 48
    delivered(order_a, days_ago=8.5)  # auto-receipt in 36 hours

    with django_capture_on_commit_callbacks(execute=True):
        assert orders_auto_receipt_remind_task.delay().get() == 1
    assert orders_auto_receipt_remind() == 0  # the next run (or a retry) finds it told

    [notice] = inbox(verified, "自动确认收货")
    assert notice.key == f"order:{order_a.pk}:auto-receipt-soon"
    at = timezone.localtime(order_a.delivered_at + timedelta(days=10)).strftime("%m-%d %H:%M")
    assert notice.title == f"订单 {order_a.number} 将于 {at} 自动确认收货"
    assert "申请售后" in notice.body
    assert LocmemSmsSender.outbox == [
        (
            "+8613812345678",
            f"【田间】您的订单 {order_a.number} 将于 {at} 自动确认收货，"
            "如有问题请在此之前申请售后。",
        )
    ]


@pytest.mark.parametrize("days_ago", [1, 7.9, 10.5])
def test_no_reminder_too_early_or_once_auto_receipt_is_due(shopper, order_a, settings, days_ago):
    settings.LOGISTICS_AUTO_RECEIPT_DAYS = 10
    settings.LOGISTICS_AUTO_RECEIPT_REMIND_HOURS = 48
    delivered(order_a, days_ago=days_ago)

    assert orders_auto_receipt_remind() == 0
    assert inbox(shopper, "自动确认收货") == []


def test_only_delivered_orders_are_reminded(shopper, order_a, settings):
    delivered(order_a, days_ago=9)
    Order.objects.filter(pk=order_a.pk).update(status=Order.Status.COMPLETED)

    assert orders_auto_receipt_remind() == 0


def test_the_reminder_is_a_beat_job(settings):
    job = settings.PERIODIC_TASKS["logistics-auto-receipt-remind"]
    assert job["task"] == "apps.logistics.tasks.orders_auto_receipt_remind_task"
