"""Reads of the logistics app: parcels scoped to the user's stores, an order's parcels with
their lines and tracking, and the choices of the 发货 page."""

from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.logistics.models import (
    Carrier,
    Shipment,
    ShipmentLine,
    TemperatureReading,
    TrackingEvent,
)
from apps.logistics.tracking_selectors import TimelineEntry, shipment_timeline, with_timeline
from apps.orders.models import Order, OrderLine
from apps.stores.selectors import scope_to_user_stores
from apps.traceability.models import Lot


def carrier_list() -> QuerySet[Carrier]:
    return Carrier.objects.filter(is_active=True).order_by("sort_order", "id")


def shipment_list_for_user(
    *, user, status: str | None = None, order_number: str | None = None
) -> QuerySet[Shipment]:
    """The parcels of the user's stores (all for platform staff), newest first."""
    shipments = scope_to_user_stores(
        Shipment.objects.select_related("carrier", "order", "store"), user
    )
    if status:
        shipments = shipments.filter(status=status)
    if order_number:
        shipments = shipments.filter(order__number=order_number)
    return shipments.prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line", "lot"))
    ).order_by("-created_at", "-id")


def shipment_get_for_user(*, user, pk: int) -> Shipment | None:
    return (
        shipment_list_for_user(user=user)
        .prefetch_related(
            Prefetch("tracking", queryset=TrackingEvent.objects.order_by("occurred_at", "id")),
            Prefetch(
                "temperature_readings",
                queryset=TemperatureReading.objects.order_by("measured_at", "id"),
            ),
        )
        .filter(pk=pk)
        .first()
    )


# --- the shopper's order page ----------------------------------------------------------------


@dataclass
class ParcelView:
    carrier_name: str
    tracking_number: str
    status: str
    status_label: str
    has_exception: bool
    has_temperature_alert: bool
    pickup_code: str = ""
    pickup_point: object = None
    lines: list[ShipmentLine] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


def order_parcels(order: Order) -> list[ParcelView]:
    """The order's parcels for the shopper, with their lines and timeline (newest first).
    Five queries at most whatever the number of parcels and scans."""
    rows = with_timeline(
        Shipment.objects.filter(order=order)
        .select_related("carrier", "pickup_point")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line"))
        )
        .order_by("created_at", "id")
    )
    return [
        ParcelView(
            carrier_name=row.carrier.name,
            tracking_number=row.tracking_number,
            status=row.status,
            status_label=row.get_status_display(),
            has_exception=row.has_exception,
            has_temperature_alert=row.has_temperature_alert,
            pickup_code=row.pickup_code,
            pickup_point=row.pickup_point,
            lines=list(row.lines.all()),
            timeline=shipment_timeline(shipment=row),
        )
        for row in rows
    ]


# --- the 发货 page --------------------------------------------------------------------------


def order_lines_to_ship(order: Order) -> list[tuple[OrderLine, int]]:
    """The order's lines with what is still to ship (bought − refunded − shipped > 0)."""
    lines = order.lines.select_related("sku", "lot").order_by("pk")
    result = []
    for line in lines:
        left = line.quantity - line.refunded_quantity - line.shipped_quantity
        if left > 0:
            result.append((line, left))
    return result


def lots_for_shipping(*, order: Order, sku_ids: list[int]) -> dict[int, list[Lot]]:
    """Per SKU, the active unexpired lots of the order's store that supply it, first-expiring
    first (undated last): the first is the default the orders app would pick."""
    today = timezone.localdate()
    lots = (
        Lot.objects.filter(store_id=order.store_id, status=Lot.Status.ACTIVE, skus__in=sku_ids)
        .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gte=today))
        .annotate(sku_id=F("skus__id"))
        .order_by(F("expiry_date").asc(nulls_last=True), "harvest_date", "pk")
    )
    by_sku: dict[int, list[Lot]] = {sku_id: [] for sku_id in sku_ids}
    for lot in lots:
        by_sku[lot.sku_id].append(lot)
    return by_sku
