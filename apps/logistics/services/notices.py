"""What the shopper hears about their parcels: shipped (carrier and waybill), out for delivery,
delivered, and the reminder before auto-receipt.

Each message names its event in a key ("shipment:12:delivered", "order:7:auto-receipt-soon"),
so a replayed carrier push, a re-imported CSV or a retried beat job never tells the shopper
twice. Text messages go only where the shopper has something to do (be there for the courier,
confirm receipt or ask for an after-sale before it is too late) and the number is verified.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Notification
from apps.accounts.services import notification_send
from apps.logistics.models import Shipment
from apps.orders.models import Order


def _parcel(shipment: Shipment) -> str:
    return _("%(carrier)s 运单号 %(number)s") % {
        "carrier": shipment.carrier.name,
        "number": shipment.tracking_number,
    }


def shipment_notify_shipped(*, shipment: Shipment) -> None:
    order = shipment.order
    pieces = sum(line.quantity for line in shipment.lines.all())
    notification_send(
        user=order.buyer,
        title=_("订单 %(number)s 已发货") % {"number": order.number},
        body=_("%(parcel)s，共 %(pieces)s 件。可在订单详情中查看物流进度。")
        % {"parcel": _parcel(shipment), "pieces": pieces},
        url=order.get_absolute_url(),
        key=f"shipment:{shipment.pk}:shipped",
    )


def shipment_notify_moved(*, shipment: Shipment, to_status: str) -> None:
    """Out for delivery and delivered; other scans are on the order page only."""
    order = shipment.order
    if to_status == Shipment.Status.OUT_FOR_DELIVERY:
        notification_send(
            user=order.buyer,
            title=_("订单 %(number)s 的包裹正在派送") % {"number": order.number},
            body=_("%(parcel)s 今日派送，请保持电话畅通。") % {"parcel": _parcel(shipment)},
            url=order.get_absolute_url(),
            key=f"shipment:{shipment.pk}:out-for-delivery",
            sms=_("您的订单 %(number)s 包裹（%(parcel)s）正在派送，请保持电话畅通。")
            % {"number": order.number, "parcel": _parcel(shipment)},
        )
    elif to_status == Shipment.Status.DELIVERED:
        notification_send(
            user=order.buyer,
            title=_("订单 %(number)s 的包裹已签收") % {"number": order.number},
            body=_("%(parcel)s 已签收。请检查商品，如有问题可在订单详情中申请售后。")
            % {"parcel": _parcel(shipment)},
            url=order.get_absolute_url(),
            key=f"shipment:{shipment.pk}:delivered",
        )


def auto_receipt_at(order: Order) -> datetime:
    return order.delivered_at + timedelta(days=settings.LOGISTICS_AUTO_RECEIPT_DAYS)


def orders_auto_receipt_remind(*, now: datetime | None = None, limit: int = 500) -> int:
    """Tell the buyers of delivered orders that auto-receipt comes within
    LOGISTICS_AUTO_RECEIPT_REMIND_HOURS (in the inbox and by SMS): after it the order is
    completed and the money goes to the store. Once per order (the key); returns how many
    were told this run."""
    now = now or timezone.now()
    days = timedelta(days=settings.LOGISTICS_AUTO_RECEIPT_DAYS)
    ahead = timedelta(hours=settings.LOGISTICS_AUTO_RECEIPT_REMIND_HOURS)
    due = (
        Order.objects.filter(
            status=Order.Status.DELIVERED,
            delivered_at__lte=now - days + ahead,
            delivered_at__gt=now - days,
        )
        .exclude(_reminded())
        .select_related("buyer")
        .order_by("delivered_at", "id")[:limit]
    )
    told = 0
    for order in due:
        at = timezone.localtime(auto_receipt_at(order)).strftime("%m-%d %H:%M")
        notification_send(
            user=order.buyer,
            title=_("订单 %(number)s 将于 %(at)s 自动确认收货")
            % {"number": order.number, "at": at},
            body=_(
                "自动确认后货款将结算给商家。如商品有问题，请在此之前申请售后；"
                "没有问题可以现在确认收货。"
            ),
            url=order.get_absolute_url(),
            key=_reminder_key(order.pk),
            sms=_("您的订单 %(number)s 将于 %(at)s 自动确认收货，如有问题请在此之前申请售后。")
            % {"number": order.number, "at": at},
        )
        told += 1
    return told


def _reminder_key(order_id: int) -> str:
    return f"order:{order_id}:auto-receipt-soon"


def _reminded():
    """The reminder of the outer order exists (looked up by its unique key)."""
    key = Concat(Value("order:"), Cast(OuterRef("pk"), CharField()), Value(":auto-receipt-soon"))
    return Exists(Notification.objects.filter(key=key))
