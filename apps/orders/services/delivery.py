"""Delivery methods at checkout: what a store offers, what each costs, and whether it can carry
the goods (cold chain) to the shopper.

A store with no enabled DeliveryOption offers express only, priced by its freight template, so
stores that never configured delivery keep working as before. County delivery is priced by the
zone that matches the address (longest division-code prefix) and promises a day and a time
window; pickup is a flat fee and a community pickup point the shopper chooses.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.orders.errors import OrderErrorCode
from apps.orders.models import (
    ZERO,
    Address,
    DeliveryMethod,
    DeliveryOption,
    DeliverySlot,
    DeliveryZone,
    PickupPoint,
)
from apps.orders.services.freight import FreightLine, freight_quote, region_code_normalize
from apps.stores.models import Store

# Products stored this way must travel cold (catalog Product.storage values).
COLD_STORAGES = frozenset({"chilled", "frozen"})
METHOD_ORDER = [DeliveryMethod.EXPRESS, DeliveryMethod.COUNTY, DeliveryMethod.PICKUP]


@dataclass(frozen=True)
class DeliveryChoice:
    """What the shopper picked for one store (ids as sent; validated by delivery_quote)."""

    method: str = ""
    slot: int | None = None
    pickup_point: int | None = None

    @classmethod
    def parse(cls, raw: dict | None) -> "DeliveryChoice":
        raw = raw or {}

        def as_id(value) -> int | None:
            try:
                number = int(value)
            except (TypeError, ValueError):
                return None
            return number if number > 0 else None

        return cls(
            method=str(raw.get("method") or "").strip(),
            slot=as_id(raw.get("slot")),
            pickup_point=as_id(raw.get("pickup_point")),
        )

    @classmethod
    def for_store(cls, deliveries: dict, store_id: int) -> "DeliveryChoice | None":
        """The choice sent for one store (`deliveries` keyed by store id, int or JSON str)."""
        raw = deliveries.get(store_id, deliveries.get(str(store_id)))
        return cls.parse(raw) if raw else None


@dataclass
class DeliveryQuote:
    """A validated delivery for one store order: what Order stores and what it costs."""

    method: str
    fee: Decimal
    option: DeliveryOption
    is_cold_chain: bool = False  # the order holds chilled/frozen goods
    zone: DeliveryZone | None = None
    pickup_point: PickupPoint | None = None
    slot: DeliverySlot | None = None
    delivery_date: date | None = None

    @property
    def slot_text(self) -> str:
        return str(self.slot) if self.slot else ""

    @property
    def label(self) -> str:
        return DeliveryMethod(self.method).label


@dataclass
class SlotOffer:
    slot: DeliverySlot
    delivery_date: date


@dataclass
class DeliveryOffer:
    """One method a store offers, priced for an address (fee None and error when it cannot)."""

    option: DeliveryOption
    fee: Decimal | None = None
    error: str = ""
    slots: list[SlotOffer] = field(default_factory=list)
    pickup_points: list[PickupPoint] = field(default_factory=list)

    @property
    def method(self) -> str:
        return self.option.method

    @property
    def label(self) -> str:
        return self.option.get_method_display()

    @property
    def is_cold_chain(self) -> bool:
        return self.option.is_cold_chain


def _refuse(store: Store, message: str, code: str = OrderErrorCode.DELIVERY_INVALID):
    return ApplicationError(
        message, code=code, fields={"deliveries": {str(store.pk): message}}, status_code=400
    )


# --- What a store offers ------------------------------------------------------------------


def delivery_options_for_store(store: Store) -> list[DeliveryOption]:
    """Enabled options in display order (cached on the store); an implicit express option
    (unsaved, not cold-chain) when the store enabled none."""
    if not hasattr(store, "_delivery_options"):
        options = sorted(
            DeliveryOption.objects.filter(store=store, is_enabled=True),
            key=lambda o: METHOD_ORDER.index(o.method),
        )
        store._delivery_options = options or [
            DeliveryOption(store=store, method=DeliveryMethod.EXPRESS)
        ]
    return store._delivery_options


def delivery_option_for(store: Store, method: str) -> DeliveryOption | None:
    return next((o for o in delivery_options_for_store(store) if o.method == method), None)


def delivery_slots_for_store(store: Store) -> list[DeliverySlot]:
    if not hasattr(store, "_delivery_slots"):
        store._delivery_slots = list(
            DeliverySlot.objects.filter(store=store, is_active=True).order_by("start_time")
        )
    return store._delivery_slots


def _zones_for_store(store: Store) -> list[DeliveryZone]:
    if not hasattr(store, "_delivery_zones"):
        store._delivery_zones = list(DeliveryZone.objects.filter(store=store, is_active=True))
    return store._delivery_zones


def pickup_points_for_address(address: Address | None) -> list[PickupPoint]:
    """Active pickup points in the address's county (where the shopper can go to collect)."""
    if address is None:
        return []
    return list(
        PickupPoint.objects.filter(is_active=True, county_code=address.county_id).order_by(
            "township_code", "name"
        )
    )


