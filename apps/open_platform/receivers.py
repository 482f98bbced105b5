"""The sending apps' facts, turned into webhook events in the same transaction."""

from django.dispatch import receiver

from apps.aftersales.signals import aftersale_updated
from apps.analytics.signals import price_alerts_computed
from apps.logistics.signals import shipment_updated
from apps.open_platform.scopes import EventType
from apps.open_platform.services.events import (
    aftersale_event_record,
    lots_recalled_record,
    order_event_record,
    price_alerts_record,
    shipment_event_record,
)
from apps.orders.signals import order_cancelled, order_completed, order_paid
from apps.traceability.signals import lot_recalled


@receiver(order_paid, dispatch_uid="open-platform-order-paid")
def _order_paid(sender, order, **kwargs) -> None:
    order_event_record(type=EventType.ORDER_PAID, order=order)


@receiver(order_cancelled, dispatch_uid="open-platform-order-cancelled")
def _order_cancelled(sender, order, **kwargs) -> None:
    order_event_record(type=EventType.ORDER_CANCELLED, order=order)


@receiver(order_completed, dispatch_uid="open-platform-order-completed")
def _order_completed(sender, order, **kwargs) -> None:
    order_event_record(type=EventType.ORDER_COMPLETED, order=order)


@receiver(aftersale_updated, dispatch_uid="open-platform-aftersale-updated")
def _aftersale_updated(sender, aftersale, from_status, to_status, **kwargs) -> None:
    aftersale_event_record(aftersale=aftersale, from_status=from_status, to_status=to_status)


@receiver(shipment_updated, dispatch_uid="open-platform-shipment-updated")
def _shipment_updated(sender, shipment, from_status, to_status, **kwargs) -> None:
    shipment_event_record(shipment=shipment, from_status=from_status, to_status=to_status)


@receiver(lot_recalled, dispatch_uid="open-platform-lot-recalled")
def _lot_recalled(sender, lot_ids, reason, **kwargs) -> None:
    lots_recalled_record(lot_ids=lot_ids, reason=reason)


@receiver(price_alerts_computed, dispatch_uid="open-platform-price-alerts")
def _price_alerts(sender, alerts, **kwargs) -> None:
    price_alerts_record(alerts=alerts)
