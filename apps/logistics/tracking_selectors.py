"""Reads for tracking: a shipment's scans and timeline, and the public lookup.

A user's shipments are fetched through apps.logistics.selectors.shipment_get_for_user."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from apps.logistics.models import Shipment, TemperatureReading, TrackingEvent


def tracking_events_for_shipment(*, shipment: Shipment) -> QuerySet[TrackingEvent]:
    """Oldest first, in event time (not arrival) order."""
    return TrackingEvent.objects.filter(shipment=shipment).order_by("occurred_at", "id")


def temperature_readings_for_shipment(*, shipment: Shipment) -> QuerySet[TemperatureReading]:
    return TemperatureReading.objects.filter(shipment=shipment).order_by("measured_at", "id")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # tracking | temperature
    title: str
    location: str = ""
    text: str = ""
    is_alert: bool = False


def shipment_timeline(*, shipment: Shipment) -> list[TimelineEntry]:
    """Tracking scans and out-of-range temperature readings, newest first.

    Expects `shipment` from `track_lookup` (or any queryset with the same prefetches) to stay
    at a fixed number of queries; otherwise it fetches both lists itself.
    """
    cache = getattr(shipment, "_prefetched_objects_cache", {})
    if "tracking" in cache:
        scans = cache["tracking"]
    else:
        scans = tracking_events_for_shipment(shipment=shipment)
    if "temperature_readings" in cache:
        readings = [r for r in cache["temperature_readings"] if r.is_out_of_range]
    else:
        readings = temperature_readings_for_shipment(shipment=shipment).filter(is_out_of_range=True)
    entries = [
        TimelineEntry(
            at=scan.occurred_at,
            kind="tracking",
            title=scan.get_status_display(),
            location=scan.location,
            text=scan.text,
            is_alert=scan.status == TrackingEvent.Status.EXCEPTION,
        )
        for scan in scans
    ]
    entries += [
        TimelineEntry(
            at=reading.measured_at,
            kind="temperature",
            title="温度超标",
            text=f"{reading.celsius} °C",
            is_alert=True,
        )
        for reading in readings
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def _phone_tail(address: dict) -> str:
    digits = "".join(ch for ch in str((address or {}).get("contact_phone", "")) if ch.isdigit())
    return digits[-4:]


def track_lookup(*, tracking_number: str, phone_tail: str) -> list[Shipment]:
    """Parcels with this waybill number whose order's phone ends in `phone_tail` (4 digits).

    An unknown number and a wrong tail both give []: the caller cannot tell them apart.
    """
    number = (tracking_number or "").strip().upper()
    tail = (phone_tail or "").strip()
    if not number or len(number) > 40 or len(tail) != 4 or not tail.isdigit():
        return []
    shipments = (
        Shipment.objects.filter(tracking_number=number)
        .select_related("carrier", "store", "order")
        .prefetch_related(
            Prefetch("tracking", queryset=TrackingEvent.objects.order_by("occurred_at", "id")),
            Prefetch(
                "temperature_readings",
                queryset=TemperatureReading.objects.filter(is_out_of_range=True),
            ),
        )
    )
    return [s for s in shipments if _phone_tail(s.order.address) == tail]