def delivery_zone_for_address(store: Store, address: Address) -> DeliveryZone | None:
    """The active zone whose code is the longest prefix of the address's township/county code."""
    region = address.region_code or ""
    best: tuple[int, DeliveryZone] | None = None
    for zone in _zones_for_store(store):
        for raw in zone.region_codes or []:
            code = region_code_normalize(str(raw))
            if code and region.startswith(code) and (best is None or len(code) > best[0]):
                best = (len(code), zone)
    return best[1] if best else None


def delivery_date_for_slot(slot: DeliverySlot, now: datetime | None = None) -> date:
    """Today (Asia/Shanghai) when ordered before the slot's cut-off, otherwise tomorrow."""
    local = timezone.localtime(now or timezone.now())
    if local.time() < slot.cutoff_time:
        return local.date()
    return local.date() + timedelta(days=1)


def cold_chain_titles(products: Iterable) -> list[str]:
    """Titles of the products that must travel chilled or frozen (order kept, no repeats)."""
    titles: list[str] = []
    for product in products:
        if product.storage in COLD_STORAGES and product.title not in titles:
            titles.append(product.title)
    return titles


# --- Pricing and validation ---------------------------------------------------------------


def _flat_fee(option: DeliveryOption, goods_amount: Decimal, fee: Decimal) -> Decimal:
    if option.free_threshold is not None and goods_amount >= option.free_threshold:
        return ZERO
    return fee


def delivery_method_fee(
    *, store: Store, option: DeliveryOption, lines: Sequence[FreightLine], address: Address
) -> tuple[Decimal, DeliveryZone | None]:
    """What `option` costs for these lines to `address`; raises when it cannot go there."""
    goods_amount = sum((line.amount for line in lines), ZERO)
    if option.method == DeliveryMethod.EXPRESS:
        return freight_quote(store=store, lines=lines, address=address), None
    if option.method == DeliveryMethod.COUNTY:
        zone = delivery_zone_for_address(store, address)
        if zone is None:
            raise _refuse(
                store,
                _("「%(store)s」的县域配送不覆盖%(region)s，请选择其他配送方式或更换地址。")
                % {"store": store.name, "region": address.region_text},
                OrderErrorCode.OUTSIDE_DELIVERY_ZONE,
            )
        return _flat_fee(option, goods_amount, zone.fee), zone
    return _flat_fee(option, goods_amount, option.fee), None


def _check_cold_chain(
    store: Store, option: DeliveryOption, cold_titles: Sequence[str], point: PickupPoint | None
) -> None:
    if not cold_titles:
        return
    titles = "、".join(cold_titles)
    if not option.is_cold_chain:
        raise _refuse(
            store,
            _(
                "「%(titles)s」需冷链配送，本店该配送方式（%(method)s）不支持冷链，"
                "请选择支持冷链的配送方式。"
            )
            % {"titles": titles, "method": option.get_method_display()},
            OrderErrorCode.COLD_CHAIN_REQUIRED,
        )
    if point is not None and not point.has_cold_storage:
        raise _refuse(
            store,
            _("「%(titles)s」需冷链配送，自提点「%(point)s」没有冷藏条件，请选择其他自提点。")
            % {"titles": titles, "point": point.name},
            OrderErrorCode.COLD_CHAIN_REQUIRED,
        )


