"""The shipment state machine: the one place a shipment's status changes.

Every move goes through apps.core.transitions.transition (Shipment.TRANSITIONS, a
ShipmentEvent). When a parcel is delivered and it was the order's last one out, the order
becomes delivered too.
"""

from django.db import transaction
from django.utils import timezone

from apps.core.transitions import transition, transition_allowed, transition_check
from apps.logistics.models import Shipment, ShipmentEvent
from apps.logistics.services.notices import shipment_notify_moved
from apps.logistics.signals import shipment_updated
from apps.orders.models import Order
from apps.orders.services.lifecycle import order_mark_delivered

# Timestamps a move stamps on the shipment, the first time only (the first scan wins), so they
# are set here rather than as Shipment.STATUS_TIMESTAMPS, which transition() stamps every time.
STAMPS = {
    Shipment.Status.COLLECTED: "collected_at",
    Shipment.Status.AT_PICKUP_POINT: "arrived_at_point_at",
    Shipment.Status.DELIVERED: "delivered_at",
}


def shipment_lock(shipment: Shipment) -> Shipment:
    return Shipment.objects.select_for_update().get(pk=shipment.pk)


def shipment_can_move(shipment: Shipment, to_status: str) -> bool:
    return transition_allowed(shipment, to_status)


@transaction.atomic
def shipment_move(
    *,
    shipment: Shipment,
    to_status: str,
    actor=None,
    reason: str = "",
    kind: str = "status",
    payload: dict | None = None,
    at=None,
    fields: tuple[str, ...] = (),
) -> ShipmentEvent:
    """Move a (locked) shipment to `to_status` with transition(), stamping its time the first
    time (STAMPS), clearing the exception flag on delivery, and delivering the order when it
    was its last parcel out.

    `at` is when it happened (a scan's time; now by default). `fields` are other fields the
    caller already set on the shipment and wants saved with the move.
    """
    transition_check(shipment, to_status)
    from_status = shipment.status
    fields = set(fields)
    stamp = STAMPS.get(to_status)
    if stamp and getattr(shipment, stamp) is None:
        setattr(shipment, stamp, at or timezone.now())
        fields.add(stamp)
    if to_status == Shipment.Status.DELIVERED and shipment.has_exception:
        shipment.has_exception = False
        fields.add("has_exception")
    event = transition(
        shipment,
        to_status,
        actor=actor,
        reason=reason,
        kind=kind,
        payload=payload,
        fields=fields,
    )
    shipment_notify_moved(shipment=shipment, to_status=to_status)
    shipment_updated.send(
        sender=Shipment, shipment=shipment, from_status=from_status, to_status=to_status
    )
    if to_status == Shipment.Status.DELIVERED:
        order_deliver_if_complete(order_id=shipment.order_id)
    return event


@transaction.atomic
def order_deliver_if_complete(*, order_id: int) -> bool:
    """The order is delivered once every line is shipped and every parcel delivered.

    Its delivery time is the latest of the parcels' delivered times (each the event time of
    the scan or hand-over that delivered it), not the moment the last report came in: a late
    push or a CSV of yesterday's scans must not delay auto-receipt, nor a late-arriving earlier
    scan move the time forward.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != Order.Status.SHIPPED:
        return False
    parcels = list(Shipment.objects.filter(order_id=order_id).values_list("status", "delivered_at"))
    if {status for status, _delivered_at in parcels} != {Shipment.Status.DELIVERED}:
        return False
    times = [delivered_at for _status, delivered_at in parcels if delivered_at is not None]
    order_mark_delivered(order=order, actor=None, at=max(times, default=None))
    return True
