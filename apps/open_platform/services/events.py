"""What each webhook event says: the receivers (receivers.py) turn a sending app's signal
into one of these calls, inside the sending change's transaction."""

from collections.abc import Iterable

from apps.open_platform.models import WebhookEvent
from apps.open_platform.scopes import EventType
from apps.open_platform.selectors import subscriptions_for_event
from apps.open_platform.services.webhooks import webhook_event_record
from apps.traceability.models import Lot


def _order(order) -> dict:
    return {
        "number": order.number,
        "store_id": order.store_id,
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "total_amount": str(order.total_amount),
        "freight_amount": str(order.freight_amount),
        "discount_amount": str(order.discount_amount),
        "delivery_method": order.delivery_method,
        "paid_at": order.paid_at,
    }


def order_event_record(*, type: str, order) -> None:
    webhook_event_record(
        type=type,
        store_id=order.store_id,
        payload={"order": _order(order)},
        key=f"{type}:{order.pk}",  # an order is paid, cancelled, completed once
    )


def aftersale_event_record(*, aftersale, from_status: str, to_status: str) -> None:
    webhook_event_record(
        type=EventType.AFTERSALE_UPDATED,
        store_id=aftersale.store_id,
        payload={
            "aftersale": {
                "number": aftersale.number,
                "order_number": aftersale.order.number,
                "type": aftersale.type,
                "status": to_status,
                "status_label": str(aftersale.get_status_display()),
                "previous_status": from_status,
                "amount_requested": str(aftersale.amount_requested),
                "amount_approved": (
                    str(aftersale.amount_approved)
                    if aftersale.amount_approved is not None
                    else None
                ),
            }
        },
    )


def shipment_event_record(*, shipment, from_status: str, to_status: str) -> None:
    webhook_event_record(
        type=EventType.SHIPMENT_UPDATED,
        store_id=shipment.store_id,
        payload={
            "shipment": {
                "id": shipment.pk,
                "order_number": shipment.order.number,
                "carrier": shipment.carrier.code if shipment.carrier_id else None,
                "tracking_number": shipment.tracking_number,
                "status": to_status,
                "status_label": str(shipment.get_status_display()),
                "previous_status": from_status,
            }
        },
    )


def lots_recalled_record(*, lot_ids: list[int], reason: str) -> None:
    """One event per store whose lots were recalled (a recall may follow a lot downstream)."""
    by_store: dict[int, list] = {}
    for lot in Lot.objects.filter(pk__in=lot_ids).order_by("pk"):
        by_store.setdefault(lot.store_id, []).append(lot)
    for store_id, store_lots in sorted(by_store.items()):
        webhook_event_record(
            type=EventType.LOT_RECALLED,
            store_id=store_id,
            payload={
                "lots": [
                    {"id": lot.pk, "lot_number": lot.lot_number, "product_id": lot.product_id}
                    for lot in store_lots
                ],
                "reason": reason,
            },
        )


def _price_alert_key(alert) -> str:
    key = (
        f"price.alert:{alert.commodity_id}:{alert.scope}:{alert.area}:{alert.date}:"
        f"{alert.kind}:{alert.level}"
    )
    return key[:200]


def price_alerts_record(*, alerts: Iterable) -> int:
    """A price.alert per alert not announced before; returns how many were recorded.

    The subscriptions and the keys announced before are read once, not per alert: a rerun of
    the price job hands in every alert of its window again, nearly all announced already."""
    subscriptions = subscriptions_for_event(event_type=EventType.PRICE_ALERT, store_id=None)
    if not subscriptions:
        return 0
    keyed = [(_price_alert_key(alert), alert) for alert in alerts]
    announced = set(
        WebhookEvent.objects.filter(key__in=[key for key, _alert in keyed]).values_list(
            "key", flat=True
        )
    )
    recorded = 0
    for key, alert in keyed:
        if key in announced:
            continue
        event = webhook_event_record(
            type=EventType.PRICE_ALERT,
            store_id=None,
            key=key,
            subscriptions=subscriptions,
            payload={
                "alert": {
                    "commodity": alert.commodity.name,
                    "scope": alert.scope,
                    "area": alert.area,
                    "date": alert.date,
                    "kind": alert.kind,
                    "kind_label": str(alert.get_kind_display()),
                    "level": alert.level,
                    "value": str(alert.value),
                    "price": str(alert.price),
                }
            },
        )
        announced.add(key)
        recorded += event is not None
    return recorded
