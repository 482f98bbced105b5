"""Appending to a store's event chain: the only way a TraceEvent is ever written.

Appends lock the store's ChainHead row (SELECT … FOR UPDATE), so two concurrent appends can
never both follow the same previous hash; sequences stay gap-free per store.
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.stores.models import Store
from apps.traceability.errors import TraceErrorCode
from apps.traceability.hashing import (
    EventFacts,
    EventLotFacts,
    chain_hash,
    event_hash,
    truncate_to_milliseconds,
)
from apps.traceability.models import ChainHead, Location, Lot, TraceEvent, TraceEventLot
from apps.traceability.services.common import field_error, same_store_check, store_access_check

Step = TraceEvent.BusinessStep
Disposition = TraceEvent.Disposition
Role = TraceEventLot.Role

# What a merchant may record by hand, with the disposition it implies by default. Harvest
# (commissioning), holds/recalls and transformations have their own services.
MERCHANT_STEPS: dict[str, str] = {
    Step.INSPECTING: Disposition.CONFORMANT,
    Step.PACKING: Disposition.IN_PROGRESS,
    Step.STORING: Disposition.SELLABLE_ACCESSIBLE,
    Step.SHIPPING: Disposition.IN_TRANSIT,
    Step.RECEIVING: Disposition.SELLABLE_ACCESSIBLE,
    Step.RETAIL_SELLING: Disposition.RETAIL_SOLD,
    Step.DESTROYING: Disposition.DESTROYED,
}
# An event may be dated a little ahead (clock skew between a phone and the server), no more.
FUTURE_TOLERANCE = timedelta(minutes=10)
MAX_EXTRA_BYTES = 8 * 1024


@dataclass(frozen=True)
class EventLotInput:
    lot: Lot
    role: str = Role.SUBJECT
    quantity: Decimal | None = None
    unit: str = ""


def actor_ref(actor: User | None) -> str:
    return f"user:{actor.pk}" if actor is not None else "system"


def extra_clean(extra: dict | None) -> dict:
    """JSON that hashes the same after a round trip through any database.

    Floats are refused (their text form is not stable across JSON encoders); numbers with
    decimals travel as strings, e.g. {"temperature_c": "3.5"}.
    """
    extra = extra or {}
    if not isinstance(extra, dict):
        raise field_error(
            _("附加信息必须是 JSON 对象。"), code=TraceErrorCode.EXTRA_INVALID, field="extra"
        )

    def walk(value):
        if isinstance(value, float):
            raise field_error(
                _('附加信息中的小数请写成字符串，如 "3.5"。'),
                code=TraceErrorCode.EXTRA_INVALID,
                field="extra",
            )
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {str(k): walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        if value is None or isinstance(value, bool | int | str):
            return value
        raise field_error(
            _("附加信息含有无法保存的值。"), code=TraceErrorCode.EXTRA_INVALID, field="extra"
        )

    cleaned = walk(extra)
    if len(json.dumps(cleaned, ensure_ascii=False).encode()) > MAX_EXTRA_BYTES:
        raise field_error(_("附加信息太长。"), code=TraceErrorCode.EXTRA_INVALID, field="extra")
    return cleaned


def chain_head_lock(store_id: int) -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(store_id=store_id).first()
    if head is not None:
        return head
    # First event of the store: create the head without racing another first append
    # (INSERT … ON CONFLICT DO NOTHING), then lock whichever row won.
    ChainHead.objects.bulk_create([ChainHead(store_id=store_id)], ignore_conflicts=True)
    return ChainHead.objects.select_for_update().get(store_id=store_id)


def event_facts(event: TraceEvent, lots: Sequence[TraceEventLot]) -> EventFacts:
    return EventFacts(
        uuid=str(event.uuid),
        store_id=event.store_id,
        event_type=event.event_type,
        action=event.action,
        business_step=event.business_step,
        disposition=event.disposition,
        event_time=event.event_time,
        recorded_at=event.recorded_at,
        location_id=event.location_id,
        actor_ref=event.actor_ref,
        corrects_id=event.corrects_id,
        extra=event.extra,
        lots=tuple(
            EventLotFacts(
                lot_id=link.lot_id, role=link.role, quantity=link.quantity, unit=link.unit
            )
            for link in lots
        ),
    )


@transaction.atomic
def trace_event_append(
    *,
    store: Store,
    event_type: str,
    action: str,
    business_step: str,
    disposition: str,
    lots: Sequence[EventLotInput],
    actor: User | None,
    event_time: datetime | None = None,
    location: Location | None = None,
    extra: dict | None = None,
    corrects: TraceEvent | None = None,
) -> TraceEvent:
    """Append one event to the store's chain (the primitive under every event service)."""
    now = timezone.now()
    event_time = event_time or now
    if event_time > now + FUTURE_TOLERANCE:
        raise field_error(
            _("发生时间不能晚于现在。"), code=TraceErrorCode.DATE_IN_FUTURE, field="event_time"
        )
    same_store_check(store.pk, location, field="location")
    same_store_check(store.pk, corrects, field="corrects")
    same_store_check(store.pk, *(item.lot for item in lots), field="lots")
    seen = set()
    for item in lots:
        if (item.lot.pk, item.role) in seen:
            raise field_error(
                _("同一批次在一个事件中只能出现一次。"),
                code=TraceErrorCode.TRANSFORM_INPUTS,
                field="lots",
            )
        seen.add((item.lot.pk, item.role))
    extra = extra_clean(extra)

    head = chain_head_lock(store.pk)
    event = TraceEvent(
        store=store,
        sequence=head.last_sequence + 1,
        uuid=uuid.uuid4(),
        event_type=event_type,
        action=action,
        business_step=business_step,
        disposition=disposition,
        event_time=truncate_to_milliseconds(event_time),
        recorded_at=truncate_to_milliseconds(now),
        location=location,
        actor=actor,
        actor_ref=actor_ref(actor),
        extra=extra,
        corrects=corrects,
    )
    links = [
        TraceEventLot(
            lot=item.lot,
            role=item.role,
            quantity=None
            if item.quantity is None
            else Decimal(item.quantity).quantize(Decimal("0.001")),
            unit=item.unit or (item.lot.unit if item.quantity is not None else ""),
        )
        for item in lots
    ]
    event.event_hash = event_hash(event_facts(event, links))
    event.previous_hash = head.last_chain_hash
    event.chain_hash = chain_hash(head.last_chain_hash, event.event_hash)
    event.save()
    for link in links:
        link.event = event
    TraceEventLot.objects.bulk_create(links)

    head.last_sequence = event.sequence
    head.last_chain_hash = event.chain_hash
    head.save(update_fields=["last_sequence", "last_chain_hash", "updated_at"])
    return event


