"""Cold-chain temperature readings of a shipment, and the alert when goods left their range.

A product's range is its own temperature_min/max when set, else settings.COLD_CHAIN_RANGES for
its storage (chilled, frozen); ambient goods without a range set none. A parcel's range is the
intersection over the products of its lines: every item in the box must stay within its own
range. If the intersection is empty the goods should not share a box, and every reading is out
of range.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.services import notification_send
from apps.catalog.models import Product
from apps.core.errors import ApplicationError
from apps.core.transitions import event_record
from apps.logistics.errors import LogisticsErrorCode
from apps.logistics.models import Shipment, TemperatureReading
from apps.logistics.services.status import shipment_lock
from apps.logistics.services.tracking import event_time_error
from apps.stores.models import StoreMember

# Readings outside this are a broken logger or a typo, not a temperature.
PLAUSIBLE = (Decimal("-80"), Decimal("80"))


@dataclass(frozen=True)
class ReadingInput:
    measured_at: datetime
    celsius: Decimal


@dataclass(frozen=True)
class TemperatureRange:
    low: Decimal | None
    high: Decimal | None

    def contains(self, celsius: Decimal) -> bool:
        return (self.low is None or celsius >= self.low) and (
            self.high is None or celsius <= self.high
        )

    def __str__(self) -> str:
        low = "" if self.low is None else f"{self.low}"
        high = "" if self.high is None else f"{self.high}"
        return f"{low}～{high} °C"


def product_temperature_range(product: Product) -> TemperatureRange | None:
    default = settings.COLD_CHAIN_RANGES.get(product.storage)
    low = product.temperature_min
    high = product.temperature_max
    if default is not None:
        low = Decimal(str(default[0])) if low is None else low
        high = Decimal(str(default[1])) if high is None else high
    if low is None and high is None:
        return None
    return TemperatureRange(low=low, high=high)


def shipment_temperature_range(shipment: Shipment) -> TemperatureRange | None:
    """The intersection of the ranges of the products in the parcel (None: no limits)."""
    products = Product.objects.filter(order_lines__shipment_lines__shipment=shipment).distinct()
    ranges = [r for r in (product_temperature_range(p) for p in products) if r is not None]
    if not ranges:
        return None
    lows = [r.low for r in ranges if r.low is not None]
    highs = [r.high for r in ranges if r.high is not None]
    return TemperatureRange(low=max(lows) if lows else None, high=min(highs) if highs else None)


def reading_input_clean(
    *, measured_at: datetime | None, celsius, now: datetime | None = None
) -> ReadingInput:
    fields = {}
    if time_error := event_time_error(measured_at, now=now):
        fields["time"] = time_error
    try:
        value = Decimal(str(celsius).strip()).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or not PLAUSIBLE[0] <= value <= PLAUSIBLE[1]:
        fields["celsius"] = _("温度无效（-80 到 80 之间的数字）。")
    if fields:
        raise ApplicationError(
            next(iter(fields.values())), code=LogisticsErrorCode.INVALID_EVENT, fields=fields
        )
    return ReadingInput(measured_at=measured_at, celsius=value)


@transaction.atomic
def temperature_readings_record(
    *, shipment: Shipment, readings: list[ReadingInput], source: str, actor=None
) -> dict:
    """Store new readings (same shipment + time = the same reading, kept once), flag the parcel.

    Returns {"created", "duplicates", "out_of_range", "range"}. The first out-of-range reading
    turns has_temperature_alert on, logs a ShipmentEvent (shown on the timelines) and tells the
    store's members.
    """
    shipment = shipment_lock(shipment)
    allowed = shipment_temperature_range(shipment)
    times = {r.measured_at for r in readings}
    stored = set(
        TemperatureReading.objects.filter(shipment=shipment, measured_at__in=times).values_list(
            "measured_at", flat=True
        )
    )
    rows: dict[datetime, TemperatureReading] = {}
    for reading in readings:
        if reading.measured_at in stored or reading.measured_at in rows:
            continue
        rows[reading.measured_at] = TemperatureReading(
            shipment=shipment,
            measured_at=reading.measured_at,
            celsius=reading.celsius,
            is_out_of_range=allowed is not None and not allowed.contains(reading.celsius),
            source=source[:10],
        )
    TemperatureReading.objects.bulk_create(rows.values(), ignore_conflicts=True)
    bad = sorted((r for r in rows.values() if r.is_out_of_range), key=lambda r: r.measured_at)
    if bad and not shipment.has_temperature_alert:
        shipment.has_temperature_alert = True
        shipment.save(update_fields=["has_temperature_alert", "updated_at"])
        first = bad[0]
        event_record(
            shipment,
            kind="temperature_alert",
            actor=actor,
            reason=_("温度超出范围：%(celsius)s °C（要求 %(range)s）")
            % {"celsius": first.celsius, "range": allowed},
            payload={"measured_at": first.measured_at.isoformat(), "celsius": str(first.celsius)},
        )
        _notify_members(shipment=shipment, first=first, allowed=allowed)
    return {
        "created": len(rows),
        "duplicates": len(readings) - len(rows),
        "out_of_range": len(bad),
        "range": None if allowed is None else {"min": allowed.low, "max": allowed.high},
    }


def _notify_members(
    *, shipment: Shipment, first: TemperatureReading, allowed: TemperatureRange
) -> None:
    title = _("冷链温度超标：运单 %s") % shipment.tracking_number
    body = _("%(time)s 记录 %(celsius)s °C，超出要求的 %(range)s。") % {
        "time": timezone.localtime(first.measured_at).strftime("%Y-%m-%d %H:%M"),
        "celsius": first.celsius,
        "range": allowed,
    }
    for member in StoreMember.objects.filter(store_id=shipment.store_id).select_related("user"):
        notification_send(user=member.user, title=title, body=body)
