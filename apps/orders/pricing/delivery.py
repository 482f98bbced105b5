"""Delivery at checkout, pure: what a store offers, what each method costs, and whether it can
carry the goods (cold chain) to the shopper.

A store with no enabled DeliveryOption offers express only, priced by its freight template, so
stores that never configured delivery keep working as before. County delivery is priced by the
zone that matches the address (longest division-code prefix) and promises a day and a time
window; pickup is a flat fee and a community pickup point the shopper chooses.

Everything a store offers is loaded once by `apps.orders.selectors.delivery_setups_for_stores`
into a `DeliverySetup`; the functions here only read it (the loaded rows are treated as values:
nothing here queries or saves).
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
    DeliveryMethod,
    DeliveryOption,
    DeliverySlot,
    DeliveryZone,
    PickupPoint,
)
from apps.orders.pricing.freight import (
    Destination,
    FreightLine,
    FreightTemplate,
    freight_fee,
    longest_prefix_match,
)
from apps.orders.pricing.lines import ZERO
from apps.stores.models import Store

# Products stored this way must travel cold (catalog Product.storage values).
COLD_STORAGES = frozenset({"chilled", "frozen"})
METHOD_ORDER = [DeliveryMethod.EXPRESS, DeliveryMethod.COUNTY, DeliveryMethod.PICKUP]


@dataclass
class DeliverySetup:
    """What one store offers, as loaded for one address: enabled options in display order (an
    implicit unsaved express option when it enabled none), its slots and zones, its freight
    template (None: ships free) and the active pickup points in the address's county."""

    store: Store
    options: list[DeliveryOption]
    slots: list[DeliverySlot] = field(default_factory=list)
    zones: list[DeliveryZone] = field(default_factory=list)
    freight_template: FreightTemplate | None = None
    pickup_points: list[PickupPoint] = field(default_factory=list)

    def option_for(self, method: str) -> DeliveryOption | None:
        return next((o for o in self.options if o.method == method), None)


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


def options_in_display_order(store: Store, options: Iterable[DeliveryOption]) -> list:
    """Enabled options in display order; an implicit express option (unsaved, not cold-chain)
    when the store enabled none."""
    ordered = sorted(options, key=lambda o: METHOD_ORDER.index(o.method))
    return ordered or [DeliveryOption(store=store, method=DeliveryMethod.EXPRESS)]


def delivery_zone_for(zones: Iterable[DeliveryZone], region_code: str) -> DeliveryZone | None:
    """The active zone whose code is the longest prefix of the address's township/county code."""
    return longest_prefix_match(zones, region_code or "", lambda zone: zone.region_codes)


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


def _flat_fee(option: DeliveryOption, goods_amount: Decimal, fee: Decimal) -> Decimal:
    if option.free_threshold is not None and goods_amount >= option.free_threshold:
        return ZERO
    return fee


