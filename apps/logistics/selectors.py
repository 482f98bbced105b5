"""Reads of the logistics app: parcels scoped to the user's stores, an order's parcels with
their lines and tracking, and the choices of the 发货 page."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.logistics.models import (
    Carrier,
    Shipment,
    ShipmentLine,
    TemperatureReading,
    TrackingEvent,
)
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


def shipments_for_order(order: Order) -> QuerySet[Shipment]:
    """An order's parcels with carrier, lines, tracking (by time) and temperature readings."""
    return (
        Shipment.objects.filter(order=order)
        .select_related("carrier", "pickup_point")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line", "lot")),
            Prefetch("tracking", queryset=TrackingEvent.objects.order_by("occurred_at", "id")),
            Prefetch(
                "temperature_readings",
                queryset=TemperatureReading.objects.order_by("measured_at", "id"),
            ),
        )
        .order_by("created_at", "id")
    )


# --- the shopper's order page: one query for all parcels -----------------------------------


@dataclass
class TimelineItem:
    at: datetime | None
    text: str
    location: str = ""
    status: str = ""
    is_alert: bool = False


@dataclass
class ParcelView:
    carrier_name: str
    tracking_number: str
    status: str
    status_label: str
    has_exception: bool
    has_temperature_alert: bool
    lines: list[dict] = field(default_factory=list)
    timeline: list[TimelineItem] = field(default_factory=list)


def _when(value) -> datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


def order_parcels(order: Order) -> list[ParcelView]:
    """The order's parcels for the shopper, newest tracking first, out-of-range temperature
    readings marked as alerts. Lines, scans and alerts come as JSON arrays in the one
    query, so the page costs one query whatever the number of parcels."""
    status_labels = dict(TrackingEvent.Status.choices)
    rows = (
        Shipment.objects.filter(order=order)
        .annotate(
            carrier_label=F("carrier__name"),
            line_rows=ArraySubquery(
                ShipmentLine.objects.filter(shipment=OuterRef("pk"))
                .order_by("id")
                .values(
                    json=JSONObject(
                        title="order_line__title", spec="order_line__spec", quantity="quantity"
                    )
                )
            ),
            scan_rows=ArraySubquery(
                TrackingEvent.objects.filter(shipment=OuterRef("pk"))
                .order_by("-occurred_at", "-id")
                .values(
                    json=JSONObject(
                        at="occurred_at", status="status", location="location", text="text"
                    )
                )
            ),
            alert_rows=ArraySubquery(
                TemperatureReading.objects.filter(shipment=OuterRef("pk"), is_out_of_range=True)
                .order_by("-measured_at", "-id")
                .values(json=JSONObject(at="measured_at", celsius="celsius"))
            ),
        )
        .order_by("created_at", "id")
    )
    parcels = []
    for row in rows:
        timeline = [
            TimelineItem(
                at=_when(scan["at"]),
                text=scan["text"] or status_labels.get(scan["status"], scan["status"]),
                location=scan["location"],
                status=scan["status"],
                is_alert=scan["status"] == TrackingEvent.Status.EXCEPTION,
            )
            for scan in row.scan_rows
        ]
        timeline += [
            TimelineItem(
                at=_when(alert["at"]),
                text=_("温度异常：%(celsius)s°C") % {"celsius": alert["celsius"]},
                status="temperature",
                is_alert=True,
            )
            for alert in row.alert_rows
        ]
        timeline.sort(key=lambda item: item.at or timezone.now(), reverse=True)
        parcels.append(
            ParcelView(
                carrier_name=row.carrier_label,
                tracking_number=row.tracking_number,
                status=row.status,
                status_label=row.get_status_display(),
                has_exception=row.has_exception,
                has_temperature_alert=row.has_temperature_alert,
                lines=list(row.line_rows),
                timeline=timeline,
            )
        )
    return parcels


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
