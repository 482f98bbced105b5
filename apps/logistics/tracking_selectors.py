"""Reads for tracking: a shipment's timeline, and the public lookup.

A user's shipments are fetched through apps.logistics.selectors.shipment_get_for_user, which
also prefetches their scans and temperature readings, oldest first."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from apps.logistics.models import Shipment, ShipmentEvent, TemperatureReading, TrackingEvent

# Shipment audit rows that belong on the timeline too: the pickup point's own scans.
TIMELINE_EVENT_KINDS = ("pickup_arrival", "pickup_hand_over")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # tracking | pickup | temperature
    title: str
    location: str = ""
    text: str = ""
    is_alert: bool = False


def with_timeline(shipments: QuerySet[Shipment]) -> QuerySet[Shipment]:
    """Prefetch what `shipment_timeline` reads: three queries whatever the number of parcels."""
    return shipments.prefetch_related(
        Prefetch("tracking", queryset=TrackingEvent.objects.order_by("occurred_at", "id")),
        Prefetch(
            "temperature_readings",
            queryset=TemperatureReading.objects.filter(is_out_of_range=True),
            to_attr="timeline_alerts",
        ),
        Prefetch(
            "events",
            queryset=ShipmentEvent.objects.filter(kind__in=TIMELINE_EVENT_KINDS),
            to_attr="timeline_events",
        ),
    )


def shipment_timeline(*, shipment: Shipment) -> list[TimelineEntry]:
    """Carrier scans, the pickup point's scan-in and hand-over, and out-of-range temperature
    readings, newest first. The one timeline of the shopper's order page, the public tracking
    page and API. Fixed queries for a shipment from `with_timeline`; fetches itself otherwise.
    """
    if not hasattr(shipment, "timeline_alerts"):
        shipment = with_timeline(Shipment.objects.filter(pk=shipment.pk)).get()
    entries = [
        TimelineEntry(
            at=scan.occurred_at,
            kind="tracking",
            title=scan.get_status_display(),
            location=scan.location,
            text=scan.text,
            is_alert=scan.status == TrackingEvent.Status.EXCEPTION,
        )
        for scan in shipment.tracking.all()
    ]
    entries += [
        TimelineEntry(at=event.created_at, kind="pickup", title=event.reason)
        for event in shipment.timeline_events
    ]
    entries += [
        TimelineEntry(
            at=reading.measured_at,
            kind="temperature",
            title=_("温度超标"),
            text=f"{reading.celsius} °C",
            is_alert=True,
        )
        for reading in shipment.timeline_alerts
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
    shipments = with_timeline(
        Shipment.objects.filter(tracking_number=number).select_related("carrier", "store", "order")
    )
    return [s for s in shipments if _phone_tail(s.order.address) == tail]
