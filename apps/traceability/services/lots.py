"""Lots: harvest, status moves (hold, release, recall, expiry), mixing and repacking."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.services import notification_send
from apps.catalog.models import Product, Sku
from apps.core.errors import ApplicationError
from apps.core.outbox import outbox_message_record
from apps.core.text import as_sentence
from apps.core.transitions import event_record, transition
from apps.stores.divisions import division_short_name
from apps.stores.models import Store, StoreMember
from apps.stores.selectors import store_ids_for_user, user_can_manage_all_stores
from apps.traceability.errors import TraceErrorCode
from apps.traceability.models import Location, Lot, Party, TraceEvent, Unit
from apps.traceability.rules import derived_lots, inputs_used, lot_lineage, safety_violations
from apps.traceability.services.codes import trace_code_for_lot
from apps.traceability.services.common import (
    field_error,
    not_in_future_check,
    same_store_check,
    store_access_check,
)
from apps.traceability.services.events import EventLotInput, trace_event_append
from apps.traceability.services.holds import lot_sku_ids, skus_hold_refresh, skus_lock
from apps.traceability.signals import LOT_RECALLED

Status = Lot.Status
Step = TraceEvent.BusinessStep
Disposition = TraceEvent.Disposition
QUANTUM = Decimal("0.001")


def _harvest_moment(day: date) -> datetime:
    """When a harvest on `day` is put on the timeline: noon that day, never in the future."""
    noon = timezone.make_aware(datetime.combine(day, time(12)))
    return min(noon, timezone.now())


def _skus_check(product: Product, skus: Sequence[Sku]) -> None:
    for sku in skus:
        if sku.product_id != product.pk:
            raise field_error(
                _("规格「%(sku)s」不属于所选商品。") % {"sku": sku},
                code=TraceErrorCode.SKU_NOT_OF_PRODUCT,
                field="skus",
            )


def _quantity_check(quantity: Decimal, *, field: str = "quantity") -> Decimal:
    quantity = Decimal(quantity).quantize(QUANTUM)
    if quantity <= 0:
        raise field_error(_("数量必须大于 0。"), code="invalid", field=field)
    return quantity


def _lot_number_check(store: Store, lot_number: str) -> str:
    lot_number = (lot_number or "").strip()
    if not lot_number:
        raise field_error(_("请填写批次号。"), code="required", field="lot_number")
    if Lot.objects.filter(store=store, lot_number=lot_number).exists():
        raise field_error(
            _("本店铺已有批次号「%(number)s」。") % {"number": lot_number},
            code=TraceErrorCode.LOT_NUMBER_TAKEN,
            field="lot_number",
        )
    return lot_number


def _expiry(product: Product, harvest_date: date, expiry_date: date | None) -> date | None:
    if expiry_date is not None:
        if expiry_date < harvest_date:
            raise field_error(_("保质期不能早于采收日期。"), code="invalid", field="expiry_date")
        return expiry_date
    if product.shelf_life_days:
        return harvest_date + timedelta(days=product.shelf_life_days)
    return None


def lot_safety_refresh(*, lot: Lot) -> list[str]:
    """Recompute the safety-interval flag of a lot from its (and its sources') farm records."""
    violations = safety_violations(lot_lineage(lot))
    flagged = bool(violations)
    reason = " ".join(violations)[:500]
    if (lot.is_safety_flagged, lot.safety_flag_reason) != (flagged, reason):
        lot.is_safety_flagged = flagged
        lot.safety_flag_reason = reason
        lot.save(update_fields=["is_safety_flagged", "safety_flag_reason", "updated_at"])
    return violations


def _inputs_snapshot(lot: Lot) -> list[dict]:
    return [
        {
            "id": use.application.pk,
            "type": use.application.input_type,
            "name": use.application.product_name,
            "ingredient": use.application.active_ingredient,
            "registration": use.application.registration_number,
            "dose": use.application.dose,
            "applied_on": use.application.applied_on.isoformat(),
            "safety_interval_days": use.application.safety_interval_days,
        }
        for use in inputs_used(lot_lineage(lot))
    ]


@transaction.atomic
def lot_create(
    *,
    store: Store,
    lot_number: str,
    product: Product,
    producer: Party,
    harvest_date: date,
    quantity: Decimal,
    unit: str = Unit.KILOGRAM,
    plot: Location | None = None,
    skus: Sequence[Sku] = (),
    expiry_date: date | None = None,
    actor: User | None,
) -> Lot:
    """Register a harvested lot: commissioning event, safety flag and its lot trace code."""
    store_access_check(actor=actor, store_id=store.pk)
    same_store_check(store.pk, product, field="product")
    same_store_check(store.pk, producer, field="producer")
    same_store_check(store.pk, plot, field="plot")
    if plot is not None and plot.kind not in Location.GROWING_KINDS:
        raise field_error(
            _("产地只能是生产基地或地块。"),
            code=TraceErrorCode.INVALID_LOCATION_KIND,
            field="plot",
        )
    _skus_check(product, skus)
    not_in_future_check(harvest_date, field="harvest_date")
    quantity = _quantity_check(quantity)
    origin_code = plot.division_code if plot is not None else product.origin_code
    lot = Lot.objects.create(
        store=store,
        lot_number=_lot_number_check(store, lot_number),
        product=product,
        producer=producer,
        plot=plot,
        origin_code=origin_code,
        origin_name=(division_short_name(origin_code) if origin_code else "")
        or product.origin_name,
        harvest_date=harvest_date,
        quantity=quantity,
        unit=unit,
        expiry_date=_expiry(product, harvest_date, expiry_date),
        created_by=actor,
    )
    if skus:
        lot.skus.set(skus)
        # A new active lot may put a held SKU back on sale (before the chain head: lock order).
        skus_hold_refresh(sku_ids=[sku.pk for sku in skus])
    lot_safety_refresh(lot=lot)
    event_record(lot, kind="status", from_status="", actor=actor, reason=_("采收入批"))
    trace_event_append(
        store=store,
        event_type=TraceEvent.EventType.OBJECT,
        action=TraceEvent.Action.ADD,
        business_step=Step.COMMISSIONING,
        disposition=Disposition.ACTIVE,
        lots=[EventLotInput(lot=lot, quantity=quantity, unit=unit)],
        actor=actor,
        event_time=_harvest_moment(harvest_date),
        location=plot,
        extra={
            "kind": "harvest",
            "lot_number": lot.lot_number,
            "product_id": product.pk,
            "producer_id": producer.pk,
            "harvest_date": harvest_date.isoformat(),
            "origin_code": lot.origin_code,
            "inputs": _inputs_snapshot(lot),
        },
    )
    trace_code_for_lot(lot=lot)
    return lot


@transaction.atomic
def lot_update(
    *,
    lot: Lot,
    actor: User | None,
    skus: Sequence[Sku] | None = None,
    expiry_date: date | None = None,
) -> Lot:
    """Change what may change after harvest: the SKUs a lot supplies and its expiry date.

    Number, product, producer, plot, date and quantity are in the harvest event's hash.
    """
    store_access_check(actor=actor, store_id=lot.store_id)
    touched: set[int] = set()
    if skus is not None:
        _skus_check(lot.product, skus)
        # SKUs leaving the lot and SKUs joining it may both change whether they can sell.
        touched = lot_sku_ids([lot.pk]) | {sku.pk for sku in skus}
        lot.skus.set(skus)
    if expiry_date is not None and expiry_date != lot.expiry_date:
        lot.expiry_date = _expiry(lot.product, lot.harvest_date, expiry_date)
        lot.save(update_fields=["expiry_date", "updated_at"])
        touched |= lot_sku_ids([lot.pk])
    if touched:
        skus_hold_refresh(sku_ids=touched)
    return lot


def lots_lock(lot_ids: list[int]) -> None:
    """Lock lot rows in primary-key order before taking the store's chain head.

    Every service takes its locks in that order (lots, then the chain head), so two of them
    can never wait on each other.
    """
    list(Lot.objects.select_for_update().filter(pk__in=lot_ids).order_by("pk").values_list("pk"))


def _locked(lot: Lot) -> Lot:
    return Lot.objects.select_for_update().select_related("store").get(pk=lot.pk)


@transaction.atomic
def lot_change_status(
    *, lot: Lot, to_status: str, actor: User | None, reason: str = "", payload: dict | None = None
) -> Lot:
    """Move a lot along Lot.TRANSITIONS with a LotStatusChange row (no event: callers add it)
    and refresh its SKUs' is_held (callers append their event after: SKUs before chain head)."""
    store_access_check(actor=actor, store_id=lot.store_id)
    _lot_transition(lot=lot, to_status=to_status, actor=actor, reason=reason, payload=payload)
    skus_hold_refresh(sku_ids=lot_sku_ids([lot.pk]))
    return lot


def _lot_transition(
    *, lot: Lot, to_status: str, actor: User | None, reason: str, payload: dict | None
) -> Lot:
    locked = _locked(lot)
    locked.status_reason = (reason or "")[:300]
    transition(
        locked, to_status, actor=actor, reason=reason, payload=payload, fields=["status_reason"]
    )
    lot.status, lot.status_reason = locked.status, locked.status_reason
    return lot


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise field_error(_("请填写原因。"), code=TraceErrorCode.REASON_REQUIRED, field="reason")
    return reason


def _holding_event(lot: Lot, *, disposition: str, kind: str, reason: str, actor: User | None):
    return trace_event_append(
        store=lot.store,
        event_type=TraceEvent.EventType.OBJECT,
        action=TraceEvent.Action.OBSERVE,
        business_step=Step.HOLDING,
        disposition=disposition,
        lots=[EventLotInput(lot=lot)],
        actor=actor,
        extra={"kind": kind, "reason": reason},
    )


@transaction.atomic
def lot_hold(*, lot: Lot, actor: User | None, reason: str) -> Lot:
    """Stop selling a lot while something is checked (e.g. a failed test)."""
    reason = _reason_required(reason)
    lot_change_status(lot=lot, to_status=Status.ON_HOLD, actor=actor, reason=reason)
    _holding_event(
        lot, disposition=Disposition.NON_SELLABLE_OTHER, kind="hold", reason=reason, actor=actor
    )
    return lot


@transaction.atomic
def lot_release(*, lot: Lot, actor: User | None, reason: str) -> Lot:
    """Put a held lot back on sale."""
    reason = _reason_required(reason)
    lot_change_status(lot=lot, to_status=Status.ACTIVE, actor=actor, reason=reason)
    _holding_event(
        lot,
        disposition=Disposition.SELLABLE_ACCESSIBLE,
        kind="release",
        reason=reason,
        actor=actor,
    )
    return lot


def _recall_permission_check(actor: User | None, lot: Lot) -> None:
    """Platform staff with the recall permission, or a member of the lot's store."""
    if actor is None:
        return
    if user_can_manage_all_stores(actor) and actor.has_perm("traceability.recall_lot"):
        return
    if lot.store_id in store_ids_for_user(actor):
        return
    raise ApplicationError(
        _("只有本店铺成员或平台运营人员可以召回批次。"),
        code=TraceErrorCode.WRONG_STORE,
        status_code=403,
    )


@transaction.atomic
def lot_recall(*, lot: Lot, actor: User | None, reason: str) -> list[Lot]:
    """Recall a lot and every lot made from it: status, a holding event each, and the news.

    Returns the lots recalled. Their SKUs stop selling unless another active lot supplies them
    (selectors.sku_is_sellable_by_lots). `lot_recalled` is sent after commit so the orders app
    can list and notify the buyers of order lines filled from these lots (an outbox message:
    apps/traceability/outbox.py).
    """
    reason = _reason_required(reason)
    _recall_permission_check(actor, lot)
    recalled = []
    targets = [lot, *derived_lots(lot)]
    lots_lock([target.pk for target in targets])
    for target in targets:
        if target.status == Status.RECALLED:
            continue
        _lot_transition(
            lot=target,
            to_status=Status.RECALLED,
            actor=actor,
            reason=reason,
            payload={"recalled_by": actor.pk if actor else None, "origin_lot": lot.pk},
        )
        recalled.append(target)
    if not recalled:
        raise ApplicationError(
            _("批次已召回。"), code=TraceErrorCode.INVALID_TRANSITION, status_code=409
        )
    # One refresh for all recalled lots, before the events take the chain head (lock order).
    skus_hold_refresh(sku_ids=lot_sku_ids([target.pk for target in recalled]))
    for target in recalled:
        _holding_event(
            target, disposition=Disposition.RECALLED, kind="recall", reason=reason, actor=actor
        )
    store_ids = {target.store_id for target in recalled}
    acting_member = actor is not None and bool(set(store_ids_for_user(actor)) & store_ids)
    if not acting_member:
        # Staff recalled it: tell the store's people, who must pull the goods.
        for member in StoreMember.objects.filter(store_id__in=store_ids).select_related("user"):
            notification_send(
                user=member.user,
                title=_("批次 %(lot)s 已被召回") % {"lot": lot.lot_number},
                body=_("平台已召回该批次：%(reason)s请立即停止销售并处理库存。")
                % {"reason": as_sentence(reason)},
            )
    if recalled:
        # Through the outbox: recorded with the recall, announced after the commit, retried
        # until the receivers (the buyers' notices) have run; never lost, never twice.
        outbox_message_record(
            kind=LOT_RECALLED,
            payload={
                "lot_ids": [target.pk for target in recalled],
                "reason": reason,
                "actor_id": actor.pk if actor else None,
            },
        )
    return recalled


@dataclass(frozen=True)
class TransformInput:
    lot: Lot
    quantity: Decimal


@transaction.atomic
def lot_transform(
    *,
    store: Store,
    inputs: Sequence[TransformInput],
    lot_number: str,
    product: Product,
    producer: Party,
    quantity: Decimal,
    unit: str,
    actor: User | None,
    skus: Sequence[Sku] = (),
    location: Location | None = None,
    expiry_date: date | None = None,
    business_step: str = Step.PACKING,
) -> Lot:
    """Mix or repack lots into a new lot: one transformation event (inputs → output).

    The new lot keeps its sources (for recalls and the trace page) and needs its own
    certificate listing the sources' certificates (services.certificates). An input used up
    entirely is marked consumed.
    """
    store_access_check(actor=actor, store_id=store.pk)
    if not inputs:
        raise field_error(
            _("请选择要混合或分装的批次。"), code=TraceErrorCode.TRANSFORM_INPUTS, field="inputs"
        )
    if len({item.lot.pk for item in inputs}) != len(inputs):
        raise field_error(
            _("同一批次只能选一次。"), code=TraceErrorCode.TRANSFORM_INPUTS, field="inputs"
        )
    same_store_check(store.pk, product, field="product")
    same_store_check(store.pk, producer, field="producer")
    same_store_check(store.pk, location, field="location")
    same_store_check(store.pk, *(item.lot for item in inputs), field="inputs")
    if business_step not in (Step.PACKING, Step.COMMISSIONING):
        raise field_error(
            _("混合/分装只能记为包装或入批。"),
            code=TraceErrorCode.STEP_NOT_ALLOWED,
            field="business_step",
        )
    _skus_check(product, skus)
    quantity = _quantity_check(quantity)
    sources = []
    # Lock the inputs in primary-key order so two concurrent transformations cannot deadlock.
    for item in sorted(inputs, key=lambda item: item.lot.pk):
        source = _locked(item.lot)
        used = _quantity_check(item.quantity, field="inputs")
        if source.status != Status.ACTIVE:
            raise field_error(
                _("批次 %(lot)s 当前状态为「%(status)s」，不能再加工。")
                % {"lot": source, "status": source.get_status_display()},
                code=TraceErrorCode.LOT_NOT_ACTIVE,
                field="inputs",
            )
        if used > source.quantity:
            raise field_error(
                _("批次 %(lot)s 只有 %(have)s %(unit)s。")
                % {"lot": source, "have": source.quantity, "unit": source.get_unit_display()},
                code=TraceErrorCode.QUANTITY_EXCEEDED,
                field="inputs",
            )
        sources.append((source, used))
    # Consuming a source or adding this lot may change whether their SKUs can sell: lock those
    # SKUs now, before the chain head (the refresh below then waits for nothing).
    touched = lot_sku_ids([source.pk for source, _used in sources]) | {sku.pk for sku in skus}
    skus_lock(sku_ids=touched)

    harvest_date = min(source.harvest_date for source, _used in sources)
    plots = {source.plot_id for source, _used in sources}
    origins = []
    for source, _used in sources:
        if source.origin_name and source.origin_name not in origins:
            origins.append(source.origin_name)
    codes = {source.origin_code for source, _used in sources}
    lot = Lot.objects.create(
        store=store,
        lot_number=_lot_number_check(store, lot_number),
        product=product,
        producer=producer,
        plot=sources[0][0].plot if len(plots) == 1 else None,
        origin_code=codes.pop() if len(codes) == 1 else "",
        origin_name="、".join(origins)[:80],
        harvest_date=harvest_date,
        quantity=quantity,
        unit=unit,
        expiry_date=_expiry(product, harvest_date, expiry_date),
        created_by=actor,
    )
    lot.source_lots.set([source for source, _used in sources])
    if skus:
        lot.skus.set(skus)
    lot_safety_refresh(lot=lot)
    event_record(
        lot, kind="status", from_status="", actor=actor, reason=_("由其他批次混合/分装而来")
    )
    trace_event_append(
        store=store,
        event_type=TraceEvent.EventType.TRANSFORMATION,
        action=TraceEvent.Action.NONE,
        business_step=business_step,
        disposition=Disposition.ACTIVE,
        lots=[
            *(
                EventLotInput(lot=source, role="input", quantity=used, unit=source.unit)
                for source, used in sources
            ),
            EventLotInput(lot=lot, role="output", quantity=quantity, unit=unit),
        ],
        actor=actor,
        location=location,
        extra={"kind": "transformation", "lot_number": lot.lot_number, "product_id": product.pk},
    )
    for source, used in sources:
        remaining = source.quantity - used
        Lot.objects.filter(pk=source.pk).update(quantity=F("quantity") - used)
        if remaining == 0:
            _lot_transition(
                lot=source,
                to_status=Status.CONSUMED,
                actor=actor,
                reason=_("已全部加工为批次 %(lot)s") % {"lot": lot.lot_number},
                payload=None,
            )
    skus_hold_refresh(sku_ids=touched)
    trace_code_for_lot(lot=lot)
    return lot


@transaction.atomic
def lots_expire_due(*, today: date | None = None) -> int:
    """Mark lots past their expiry date as expired (run daily by a beat task), then refresh
    every SKU's is_held: a lot stops supplying its SKUs the day its expiry date passes, and a
    run also repairs flags of a database that predates them."""
    today = today or timezone.localdate()
    count = 0
    due = Lot.objects.filter(
        status__in=[Status.ACTIVE, Status.ON_HOLD], expiry_date__lt=today
    ).order_by("pk")
    for lot in due:
        _lot_transition(
            lot=lot, to_status=Status.EXPIRED, actor=None, reason=_("已过保质期"), payload=None
        )
        count += 1
    skus_hold_refresh(sku_ids=None, today=today)
    return count


def lot_allocation_check(*, lot: Lot, sku: Sku, today: date | None = None) -> None:
    """Refuse filling an order line of `sku` from `lot` (for the orders app, at shipping).

    The lot must supply the SKU, be active and not past its expiry date.
    """
    today = today or timezone.localdate()
    if not lot.skus.filter(pk=sku.pk).exists():
        raise field_error(
            _("批次 %(lot)s 不供应这个规格。") % {"lot": lot},
            code=TraceErrorCode.SKU_NOT_OF_PRODUCT,
            field="lot",
        )
    if lot.status != Status.ACTIVE or (lot.expiry_date and lot.expiry_date < today):
        raise field_error(
            _("批次 %(lot)s 当前不可发货（%(status)s）。")
            % {"lot": lot, "status": lot.get_status_display()},
            code=TraceErrorCode.LOT_NOT_ACTIVE,
            field="lot",
        )


# Grams in one unit of a lot kept by mass. Lots kept in a count unit (箱, 袋, 个, 头, 打) count
# one piece of a SKU as one unit: the SKU is how the merchant packs that unit.
GRAMS_PER_UNIT = {Unit.KILOGRAM: 1000, Unit.JIN: 500, Unit.TONNE: 1_000_000}


def lot_quantity_for_pieces(*, lot: Lot, sku: Sku, pieces: int) -> Decimal:
    """How much of `lot`, in the lot's own unit, `pieces` of `sku` take (for shipping).

    A lot kept by mass needs the SKU's net weight: two 2.5 kg boxes from a lot in 千克 are
    5 千克, not 2. A SKU without a weight cannot be converted, so it is refused with a
    message that says what to fill in.
    """
    grams_per_unit = GRAMS_PER_UNIT.get(lot.unit)
    if grams_per_unit is None:
        return Decimal(pieces)
    if not sku.weight_grams:
        raise field_error(
            _(
                "批次 %(lot)s 以%(unit)s计量，规格「%(spec)s」未填写重量，无法换算发货数量。"
                "请先在商品规格中填写重量(克)。"
            )
            % {"lot": lot, "unit": lot.get_unit_display(), "spec": sku.spec},
            code=TraceErrorCode.UNIT_NOT_CONVERTIBLE,
            field="lot",
        )
    return (Decimal(pieces) * sku.weight_grams / grams_per_unit).quantize(Decimal("0.001"))


@transaction.atomic
def lot_shipment_record(
    *,
    store: Store,
    allocations: Sequence[tuple[Lot, Decimal]],
    actor: User | None,
    reference: str,
    location: Location | None = None,
    extra: dict | None = None,
    event_time: datetime | None = None,
) -> TraceEvent:
    """The shipping event of an order (for the orders app): which lots left, how much.

    `reference` is the order number; `extra` may carry the carrier, tracking number and
    temperature. Quantities are in each lot's unit (lot_quantity_for_pieces converts).
    """
    store_access_check(actor=actor, store_id=store.pk)
    merged: dict[int, tuple[Lot, Decimal]] = {}
    for lot, quantity in allocations:
        previous = merged.get(lot.pk, (lot, Decimal(0)))[1]
        merged[lot.pk] = (lot, previous + Decimal(quantity))
    return trace_event_append(
        store=store,
        event_type=TraceEvent.EventType.OBJECT,
        action=TraceEvent.Action.OBSERVE,
        business_step=Step.SHIPPING,
        disposition=Disposition.IN_TRANSIT,
        lots=[
            EventLotInput(lot=lot, quantity=quantity, unit=lot.unit)
            for lot, quantity in merged.values()
        ],
        actor=actor,
        location=location,
        event_time=event_time,
        extra={**(extra or {}), "kind": "order_shipment", "reference": reference},
    )
