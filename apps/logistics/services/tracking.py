"""Tracking events: record them once, keep them in time order, and let the latest one drive the
shipment's status.

Events arrive from carrier pushes (webhooks.py), CSV imports (imports.py) and the merchant's
manual entry, often late, out of order or repeated. Each scan has a dedup key (sha256 of carrier,
number, UTC time, status and text unless the source gives its own id), unique per shipment, so a
repeat is recognised and never stored twice.

After new events are stored the shipment follows the latest event by time (ties by id): it moves
through `shipment_move` when Shipment.TRANSITIONS allows it, so an older event that arrives late
never moves it back and a delivered or returned parcel never changes. An exception scan flags the
parcel and tells the store's members and the platform's operations staff, unless the parcel is
delivered by the end of the same batch.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.services import notification_send
from apps.core.errors import ApplicationError
from apps.core.roles import PLATFORM_OPERATIONS
from apps.logistics.errors import LogisticsErrorCode
from apps.logistics.models import Carrier, Shipment, TrackingEvent, TrackingFeed
from apps.logistics.services.status import shipment_can_move, shipment_lock, shipment_move
from apps.stores.models import StoreMember

# The shipment status a scan of each kind puts the parcel in.
SHIPMENT_STATUS_FOR = {
    TrackingEvent.Status.COLLECTED: Shipment.Status.COLLECTED,
    TrackingEvent.Status.IN_TRANSIT: Shipment.Status.IN_TRANSIT,
    TrackingEvent.Status.ARRIVED_AT_HUB: Shipment.Status.IN_TRANSIT,
    TrackingEvent.Status.OUT_FOR_DELIVERY: Shipment.Status.OUT_FOR_DELIVERY,
    TrackingEvent.Status.AT_PICKUP_POINT: Shipment.Status.AT_PICKUP_POINT,
    TrackingEvent.Status.DELIVERED: Shipment.Status.DELIVERED,
    TrackingEvent.Status.EXCEPTION: Shipment.Status.EXCEPTION,
    TrackingEvent.Status.RETURNED: Shipment.Status.RETURNED,
}
# A scan dated further ahead than this is a clock or typing error, not a real event.
MAX_FUTURE = timedelta(hours=1)


@dataclass(frozen=True)
class TrackingInput:
    """One scan as a source reported it (already parsed: aware time, one of our statuses)."""

    occurred_at: datetime
    status: str
    location: str = ""
    text: str = ""
    dedup_key: str = ""


@dataclass(frozen=True)
class IngestItem:
    """One pushed or imported scan, still addressed by carrier and waybill number."""

    carrier_code: str
    tracking_number: str
    event: TrackingInput | None
    # Why the item could not be parsed (then `event` is None).
    error: str = ""


@dataclass
class IngestResult:
    index: int
    result: str  # created | duplicate | not_found | invalid
    message: str = ""

    def as_dict(self) -> dict:
        return {"index": self.index, "result": self.result, "message": self.message}


def tracking_dedup_key(
    *, carrier_code: str, tracking_number: str, occurred_at: datetime, status: str, text: str
) -> str:
    moment = occurred_at.astimezone(UTC).isoformat()
    raw = "|".join([carrier_code, tracking_number.upper(), moment, status, text.strip()])
    return hashlib.sha256(raw.encode()).hexdigest()


def tracking_external_key(*, carrier_code: str, tracking_number: str, external_id: str) -> str:
    """The dedup key of a scan the source gave its own id to (stable across re-sends)."""
    raw = f"id|{carrier_code}|{tracking_number.upper()}|{external_id}"
    return hashlib.sha256(raw.encode()).hexdigest()


def event_time_error(moment: datetime | None, *, now: datetime | None = None) -> str:
    """Why a scan's or a reading's time is unusable ("" when it is fine)."""
    if moment is None or timezone.is_naive(moment):
        return _("时间无效（需要带时区的日期时间）。")
    if moment > (now or timezone.now()) + MAX_FUTURE:
        return _("时间不能晚于当前时间。")
    return ""


def tracking_input_clean(
    *,
    occurred_at: datetime | None,
    status: str,
    location: str = "",
    text: str = "",
    dedup_key: str = "",
    now: datetime | None = None,
) -> TrackingInput:
    """Check one scan; raises ApplicationError (code INVALID_EVENT, per-field messages)."""
    fields = {}
    if status not in TrackingEvent.Status.values:
        fields["status"] = _("未知的轨迹状态：%s") % str(status)[:30]
    if time_error := event_time_error(occurred_at, now=now):
        fields["time"] = time_error
    if len(location) > 100:
        fields["location"] = _("地点不能超过 100 字。")
    if len(text) > 300:
        fields["text"] = _("描述不能超过 300 字。")
    if fields:
        raise ApplicationError(
            next(iter(fields.values())), code=LogisticsErrorCode.INVALID_EVENT, fields=fields
        )
    return TrackingInput(
        occurred_at=occurred_at,
        status=status,
        location=location.strip(),
        text=text.strip(),
        dedup_key=dedup_key,
    )


@transaction.atomic
def tracking_event_record(
    *,
    shipment: Shipment,
    occurred_at: datetime,
    status: str,
    location: str = "",
    text: str = "",
    source: str,
    actor=None,
    dedup_key: str | None = None,
) -> tuple[TrackingEvent, bool]:
    """Record one scan of `shipment` (a repeat returns the stored event, created False)."""
    scan = tracking_input_clean(
        occurred_at=occurred_at,
        status=status,
        location=location,
        text=text,
        dedup_key=dedup_key or "",
    )
    shipment = shipment_lock(shipment)
    carrier_code = Carrier.objects.values_list("code", flat=True).get(pk=shipment.carrier_id)
    new_rows, keys = _events_add(
        shipment=shipment, carrier_code=carrier_code, scans=[scan], source=source, actor=actor
    )
    if new_rows:
        _shipment_follow_tracking(shipment=shipment, new_rows=new_rows, actor=actor)
    event = TrackingEvent.objects.get(shipment=shipment, dedup_key=keys[0])
    return event, bool(new_rows)


@transaction.atomic
def tracking_events_ingest(
    *, feed: TrackingFeed | None, items: list[IngestItem], source: str = "webhook", actor=None
) -> list[IngestResult]:
    """Store a batch of scans addressed by carrier + number; one result per item, in order.

    An unknown number or a bad item is reported and skipped without holding back the rest.
    The batch is one transaction (one commit per push, which is what makes ingestion fast):
    the shipments are locked in id order, so concurrent pushes touching the same parcels wait
    for each other instead of deadlocking, and a failure stores nothing of the push, which the
    sender then retries. A re-sent batch is answered "duplicate" item by item.
    """
    results = [IngestResult(index=i, result="invalid") for i in range(len(items))]
    numbers = {item.tracking_number.upper() for item in items if item.event is not None}
    carrier_of: dict[int, str] = {}
    ids: dict[tuple[str, str], int] = {}
    if numbers:
        rows = Shipment.objects.filter(tracking_number__in=numbers).values_list(
            "pk", "carrier__code", "tracking_number"
        )
        for pk, carrier_code, number in rows:
            ids[(carrier_code, number)] = pk
            carrier_of[pk] = carrier_code
    by_shipment: dict[int, list[int]] = {}
    for index, item in enumerate(items):
        if item.event is None:
            results[index].message = item.error
            continue
        shipment_id = ids.get((item.carrier_code, item.tracking_number.upper()))
        if shipment_id is None:
            results[index].result = "not_found"
            results[index].message = _("包裹不存在")
            continue
        by_shipment.setdefault(shipment_id, []).append(index)
    if not by_shipment:
        return results
    locked = list(Shipment.objects.select_for_update().filter(pk__in=by_shipment).order_by("pk"))
    keys_of = {
        shipment.pk: [
            _key(items[i].event, carrier_of[shipment.pk], shipment.tracking_number)
            for i in by_shipment[shipment.pk]
        ]
        for shipment in locked
    }
    # What is stored already, for the whole batch in one query (the rows are locked now).
    stored: dict[int, set[str]] = {}
    for shipment_id, key in TrackingEvent.objects.filter(
        shipment_id__in=keys_of, dedup_key__in={k for keys in keys_of.values() for k in keys}
    ).values_list("shipment_id", "dedup_key"):
        stored.setdefault(shipment_id, set()).add(key)
    added: list[tuple[Shipment, dict[str, TrackingEvent]]] = []
    for shipment in locked:
        indexes = by_shipment[shipment.pk]
        new_rows, keys = _events_add(
            shipment=shipment,
            carrier_code=carrier_of[shipment.pk],
            scans=[items[i].event for i in indexes],
            source=source,
            actor=actor,
            keys=keys_of[shipment.pk],
            stored=stored.get(shipment.pk, set()),
            insert=False,
        )
        if new_rows:
            added.append((shipment, new_rows))
        first_seen: set[str] = set()
        for index, key in zip(indexes, keys, strict=True):
            is_new = key in new_rows and key not in first_seen
            first_seen.add(key)
            results[index].result = "created" if is_new else "duplicate"
    # One insert for the whole batch, then each parcel follows its scans.
    TrackingEvent.objects.bulk_create(
        [row for _shipment, rows in added for row in rows.values()], ignore_conflicts=True
    )
    for shipment, new_rows in added:
        _shipment_follow_tracking(shipment=shipment, new_rows=new_rows, actor=actor)
    return results


def _key(scan: TrackingInput, carrier_code: str, tracking_number: str) -> str:
    return scan.dedup_key or tracking_dedup_key(
        carrier_code=carrier_code,
        tracking_number=tracking_number,
        occurred_at=scan.occurred_at,
        status=scan.status,
        text=scan.text,
    )


def _events_add(
    *,
    shipment: Shipment,
    carrier_code: str,
    scans: Iterable[TrackingInput],
    source: str,
    actor,
    keys: list[str] | None = None,
    stored: set[str] | None = None,
    insert: bool = True,
) -> tuple[dict[str, TrackingEvent], list[str]]:
    """Insert the scans not stored yet (shipment already locked).

    `keys` and `stored` (the keys already stored) may be given by a caller that computed them
    for a whole batch, and `insert=False` leaves the insert to it. Returns (the new rows by
    dedup key, in input order; every input's key). The lock serialises writers of one
    shipment, so "already stored?" is answered exactly; the insert still ignores conflicts,
    so even a writer that skipped the lock cannot make it fail.
    """
    scans = list(scans)
    if keys is None:
        keys = [_key(scan, carrier_code, shipment.tracking_number) for scan in scans]
    if stored is None:
        stored = set(
            TrackingEvent.objects.filter(shipment=shipment, dedup_key__in=set(keys)).values_list(
                "dedup_key", flat=True
            )
        )
    new_rows: dict[str, TrackingEvent] = {}
    created_by = actor if getattr(actor, "pk", None) else None
    for scan, key in zip(scans, keys, strict=True):
        if key in stored or key in new_rows:
            continue
        new_rows[key] = TrackingEvent(
            shipment=shipment,
            occurred_at=scan.occurred_at,
            status=scan.status,
            location=scan.location[:100],
            text=scan.text[:300],
            source=source,
            dedup_key=key,
            created_by=created_by,
        )
    if new_rows and insert:
        TrackingEvent.objects.bulk_create(new_rows.values(), ignore_conflicts=True)
    return new_rows, keys


def _latest(rows) -> TrackingEvent:
    # Among scans at the same time the one stored last (highest id) counts as the latest;
    # new rows are inserted in input order, so that is the last of them in the list.
    latest = None
    for row in rows:
        if latest is None or row.occurred_at >= latest.occurred_at:
            latest = row
    return latest


def _shipment_follow_tracking(
    *, shipment: Shipment, new_rows: dict[str, TrackingEvent], actor
) -> None:
    """Bring the locked shipment in line with its latest scan, and flag new exceptions.

    Only new scans can change anything: when none of them is at or after the shipment's
    last_event_at, the latest scan was already followed when it arrived.
    """
    newest = _latest(new_rows.values())
    latest = newest
    if shipment.last_event_at is None:
        latest = (
            TrackingEvent.objects.filter(shipment=shipment)
            .order_by("-occurred_at", "-id")
            .only("id", "occurred_at", "status", "text", "dedup_key")
            .first()
        )
    elif newest.occurred_at < shipment.last_event_at:
        latest = None  # an older scan arriving late: history only
    fields: list[str] = []
    if latest is not None and shipment.last_event_at != latest.occurred_at:
        shipment.last_event_at = latest.occurred_at
        fields.append("last_event_at")
    target = None
    if latest is not None:
        target = SHIPMENT_STATUS_FOR[TrackingEvent.Status(latest.status)]
    moves = bool(target) and target != shipment.status and shipment_can_move(shipment, target)
    new_exception = _latest(
        row for row in new_rows.values() if row.status == TrackingEvent.Status.EXCEPTION
    )
    # Decided on the parcel's state after the whole batch, in event-time order: a late
    # exception scan of a parcel that has since been delivered is history, not news, and so is
    # an exception this very batch follows with the delivery (a delivered scan that is the
    # latest one is at or after it in time, whatever order the batch listed them in).
    flag_exception = (
        new_exception is not None
        and not (moves and target == Shipment.Status.DELIVERED)
        and (
            shipment.status not in Shipment.FINAL_STATUSES
            or (latest is not None and new_exception.dedup_key == latest.dedup_key)
        )
    )
    if flag_exception:
        shipment.has_exception = True
        shipment.exception_note = (new_exception.text or new_exception.location or "")[:200]
        fields += ["has_exception", "exception_note"]
    if moves:
        shipment_move(
            shipment=shipment,
            to_status=target,
            actor=actor,
            reason=latest.text or TrackingEvent.Status(latest.status).label,
            kind="tracking",
            payload={"dedup_key": latest.dedup_key, "occurred_at": latest.occurred_at.isoformat()},
            at=latest.occurred_at,
            fields=tuple(fields),
        )
    elif fields:
        shipment.save(update_fields=[*fields, "updated_at"])
    if flag_exception:
        _notify_exception(shipment=shipment, note=shipment.exception_note)


def _notify_exception(*, shipment: Shipment, note: str) -> None:
    title = _("包裹异常：%(carrier)s %(number)s") % {
        "carrier": shipment.carrier.name,
        "number": shipment.tracking_number,
    }
    body = note or _("承运商报告了异常，请及时联系承运商和买家。")
    url = reverse("admin:logistics_shipment_change", args=[shipment.pk])
    members = StoreMember.objects.filter(store_id=shipment.store_id).select_related("user")
    staff = User.objects.filter(groups__name=PLATFORM_OPERATIONS, is_active=True).distinct()
    notified: set[int] = set()
    for user in [member.user for member in members if member.user.is_active] + list(staff):
        if user.pk in notified:
            continue
        notified.add(user.pk)
        notification_send(user=user, title=title, body=body, url=url)