def _default_disposition(step: str, disposition: str | None) -> str:
    if step not in MERCHANT_STEPS:
        raise field_error(
            _("这个业务步骤由系统自动记录，不能手工添加。"),
            code=TraceErrorCode.STEP_NOT_ALLOWED,
            field="business_step",
        )
    return disposition or MERCHANT_STEPS[step]


@transaction.atomic
def trace_event_record(
    *,
    store: Store,
    business_step: str,
    lots: Sequence[EventLotInput],
    actor: User | None,
    disposition: str | None = None,
    event_time: datetime | None = None,
    location: Location | None = None,
    extra: dict | None = None,
) -> TraceEvent:
    """A merchant records what happened to lots: packing, storing, shipping, receiving …"""
    store_access_check(actor=actor, store_id=store.pk)
    disposition = _default_disposition(business_step, disposition)
    if not lots:
        raise field_error(
            _("请选择至少一个批次。"), code=TraceErrorCode.TRANSFORM_INPUTS, field="lots"
        )
    return trace_event_append(
        store=store,
        event_type=TraceEvent.EventType.OBJECT,
        action=TraceEvent.Action.OBSERVE,
        business_step=business_step,
        disposition=disposition,
        lots=lots,
        actor=actor,
        event_time=event_time,
        location=location,
        extra=extra,
    )


@transaction.atomic
def trace_event_correct(
    *,
    event: TraceEvent,
    actor: User | None,
    reason: str,
    event_time: datetime | None = None,
    location: Location | None = None,
    disposition: str | None = None,
    extra: dict | None = None,
) -> TraceEvent:
    """Correct an event by appending a new one that points at it; the old row never changes.

    Unset arguments keep the corrected event's values; its lots are carried over.
    """
    store_access_check(actor=actor, store_id=event.store_id)
    reason = (reason or "").strip()
    if not reason:
        raise field_error(
            _("请填写更正原因。"), code=TraceErrorCode.REASON_REQUIRED, field="reason"
        )
    if event.business_step not in MERCHANT_STEPS:
        raise field_error(
            _("系统自动记录的事件不能更正。"),
            code=TraceErrorCode.STEP_NOT_ALLOWED,
            field="corrects",
        )
    links = list(event.event_lots.select_related("lot"))
    payload = dict(event.extra if extra is None else extra)
    payload["correction_reason"] = reason
    return trace_event_append(
        store=event.store,
        event_type=event.event_type,
        action=event.action,
        business_step=event.business_step,
        disposition=disposition or event.disposition,
        lots=[
            EventLotInput(lot=link.lot, role=link.role, quantity=link.quantity, unit=link.unit)
            for link in links
        ],
        actor=actor,
        event_time=event_time or event.event_time,
        location=location if location is not None else event.location,
        extra=payload,
        corrects=event,
    )