def delivery_method_fee(
    *,
    setup: DeliverySetup,
    option: DeliveryOption,
    lines: Sequence[FreightLine],
    destination: Destination,
) -> tuple[Decimal, DeliveryZone | None]:
    """What `option` costs for these lines to `destination`; raises when it cannot go there."""
    store = setup.store
    goods_amount = sum((line.amount for line in lines), ZERO)
    if option.method == DeliveryMethod.EXPRESS:
        fee = freight_fee(
            template=setup.freight_template,
            lines=lines,
            destination=destination,
            store_name=store.name,
        )
        return fee, None
    if option.method == DeliveryMethod.COUNTY:
        zone = delivery_zone_for(setup.zones, destination.region_code)
        if zone is None:
            raise _refuse(
                store,
                _("「%(store)s」的县域配送不覆盖%(region)s，请选择其他配送方式或更换地址。")
                % {"store": store.name, "region": destination.region_text},
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


def delivery_choice_default(setup: DeliverySetup) -> DeliveryChoice:
    """Express when offered, else the store's first option (which may still need a slot or
    a point: delivery_quote then asks the shopper to choose)."""
    option = setup.option_for(DeliveryMethod.EXPRESS) or setup.options[0]
    return DeliveryChoice(method=option.method)


def delivery_method_chosen(setup: DeliverySetup, choice: DeliveryChoice | None) -> str:
    """The method the shopper chose, or the store's default when they chose none."""
    if choice is not None and choice.method:
        return choice.method
    return delivery_choice_default(setup).method


def delivery_quote(
    *,
    setup: DeliverySetup,
    lines: Sequence[FreightLine],
    cold_titles: Sequence[str],
    destination: Destination,
    choice: DeliveryChoice | None,
    now: datetime | None = None,
) -> DeliveryQuote:
    """Validate the shopper's choice for one store and price it. Raises ApplicationError
    (fields {"deliveries": {store id: message}}) for a method the store does not offer, an
    address outside the county zones, a missing/unknown slot or point, or cold goods on a
    method that cannot keep them cold."""
    store = setup.store
    choice = choice or DeliveryChoice()
    option = setup.option_for(delivery_method_chosen(setup, choice))
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
        # Only the points the checkout offers (those in the address's county).
        quote.pickup_point = next(
            (p for p in setup.pickup_points if choice.pickup_point and p.pk == choice.pickup_point),
            None,
        )
        if quote.pickup_point is None:
            raise _refuse(
                store,
                _("请为「%(store)s」选择一个可用的自提点。") % {"store": store.name},
                OrderErrorCode.PICKUP_POINT_REQUIRED,
            )
    _check_cold_chain(store, option, cold_titles, quote.pickup_point)
    quote.fee, quote.zone = delivery_method_fee(
        setup=setup, option=option, lines=lines, destination=destination
    )
    if option.method == DeliveryMethod.COUNTY:
        quote.slot = next((s for s in setup.slots if s.pk == choice.slot), None)
        if quote.slot is None:
            raise _refuse(
                store,
                _("请为「%(store)s」的县域配送选择送达时段。") % {"store": store.name},
                OrderErrorCode.DELIVERY_SLOT_REQUIRED,
            )
        quote.delivery_date = delivery_date_for_slot(quote.slot, now)
    return quote


def delivery_offers(
    *,
    setup: DeliverySetup,
    lines: Sequence[FreightLine],
    cold_titles: Sequence[str],
    destination: Destination | None,
    now: datetime | None = None,
) -> list[DeliveryOffer]:
    """Every method the store offers with its fee to `destination`, or why it cannot be used."""
    offers = []
    for option in setup.options:
        offer = DeliveryOffer(option=option)
        if option.method == DeliveryMethod.COUNTY:
            # In the order they will arrive: tonight's slot before tomorrow morning's, so the
            # first one (which checkout preselects) is the earliest still open.
            offer.slots = sorted(
                (
                    SlotOffer(slot=slot, delivery_date=delivery_date_for_slot(slot, now))
                    for slot in setup.slots
                ),
                key=lambda item: (item.delivery_date, item.slot.start_time),
            )
        elif option.method == DeliveryMethod.PICKUP:
            offer.pickup_points = list(setup.pickup_points)
            if cold_titles:
                offer.pickup_points = [p for p in offer.pickup_points if p.has_cold_storage]
        if destination is not None:
            _offer_price(offer, setup, lines, cold_titles, destination)
        offers.append(offer)
    return offers


def _offer_price(
    offer: DeliveryOffer,
    setup: DeliverySetup,
    lines: Sequence[FreightLine],
    cold_titles: Sequence[str],
    destination: Destination,
) -> None:
    option = offer.option
    try:
        _check_cold_chain(setup.store, option, cold_titles, None)
        offer.fee, _zone = delivery_method_fee(
            setup=setup, option=option, lines=lines, destination=destination
        )
    except ApplicationError as exc:
        offer.error = exc.message
        return
    if option.method == DeliveryMethod.COUNTY and not offer.slots:
        offer.fee, offer.error = None, _("暂无可选送达时段")
    elif option.method == DeliveryMethod.PICKUP and not offer.pickup_points:
        offer.fee, offer.error = None, _("收货地址所在区县暂无可用自提点")