def delivery_choice_default(store: Store) -> DeliveryChoice:
    """Express when offered, else the store's first option (which may still need a slot or
    a point: delivery_quote then asks the shopper to choose)."""
    options = delivery_options_for_store(store)
    option = delivery_option_for(store, DeliveryMethod.EXPRESS) or options[0]
    return DeliveryChoice(method=option.method)


def delivery_quote(
    *,
    store: Store,
    lines: Sequence[FreightLine],
    cold_titles: Sequence[str],
    address: Address,
    choice: DeliveryChoice | None,
    now: datetime | None = None,
) -> DeliveryQuote:
    """Validate the shopper's choice for one store and price it. Raises ApplicationError
    (fields {"deliveries": {store id: message}}) for a method the store does not offer, an
    address outside the county zones, a missing/unknown slot or point, or cold goods on a
    method that cannot keep them cold."""
    if choice is None or not choice.method:
        choice = DeliveryChoice(
            method=delivery_choice_default(store).method,
            slot=choice.slot if choice else None,
            pickup_point=choice.pickup_point if choice else None,
        )
    option = delivery_option_for(store, choice.method)
    if option is None:
        raise _refuse(
            store,
            _("「%(store)s」不提供该配送方式，请重新选择。") % {"store": store.name},
            OrderErrorCode.DELIVERY_METHOD_UNAVAILABLE,
        )
    quote = DeliveryQuote(
        method=option.method, fee=ZERO, option=option, is_cold_chain=bool(cold_titles)
    )
    if option.method == DeliveryMethod.PICKUP:
        # Only the points the checkout offers (pickup_points_for_address).
        point = (
            next(
                (p for p in pickup_points_for_address(address) if p.pk == choice.pickup_point),
                None,
            )
            if choice.pickup_point
            else None
        )
        if point is None:
            raise _refuse(
                store,
                _("请为「%(store)s」选择一个可用的自提点。") % {"store": store.name},
                OrderErrorCode.PICKUP_POINT_REQUIRED,
            )
        quote.pickup_point = point
    _check_cold_chain(store, option, cold_titles, quote.pickup_point)
    quote.fee, quote.zone = delivery_method_fee(
        store=store, option=option, lines=lines, address=address
    )
    if option.method == DeliveryMethod.COUNTY:
        slot = next((s for s in delivery_slots_for_store(store) if s.pk == choice.slot), None)
        if slot is None:
            raise _refuse(
                store,
                _("请为「%(store)s」的县域配送选择送达时段。") % {"store": store.name},
                OrderErrorCode.DELIVERY_SLOT_REQUIRED,
            )
        quote.slot = slot
        quote.delivery_date = delivery_date_for_slot(slot, now)
    return quote


def delivery_offers(
    *,
    store: Store,
    lines: Sequence[FreightLine],
    cold_titles: Sequence[str],
    address: Address | None,
    now: datetime | None = None,
) -> list[DeliveryOffer]:
    """Every method the store offers with its fee to `address`, or why it cannot be used."""
    offers = []
    for option in delivery_options_for_store(store):
        offer = DeliveryOffer(option=option)
        if option.method == DeliveryMethod.COUNTY:
            offer.slots = [
                SlotOffer(slot=slot, delivery_date=delivery_date_for_slot(slot, now))
                for slot in delivery_slots_for_store(store)
            ]
        elif option.method == DeliveryMethod.PICKUP:
            offer.pickup_points = pickup_points_for_address(address)
            if cold_titles:
                offer.pickup_points = [p for p in offer.pickup_points if p.has_cold_storage]
        if address is not None:
            try:
                _check_cold_chain(store, option, cold_titles, None)
                offer.fee, _zone = delivery_method_fee(
                    store=store, option=option, lines=lines, address=address
                )
            except ApplicationError as exc:
                offer.error = exc.message
            else:
                if option.method == DeliveryMethod.COUNTY and not offer.slots:
                    offer.fee, offer.error = None, _("暂无可选送达时段")
                elif option.method == DeliveryMethod.PICKUP and not offer.pickup_points:
                    offer.fee, offer.error = None, _("收货地址所在区县暂无可用自提点")
        offers.append(offer)
    return offers
