"""Reads of traceability data: the merchant's scoped lists, the public trace page, and the
questions other apps ask (which lot fills this SKU, may this SKU still sell)."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.catalog.models import Product, ProductImage, Sku
from apps.stores.selectors import scope_to_user_stores
from apps.traceability.chain import EventRow, LotIntegrity, event_rows, lot_events_verify
from apps.traceability.hashing import canonical_decimal
from apps.traceability.models import (
    Certificate,
    ChainAnchor,
    InputApplication,
    Inspection,
    InspectionItem,
    Location,
    Lot,
    LotStatusChange,
    Party,
    TraceCode,
    TraceCodeBatch,
    TraceEvent,
    TraceEventLot,
    Unit,
)
from apps.traceability.rules import InputUse, Lineage, inputs_used, lot_lineage
from apps.traceability.services.codes import code_normalize

# --- Merchant-scoped access (the only way admin, API and pages fetch these rows) -----------


def parties_for_user(*, user: User) -> QuerySet[Party]:
    return scope_to_user_stores(Party.objects.select_related("store"), user)


def locations_for_user(*, user: User) -> QuerySet[Location]:
    return scope_to_user_stores(Location.objects.select_related("store", "parent"), user)


def lots_for_user(*, user: User) -> QuerySet[Lot]:
    return scope_to_user_stores(
        Lot.objects.select_related("store", "product", "producer", "plot").prefetch_related(
            "skus",
            "source_lots",
            Prefetch(
                "trace_codes",
                queryset=TraceCode.objects.filter(package_number__isnull=True).order_by("id"),
                to_attr="lot_codes",
            ),
        ),
        user,
    )


def input_applications_for_user(*, user: User) -> QuerySet[InputApplication]:
    return scope_to_user_stores(InputApplication.objects.select_related("plot"), user)


def inspections_for_user(*, user: User) -> QuerySet[Inspection]:
    return scope_to_user_stores(
        Inspection.objects.select_related("lot").prefetch_related("items"), user
    )


def certificates_for_user(*, user: User) -> QuerySet[Certificate]:
    return scope_to_user_stores(
        Certificate.objects.select_related("lot", "store").prefetch_related(
            "source_certificates", "inspections"
        ),
        user,
    )


def events_for_user(*, user: User) -> QuerySet[TraceEvent]:
    return scope_to_user_stores(
        TraceEvent.objects.select_related("location").prefetch_related(
            Prefetch("event_lots", queryset=TraceEventLot.objects.select_related("lot"))
        ),
        user,
    )


def code_batches_for_user(*, user: User) -> QuerySet[TraceCodeBatch]:
    return scope_to_user_stores(
        TraceCodeBatch.objects.select_related("lot__product", "store"), user
    )


def products_for_user(*, user: User) -> QuerySet[Product]:
    return scope_to_user_stores(Product.objects.all(), user)


def skus_for_user(*, user: User) -> QuerySet[Sku]:
    return scope_to_user_stores(
        Sku.objects.select_related("product"), user, store_field="product__store"
    )


# --- Questions from orders and the storefront ------------------------------------------------


def lot_pick_for_sku(*, sku: Sku, today: date | None = None) -> Lot | None:
    """The lot an order line of `sku` is filled from by default: the first-expiring active
    lot (undated lots last, then oldest harvest). The merchant may pick another before
    shipping (services.lots.lot_allocation_check validates that choice)."""
    return _lots_supplying(sku, today).first()


def _lots_supplying(sku: Sku | int, today: date | None) -> QuerySet[Lot]:
    """The active, unexpired lots of `sku` in the order shipping picks from (first-expiring,
    undated lots last, then oldest harvest)."""
    today = today or timezone.localdate()
    return (
        Lot.objects.filter(skus=sku, status=Lot.Status.ACTIVE)
        .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gte=today))
        .order_by(F("expiry_date").asc(nulls_last=True), "harvest_date", "pk")
    )


def lot_summary_for_sku(*, sku_id: int, today: date | None = None) -> Lot | None:
    """The product page's 溯源 panel: the lot that supplies `sku_id` now (the one shipping
    would pick, lot_pick_for_sku), annotated with its producer, latest certificate, test
    count and latest test, and public trace code.

    One query, whatever the lot has recorded, so the product page grows by one query only.
    """
    certificates = Certificate.objects.filter(lot=OuterRef("pk")).order_by("-issued_on", "-id")
    inspections = Inspection.objects.filter(lot=OuterRef("pk"))
    latest_inspection = inspections.order_by("-inspected_on", "-id")
    return (
        _lots_supplying(sku_id, today)
        .annotate(
            producer_name=F("producer__name"),
            certificate_number=Subquery(certificates.values("number")[:1]),
            certificate_issued_on=Subquery(certificates.values("issued_on")[:1]),
            inspection_count=Coalesce(
                Subquery(
                    inspections.values("lot").annotate(n=Count("pk")).values("n")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
            inspection_kind=Subquery(latest_inspection.values("kind")[:1]),
            inspection_on=Subquery(latest_inspection.values("inspected_on")[:1]),
            inspection_passed=Subquery(latest_inspection.values("is_passed")[:1]),
            trace_code=Subquery(
                TraceCode.objects.filter(lot=OuterRef("pk"), package_number__isnull=True)
                .order_by("id")
                .values("code")[:1]
            ),
        )
        .first()
    )


def sku_ids_blocked_by_lots(sku_ids: Iterable[int], *, today: date | None = None) -> set[int]:
    """SKUs that must not sell: a lot of theirs is recalled or on hold, and no active lot
    supplies them. SKUs without any lot are not blocked (tracing is per product, opt-in).

    One query for any number of SKUs, for listings and carts.
    """
    ids = list(sku_ids)
    if not ids:
        return set()
    return set(
        Sku.objects.filter(pk__in=ids)
        .filter(sku_blocked_condition(today=today))
        .values_list("pk", flat=True)
    )


def sku_blocked_condition(*, today: date | None = None) -> Q:
    """The condition on a Sku row behind sku_ids_blocked_by_lots, shared with the service
    that stores it in Sku.is_held (services.holds.skus_hold_refresh) so both agree."""
    today = today or timezone.localdate()
    through = Lot.skus.through
    blocking = through.objects.filter(sku_id=OuterRef("pk"), lot__status__in=Lot.BLOCKING_STATUSES)
    active = through.objects.filter(sku_id=OuterRef("pk"), lot__status=Lot.Status.ACTIVE).filter(
        Q(lot__expiry_date__isnull=True) | Q(lot__expiry_date__gte=today)
    )
    return Q(Exists(blocking)) & ~Q(Exists(active))


def sku_is_sellable_by_lots(*, sku: Sku) -> bool:
    """False while a recall or hold covers the SKU and no other active lot supplies it."""
    return sku.pk not in sku_ids_blocked_by_lots([sku.pk])


@dataclass(frozen=True)
class SkuLotCode:
    """The lot a SKU sells from now (lot_pick_for_sku's choice) and its public code, if any."""

    lot_id: int
    lot_number: str
    code: str  # "" when the lot has no lot-level trace code yet


def lot_codes_for_skus(
    sku_ids: Iterable[int], *, today: date | None = None
) -> dict[int, SkuLotCode]:
    """lot_pick_for_sku for many SKUs at once, with each lot's own trace code: two queries
    whatever the number of SKUs (product feeds of channels)."""
    ids = list(sku_ids)
    if not ids:
        return {}
    today = today or timezone.localdate()
    rows = (
        Lot.skus.through.objects.filter(sku_id__in=ids, lot__status=Lot.Status.ACTIVE)
        .filter(Q(lot__expiry_date__isnull=True) | Q(lot__expiry_date__gte=today))
        .order_by(
            "sku_id", F("lot__expiry_date").asc(nulls_last=True), "lot__harvest_date", "lot_id"
        )
        .values_list("sku_id", "lot_id", "lot__lot_number")
    )
    picked: dict[int, tuple[int, str]] = {}
    for sku_id, lot_id, lot_number in rows:
        picked.setdefault(sku_id, (lot_id, lot_number))
    codes = dict(
        TraceCode.objects.filter(
            lot_id__in={lot_id for lot_id, _number in picked.values()}, package_number__isnull=True
        )
        .order_by("-id")
        .values_list("lot_id", "code")
    )
    return {
        sku_id: SkuLotCode(lot_id=lot_id, lot_number=number, code=codes.get(lot_id, ""))
        for sku_id, (lot_id, number) in picked.items()
    }


def lot_primary_code(*, lot: Lot) -> TraceCode | None:
    return TraceCode.objects.filter(lot=lot, package_number__isnull=True).order_by("id").first()


def trace_url(code: str, *, base_url: str = "") -> str:
    """The public URL printed in QR codes; `base_url` like https://tianjian.example.cn."""
    return f"{base_url.rstrip('/')}/t/{code}"


# --- The public trace page ---------------------------------------------------------------------

STAGES = [
    ("inputs", _("农事")),
    ("harvest", _("采收")),
    ("packing", _("包装")),
    ("storage", _("仓储")),
    ("transport", _("运输")),
    ("shipped", _("出货")),
]
_STEP_STAGE = {
    TraceEvent.BusinessStep.COMMISSIONING: "harvest",
    TraceEvent.BusinessStep.PACKING: "packing",
    TraceEvent.BusinessStep.STORING: "storage",
    TraceEvent.BusinessStep.SHIPPING: "transport",
    TraceEvent.BusinessStep.RECEIVING: "transport",
    TraceEvent.BusinessStep.RETAIL_SELLING: "shipped",
}
_KIND_STAGE = {"transformation": "packing", "order_shipment": "shipped"}
_KIND_TITLE = {
    "harvest": _("采收入批"),
    "inspection": _("检测"),
    "certificate": _("开具承诺达标合格证"),
    "transformation": _("混合/分装"),
    "hold": _("暂停销售"),
    "release": _("恢复销售"),
    "recall": _("召回"),
    "order_shipment": _("订单发货"),
}


@dataclass
class TimelineEntry:
    """One line of the page's timeline, with its text already composed (the page may hold
    hundreds; composing here keeps the template loop to plain variable output)."""

    when: datetime | date
    when_text: str
    stage: str
    title: str
    lines: list[str] = field(default_factory=list)
    place: str = ""
    lot_number: str = ""  # set when the entry belongs to another lot (a source)
    temperature: str = ""
    is_alert: bool = False
    is_corrected: bool = False
    sequence: int | None = None

    @property
    def detail(self) -> str:
        return "；".join(self.lines)


class _Words:
    """The timeline's words, translated once per page rather than once per entry."""

    def __init__(self) -> None:
        self.steps = {key: str(label) for key, label in TraceEvent.BusinessStep.choices}
        self.units = {key: str(label) for key, label in Unit.choices}
        self.inputs = {key: str(label) for key, label in InputApplication.InputType.choices}
        self.kinds = {key: str(label) for key, label in _KIND_TITLE.items()}
        self.passed, self.failed = str(_("合格")), str(_("不合格"))
        self.number = str(_("编号 %(number)s"))
        self.vehicle = str(_("车辆 %(vehicle)s"))
        self.temperature = str(_("温度 %(t)s °C"))
        self.corrected = str(_("已更正：%(reason)s"))
        self.registration = str(_("登记证号 %(number)s"))
        self.interval = str(_("安全间隔期 %(days)s 天"))


def _moment_text(value: datetime | date) -> str:
    if isinstance(value, datetime):
        local = timezone.localtime(value)
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def _event_entry(
    event: EventRow, lot: Lot, corrected: dict[int, str], words: _Words
) -> TimelineEntry:
    extra = event.extra or {}
    kind = extra.get("kind", "")
    lines = []
    if kind == "inspection":
        conformant = event.disposition == TraceEvent.Disposition.CONFORMANT
        lines.append(words.passed if conformant else words.failed)
        if extra.get("lab"):
            lines.append(str(extra["lab"]))
    elif kind == "certificate":
        lines.append(words.number % {"number": extra.get("number", "")})
    elif extra.get("reason"):
        lines.append(str(extra["reason"]))
    elif extra.get("note"):
        lines.append(str(extra["note"]))
    if extra.get("vehicle"):
        lines.append(words.vehicle % {"vehicle": extra["vehicle"]})
    if kind != "certificate":
        quantities = [
            f"{canonical_decimal(link.quantity)} {words.units.get(link.unit, link.unit)}"
            for link in event.links
            if link.lot_id == lot.pk and link.quantity is not None
        ]
        if quantities:
            lines.append("、".join(quantities))
    temperature = str(extra.get("temperature_c") or extra.get("temperature") or "")
    if temperature:
        lines.append(words.temperature % {"t": temperature})
    if event.id in corrected:
        lines.append(words.corrected % {"reason": corrected[event.id]})
    others = [link.lot_number for link in event.links if link.lot_id != lot.pk]
    return TimelineEntry(
        when=event.event_time,
        when_text=_moment_text(event.event_time),
        stage=_KIND_STAGE.get(kind) or _STEP_STAGE.get(event.business_step, ""),
        title=words.kinds.get(kind) or words.steps.get(event.business_step, ""),
        lines=lines,
        place=event.location_name or "",
        lot_number="、".join(others) if kind != "transformation" else "",
        temperature=temperature,
        is_alert=kind in ("hold", "recall")
        or event.disposition == TraceEvent.Disposition.NON_CONFORMANT,
        is_corrected=event.id in corrected,
        sequence=event.sequence,
    )


def _input_entry(use: InputUse, lot: Lot, words: _Words) -> TimelineEntry:
    application = use.application
    lines = [application.dose]
    if application.registration_number:
        lines.append(words.registration % {"number": application.registration_number})
    if application.safety_interval_days:
        lines.append(words.interval % {"days": application.safety_interval_days})
    return TimelineEntry(
        when=application.applied_on,
        when_text=_moment_text(application.applied_on),
        stage="inputs",
        title=f"{words.inputs.get(application.input_type, '')}：{application.product_name}",
        lines=[line for line in lines if line],
        lot_number=use.lot.lot_number if use.lot.pk != lot.pk else "",
        is_alert=use.violates_safety_interval,
    )


def _timeline(
    lot: Lot, uses: list[InputUse], events: list[EventRow]
) -> tuple[list[TimelineEntry], list[dict]]:
    words = _Words()
    corrected = {
        event.corrects_id: (event.extra or {}).get("correction_reason", "")
        for event in events
        if event.corrects_id
    }
    entries = [_input_entry(use, lot, words) for use in uses]
    entries.extend(_event_entry(event, lot, corrected, words) for event in events)

    def sort_key(entry: TimelineEntry):
        when = entry.when
        if not isinstance(when, datetime):
            when = timezone.make_aware(datetime.combine(when, datetime.min.time()))
        return (when, entry.sequence or 0)

    entries.sort(key=sort_key)
    reached = {entry.stage for entry in entries if entry.stage and not entry.is_corrected}
    stages = [{"key": key, "label": label, "done": key in reached} for key, label in STAGES]
    return entries, stages


@dataclass
class TracePage:
    code: TraceCode
    lot: Lot
    product: Product
    image: ProductImage | None
    lineage: Lineage
    certificate: Certificate | None
    inspections: list[Inspection]
    input_uses: list[InputUse]
    events: list[EventRow]
    timeline: list[TimelineEntry]
    stages: list[dict]
    integrity: LotIntegrity
    anchor: ChainAnchor | None
    producer_phone_masked: str
    scan_warning: bool = False
    complaint_url: str = ""

    @property
    def is_alert(self) -> bool:
        return self.lot.is_blocking_sales

    @property
    def sources(self) -> list[Lot]:
        return self.lineage.ancestors


def phone_mask_any(phone: str) -> str:
    """13812345678 → 138****5678; 0451-53612345 → 0451-****2345."""
    if not phone:
        return ""
    if "-" in phone:
        area, _sep, rest = phone.partition("-")
        number = rest.split("-")[0]
        return f"{area}-****{number[-4:]}"
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def trace_code_get(*, code: str) -> TraceCode | None:
    """A code with its lot, product, store, producer, plot and the store's chain head (one
    query); None if unknown."""
    normalized = code_normalize(code)
    if normalized is None:
        return None
    return (
        TraceCode.objects.select_related(
            "lot__product",
            "lot__store__trace_chain_head",
            "lot__producer",
            "lot__plot",
        )
        .filter(code=normalized)
        .first()
    )


def trace_page_build(*, trace_code: TraceCode) -> TracePage:
    """Everything /t/<code> shows, in a fixed number of queries whatever the number of events.

    The integrity badge re-checks the lot's events and their links to the neighbouring
    events of the store's chain (the whole chain is chain_verify's job, run before every
    daily anchor).
    """
    lot = trace_code.lot
    product = lot.product
    image = ProductImage.objects.filter(product=product).order_by("sort_order", "id").first()
    lineage = lot_lineage(lot)
    uses = inputs_used(lineage)
    certificate = (
        Certificate.objects.filter(lot=lot)
        .prefetch_related("source_certificates")
        .order_by("-issued_on", "-id")
        .first()
    )
    inspections = list(
        Inspection.objects.filter(lot_id__in=[item.pk for item in lineage.lots])
        .select_related("lot")
        .prefetch_related(Prefetch("items", queryset=InspectionItem.objects.order_by("id")))
        .order_by("-inspected_on", "-id")
    )
    source_ids = [item.pk for item in lineage.ancestors]
    event_ids = TraceEventLot.objects.filter(
        Q(lot_id=lot.pk) | Q(lot_id__in=source_ids, event__recorded_at__lte=lot.created_at)
    ).values("event_id")
    events = event_rows(
        TraceEvent.objects.filter(pk__in=event_ids).order_by("event_time", "sequence")
    )
    timeline, stages = _timeline(lot, uses, events)
    anchor = ChainAnchor.objects.filter(store_id=lot.store_id).order_by("-anchor_date").first()
    phone = lot.producer.phone or lot.store.contact_phone
    return TracePage(
        code=trace_code,
        lot=lot,
        product=product,
        image=image,
        lineage=lineage,
        certificate=certificate,
        inspections=inspections,
        input_uses=uses,
        events=events,
        timeline=timeline,
        stages=stages,
        integrity=lot_events_verify(events),
        anchor=anchor,
        producer_phone_masked=phone_mask_any(phone),
        scan_warning=trace_code_scan_warning(trace_code),
        complaint_url=trace_complaint_url(lot),
    )


def trace_code_scan_warning(trace_code: TraceCode) -> bool:
    """A per-package code scanned this often was probably copied onto other packages (a lot's
    own code is printed on every case, so its count says nothing)."""
    return trace_code.is_package_code and trace_code.scan_count > settings.TRACE_SCAN_WARNING_COUNT


def trace_complaint_url(lot: Lot) -> str:
    """Customer service (a later issue) takes complaints here, pre-filled with the lot."""
    return f"{settings.TRACE_COMPLAINT_URL}?lot={lot.lot_number}&store={lot.store_id}"


def trace_lot_cache_key(lot: Lot) -> str:
    """What the lot's part of the trace page depends on, as a cache key.

    Every test, certificate, hold, recall, shipment … appends an event and so moves the
    store's chain head; a status change or a new farm record before the harvest touches the
    lot (services keep `updated_at` current). A row edited behind the application's back
    changes neither: the cached badge then lags by the cache's lifetime, while chain_verify,
    run before every daily anchor, reports the edit regardless.
    """
    head = getattr(lot.store, "trace_chain_head", None)
    head_part = f"{head.last_sequence}:{head.last_chain_hash}" if head else "0"
    raw = f"{lot.updated_at.isoformat()}|{head_part}|{get_language()}"
    return f"trace-lot:{lot.pk}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def anchor_dates() -> QuerySet:
    """Days with published anchors, newest first (for paging the public anchors page)."""
    return (
        ChainAnchor.objects.values_list("anchor_date", flat=True)
        .distinct()
        .order_by("-anchor_date")
    )


def anchors_on(*, dates: list[date]) -> QuerySet[ChainAnchor]:
    """The anchors of those days: the platform-wide one first, then each store's."""
    return (
        ChainAnchor.objects.filter(anchor_date__in=dates)
        .select_related("store")
        .order_by("-anchor_date", F("store_id").asc(nulls_first=True))
    )


def lots_supplying_sku(*, sku: Sku) -> QuerySet[Lot]:
    return Lot.objects.filter(skus=sku).order_by("expiry_date", "harvest_date", "pk")


def lots_near_expiry(queryset: QuerySet[Lot], *, today: date | None = None) -> QuerySet[Lot]:
    """Lots still on sale whose shelf life ends within TRACE_EXPIRY_WARNING_DAYS (or already
    has): the merchant should sell them first or take them off."""
    today = today or timezone.localdate()
    last_day = today + timedelta(days=settings.TRACE_EXPIRY_WARNING_DAYS)
    return queryset.filter(status=Lot.Status.ACTIVE, expiry_date__lte=last_day)


def lots_recalled_recently(queryset: QuerySet[Lot], *, days: int = 30) -> QuerySet[Lot]:
    """Lots recalled within the last `days` days: recalls staff are still following up."""
    since = timezone.now() - timedelta(days=days)
    recalled = LotStatusChange.objects.filter(
        lot=OuterRef("pk"), to_status=Lot.Status.RECALLED, created_at__gte=since
    )
    return queryset.filter(Exists(recalled), status=Lot.Status.RECALLED)
