"""Reads of the orders app. Each page or endpoint gets its rows in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Prefetch, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from apps.catalog.models import ProductImage, Sku
from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.core.prepared import PreparedQuery
from apps.orders.models import (
    ZERO,
    Address,
    Cart,
    CartLine,
    DeliveryMethod,
    DeliveryOption,
    DeliverySlot,
    DeliveryZone,
    Division,
    Order,
    OrderEvent,
    OrderLine,
    PaymentOrder,
    PickupPoint,
    ShippingTemplate,
)
from apps.orders.pricing import (
    DeliveryChoice,
    DeliveryOffer,
    DeliveryQuote,
    DeliverySetup,
    Destination,
    FreightLine,
    FreightRates,
    FreightRule,
    FreightTemplate,
    LineInput,
    PricedCart,
    PricedLine,
    PriceTier,
    StoreTotals,
    cart_totals,
    cold_chain_titles,
    delivery_method_chosen,
    delivery_offers,
    delivery_quote,
    discounts_apply,
    freight_fee,
    freight_lines,
    line_price,
    options_in_display_order,
)
from apps.orders.rules import SkuProblem, sku_problem
from apps.promotions.rules import DiscountPlan, LineData, discount_plan
from apps.promotions.selectors import offers_for_buyer
from apps.stores.models import Store
from apps.stores.selectors import scope_to_user_stores
from apps.traceability.models import Lot, TraceCode
from apps.traceability.rules import derived_lots
from apps.traceability.selectors import sku_ids_blocked_by_lots, trace_url
from apps.wholesale.models import BuyerOrganisation
from apps.wholesale.selectors import sku_min_quantity

# --- Divisions and addresses --------------------------------------------------------------


def division_children(*, parent_code: str | None) -> list[Division]:
    """Provinces (no parent) or the children of one division, in code order."""
    if parent_code:
        return list(Division.objects.filter(parent_id=parent_code).order_by("code"))
    return list(Division.objects.filter(parent__isnull=True).order_by("code"))


def address_list_for_user(*, user) -> QuerySet[Address]:
    return Address.objects.filter(user=user).select_related(
        "province", "city", "county", "township"
    )


def address_get_for_user(*, user, pk) -> Address | None:
    """The one way to fetch an address: another user's id is simply not found."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    found = ADDRESS_OF_USER.run(user=user.pk, pk=pk)
    return found[0] if found else None


ADDRESS_OF_USER = PreparedQuery(
    lambda p: address_list_for_user(user=p.user).filter(pk=p.pk).order_by("pk")[:1]
)


def address_default_for_user(*, user) -> Address | None:
    return address_list_for_user(user=user).order_by("-is_default", "-updated_at").first()


# --- Cart and its prices ---------------------------------------------------------------------
# Reads for the pricing home (apps/orders/pricing): the cart page, the checkout preview (page
# and API) and checkout load through these and price through the same pure functions.


@dataclass
class CartItem:
    line: CartLine
    sku: Sku
    price: PricedLine  # steps 1–2 of pricing: unit price, line amount, discounts
    min_quantity: int
    refusal: SkuProblem | None = None
    image: str = ""

    @property
    def product(self):
        return self.sku.product

    @property
    def quantity(self) -> int:
        return self.price.quantity

    @property
    def unit_price(self) -> Decimal:
        return self.price.unit_price

    @property
    def line_amount(self) -> Decimal:
        return self.price.line_amount

    @property
    def discount_amount(self) -> Decimal:
        return self.price.discount_amount

    @property
    def paid_amount(self) -> Decimal:
        return self.price.paid_amount

    @property
    def problem(self) -> str:
        return self.refusal.message if self.refusal else ""

    @property
    def is_buyable(self) -> bool:
        return self.refusal is None


@dataclass
class CartGroup:
    """One store's lines: they become one order (拆单) at checkout."""

    store: Store
    items: list[CartItem] = field(default_factory=list)
    freight: Decimal | None = None  # None: not quoted (no address yet)
    freight_error: str = ""
    # Checkout preview: the methods the store offers (priced) and the one chosen.
    delivery_offers: list[DeliveryOffer] = field(default_factory=list)
    delivery_choice: DeliveryChoice | None = None
    delivery: DeliveryQuote | None = None
    totals: StoreTotals | None = None  # step 4 of pricing, set by cart_price

    @property
    def buyable_items(self) -> list[CartItem]:
        return [i for i in self.items if i.is_buyable]

    @property
    def goods_amount(self) -> Decimal:
        return self.totals.goods_amount if self.totals else ZERO

    @property
    def discount_amount(self) -> Decimal:
        return self.totals.discount_amount if self.totals else ZERO

    @property
    def freight_discount_amount(self) -> Decimal:
        """Freight a free-shipping coupon waives for this store (0 until quoted)."""
        return self.totals.freight_discount_amount if self.totals else ZERO

    @property
    def total_amount(self) -> Decimal:
        return self.totals.total_amount if self.totals else ZERO


@dataclass
class CartSummary:
    cart: Cart | None
    organisation: BuyerOrganisation | None
    groups: list[CartGroup] = field(default_factory=list)
    priced: PricedCart = field(default_factory=PricedCart)
    # Step 2: the discounts applied (who funds each), the coupon picker, refusals of a choice.
    discount_plan: DiscountPlan = field(default_factory=DiscountPlan)

    @property
    def items(self) -> list[CartItem]:
        return [item for group in self.groups for item in group.items]

    @property
    def piece_count(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def problem_items(self) -> list[CartItem]:
        return [item for item in self.items if item.problem]

    @property
    def goods_amount(self) -> Decimal:
        return self.priced.goods_amount

    @property
    def discount_amount(self) -> Decimal:
        return self.priced.discount_amount

    @property
    def freight_amount(self) -> Decimal:
        return self.priced.freight_amount

    @property
    def freight_discount_amount(self) -> Decimal:
        return self.priced.freight_discount_amount

    @property
    def total_amount(self) -> Decimal:
        return self.priced.total_amount

    @property
    def freight_errors(self) -> list[str]:
        return [g.freight_error for g in self.groups if g.freight_error]

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def can_checkout(self) -> bool:
        return (
            not self.is_empty
            and not self.problem_items
            and not self.freight_errors
            and not self.discount_plan.errors
        )


def product_image_path(product) -> str:
    """Storage path of the product's cover thumbnail (images prefetched in display order)."""
    images = list(product.images.all())
    if not images:
        return ""
    return images[0].thumbnail.name or images[0].image.name


def line_input_for(*, line: CartLine, sku: Sku, with_tiers: bool = True) -> LineInput:
    """What pricing needs of a cart line (tiers prefetched as `wholesale_tiers`; not read
    with `with_tiers=False`, for a retail buyer, whose price never depends on them)."""
    return LineInput(
        key=line.pk,
        store_id=sku.product.store_id,
        sku_id=sku.pk,
        product_id=sku.product_id,
        quantity=line.quantity,
        retail_price=sku.retail_price,
        tiers=tuple(
            PriceTier(min_quantity=t.min_quantity, unit_price=t.unit_price)
            for t in sku.wholesale_tiers.all()
        )
        if with_tiers
        else (),
        weight_grams=sku.weight_grams,
        category_id=sku.product.category_id,
    )


def cart_item_build(
    *,
    line: CartLine,
    sku: Sku,
    organisation: BuyerOrganisation | None,
    lot_blocked: bool = False,
    image: str | None = None,
) -> CartItem:
    """One line priced (step 1) and checked. `lot_blocked`: the SKU is in traceability's
    sku_ids_blocked_by_lots (asked once per cart by the caller). `image`: the cover's path
    when the caller read it already (else from the prefetched `product.images`)."""
    # The stored flag (Sku.is_held) and the live lot check agree except around midnight of an
    # expiry date, before the daily job refreshes the flag: either one blocks.
    minimum = sku_min_quantity(sku=sku, organisation=organisation)
    is_wholesale = organisation is not None and organisation.is_verified
    return CartItem(
        line=line,
        sku=sku,
        price=line_price(
            line_input_for(line=line, sku=sku, with_tiers=is_wholesale), is_wholesale=is_wholesale
        ),
        min_quantity=minimum,
        refusal=sku_problem(
            sku=sku,
            quantity=line.quantity,
            min_quantity=minimum,
            lot_blocked=lot_blocked or sku.is_held,
        ),
        image=product_image_path(sku.product) if image is None else image,
    )


def buyer_is_new_customer(user_id: int | None) -> bool:
    """A new customer (新客) has never paid an order (new-customer offers are for them)."""
    if user_id is None:
        return False
    return not Order.objects.filter(buyer_id=user_id, paid_at__isnull=False).exists()


def promotion_line(line: PricedLine) -> LineData:
    """A priced line as the promotions rules read it (plain data: promotions sits below)."""
    return LineData(
        key=line.key,
        store_id=line.store_id,
        sku_id=line.line.sku_id,
        product_id=line.line.product_id,
        category_id=line.line.category_id,
        quantity=line.quantity,
        unit_price=line.unit_price,
        line_amount=line.line_amount,
    )


def cart_discounts(
    *, cart: Cart | None, lines: Sequence[PricedLine], coupon_ids: Sequence[int] | None = None
) -> DiscountPlan:
    """The discounts this cart gets, in the order they apply (step 2 of pricing).

    The promotions app plugs in here, and only here: it reads the buyer's coupons, the running
    spend-and-save offers and limited-time prices, and `discount_plan` returns values of the
    `DiscountLike` shape (limited-time prices, store discounts, then the platform one) with the
    coupon picker. `coupon_ids` None: the best combination; else the shopper's own choice.
    See docs/orders-design.md "How a discount enters" and docs/promotions.md.
    """
    user_id = cart.user_id if cart is not None else None
    data = [promotion_line(line) for line in lines]
    offers = offers_for_buyer(
        user_id=user_id, lines=data, is_new_customer=lambda: buyer_is_new_customer(user_id)
    )
    return discount_plan(lines=data, offers=offers, chosen_coupon_ids=coupon_ids)


def cart_items_discount(
    items: Sequence[CartItem], *, cart: Cart | None, coupon_ids: Sequence[int] | None = None
) -> DiscountPlan:
    """Step 2 on the buyable items: each item's price then carries its discount shares."""
    buyable = [item for item in items if item.is_buyable]
    plan = cart_discounts(cart=cart, lines=[item.price for item in buyable], coupon_ids=coupon_ids)
    if not plan.discounts:
        return plan
    for item, priced in zip(
        buyable, discounts_apply([i.price for i in buyable], plan.discounts), strict=True
    ):
        item.price = priced
    return plan


def cart_price(
    items: Sequence[CartItem],
    *,
    freights: dict[int, Decimal | None] | None = None,
    plan: DiscountPlan | None = None,
) -> PricedCart:
    """Step 4: totals per store and in all, over the buyable items (what checkout places),
    less the freight the plan's free-shipping coupon waives."""
    return cart_totals(
        lines=[item.price for item in items if item.is_buyable],
        freights=freights or {},
        freight_discount=plan.shipping if plan is not None else None,
    )


def cart_lines_with_skus(cart: Cart) -> QuerySet[CartLine]:
    return (
        CartLine.objects.filter(cart=cart)
        .select_related("sku__product__store")
        .prefetch_related(
            "sku__wholesale_tiers",
            Prefetch(
                "sku__product__images", queryset=ProductImage.objects.order_by("sort_order", "id")
            ),
        )
        .order_by("created_at", "id")
    )


def _summary_price(summary: CartSummary) -> CartSummary:
    freights = {group.store.pk: group.freight for group in summary.groups}
    summary.priced = cart_price(summary.items, freights=freights, plan=summary.discount_plan)
    for group in summary.groups:
        group.totals = summary.priced.store(group.store.pk)
    return summary


def cart_summary(
    *,
    cart: Cart | None,
    organisation: BuyerOrganisation | None,
    coupon_ids: Sequence[int] | None = None,
) -> CartSummary:
    """The cart grouped by store, each line priced and flagged, with its discounts (4 queries,
    plus promotions' reads: 3 when any line is buyable)."""
    summary = CartSummary(cart=cart, organisation=organisation)
    if cart is None:
        return summary
    groups: dict[int, CartGroup] = {}
    lines = list(cart_lines_with_skus(cart))
    blocked = sku_ids_blocked_by_lots(line.sku_id for line in lines)
    for line in lines:
        store = line.sku.product.store
        group = groups.setdefault(store.pk, CartGroup(store=store))
        group.items.append(
            cart_item_build(
                line=line,
                sku=line.sku,
                organisation=organisation,
                lot_blocked=line.sku_id in blocked,
            )
        )
    summary.groups = list(groups.values())
    summary.discount_plan = cart_items_discount(summary.items, cart=cart, coupon_ids=coupon_ids)
    return _summary_price(summary)


# --- Delivery set-ups (what each store offers), for pricing.delivery ------------------------


def destination_of(address: Address) -> Destination:
    return Destination(region_code=address.region_code or "", region_text=address.region_text)


def freight_template_data(template: ShippingTemplate) -> FreightTemplate:
    """A template row (rules prefetched) as pricing's plain data."""

    def rates(row) -> FreightRates:
        return FreightRates(
            first_unit=row.first_unit,
            first_fee=row.first_fee,
            extra_unit=row.extra_unit,
            extra_fee=row.extra_fee,
        )

    return FreightTemplate(
        basis=template.basis,
        rates=rates(template),
        free_threshold=template.free_threshold,
        rules=tuple(
            FreightRule(
                region_codes=tuple(str(code) for code in rule.region_codes or ()),
                rates=rates(rule),
                is_excluded=rule.is_excluded,
            )
            for rule in template.rules.all()
        ),
    )


DEFAULT_FREIGHT_TEMPLATES = PreparedQuery(
    lambda p: ShippingTemplate.objects.filter(
        p.isin("store_id", "stores"), is_default=True
    ).prefetch_related("rules")
)


def freight_templates_for_stores(store_ids: Iterable[int]) -> dict[int, FreightTemplate]:
    """Each store's default template (a store without one ships free), 2 queries at most."""
    templates = DEFAULT_FREIGHT_TEMPLATES.run(stores=list(store_ids))
    return {template.store_id: freight_template_data(template) for template in templates}


def freight_quote(*, store: Store, lines: Sequence[FreightLine], address: Address) -> Decimal:
    """Express freight of one store's lines to `address` (raises when it does not go there)."""
    return freight_fee(
        template=freight_templates_for_stores([store.pk]).get(store.pk),
        lines=list(lines),
        destination=destination_of(address),
        store_name=store.name,
    )


def pickup_points_for_address(address: Address | None) -> list[PickupPoint]:
    """Active pickup points in the address's county (where the shopper can go to collect)."""
    if address is None:
        return []
    return list(
        PickupPoint.objects.filter(is_active=True, county_code=address.county_id).order_by(
            "township_code", "name"
        )
    )


ENABLED_DELIVERY_OPTIONS = PreparedQuery(
    lambda p: DeliveryOption.objects.filter(p.isin("store_id", "stores"), is_enabled=True)
)


def delivery_setups_for_stores(
    *,
    stores: Sequence[Store],
    address: Address | None,
    choices: Mapping[int, DeliveryChoice | None] | None = None,
) -> dict[int, DeliverySetup]:
    """What each store offers, loaded for `address` in a fixed number of queries: options;
    slots and zones where a store delivers in the county; templates for express; the county's
    pickup points where a store offers pickup. Without an address nothing is priced, so zones,
    templates and points are not read. With `choices` (checkout: store id → the shopper's
    choice) only what the chosen (or default) method needs is read."""
    by_store: dict[int, list[DeliveryOption]] = defaultdict(list)
    for option in ENABLED_DELIVERY_OPTIONS.run(stores=[store.pk for store in stores]):
        by_store[option.store_id].append(option)
    setups = {}
    for store in stores:
        for option in by_store[store.pk]:
            option.store = store
        options = options_in_display_order(store, by_store[store.pk])
        setups[store.pk] = DeliverySetup(store=store, options=options)

    def stores_using(method: str) -> list[int]:
        if choices is None:  # the preview prices every method offered
            return [sid for sid, setup in setups.items() if setup.option_for(method)]
        return [
            sid
            for sid, setup in setups.items()
            if delivery_method_chosen(setup, choices.get(sid)) == method
        ]

    county = stores_using(DeliveryMethod.COUNTY)
    if county:
        for slot in DeliverySlot.objects.filter(store_id__in=county, is_active=True).order_by(
            "start_time"
        ):
            setups[slot.store_id].slots.append(slot)
    if address is None:
        return setups
    if county:
        for zone in DeliveryZone.objects.filter(store_id__in=county, is_active=True):
            setups[zone.store_id].zones.append(zone)
    express = stores_using(DeliveryMethod.EXPRESS)
    if express:
        for store_id, template in freight_templates_for_stores(express).items():
            setups[store_id].freight_template = template
    if stores_using(DeliveryMethod.PICKUP):
        points = pickup_points_for_address(address)
        for setup in setups.values():
            setup.pickup_points = points
    return setups


def cart_quote(
    *,
    summary: CartSummary,
    address: Address | None,
    deliveries: dict[int, dict] | None = None,
    now=None,
    preselect: bool = False,
) -> CartSummary:
    """Fill in each store's delivery methods and the fee of the chosen one (express by
    default, see pricing.delivery) to `address`, or the reason it cannot deliver there; then
    the totals with those fees (step 3 and 4 of pricing).

    `preselect` (the checkout page): a chosen method that needs a time slot or a pickup point
    gets the first one offered, so the page opens priced; the shopper sees and may change it.
    """
    deliveries = deliveries or {}
    setups = delivery_setups_for_stores(stores=[g.store for g in summary.groups], address=address)
    destination = destination_of(address) if address is not None else None
    for group in summary.groups:
        group.freight, group.freight_error, group.delivery = None, "", None
        buyable = group.buyable_items
        lines = freight_lines(i.price for i in buyable)
        cold_titles = cold_chain_titles(i.product for i in buyable)
        setup = setups[group.store.pk]
        group.delivery_offers = delivery_offers(
            setup=setup, lines=lines, cold_titles=cold_titles, destination=destination, now=now
        )
        group.delivery_choice = DeliveryChoice.for_store(deliveries, group.store.pk)
        if preselect:
            group.delivery_choice = _choice_preselected(group)
        if destination is None:
            continue
        try:
            group.delivery = delivery_quote(
                setup=setup,
                lines=lines,
                cold_titles=cold_titles,
                destination=destination,
                choice=group.delivery_choice,
                now=now,
            )
        except ApplicationError as exc:
            group.freight_error = exc.message
        else:
            group.freight = group.delivery.fee
    return _summary_price(summary)


def _choice_preselected(group: CartGroup) -> DeliveryChoice:
    choice = group.delivery_choice or DeliveryChoice()
    offers = {offer.method: offer for offer in group.delivery_offers}
    method = choice.method if choice.method in offers else group.delivery_offers[0].method
    if "express" in offers and not choice.method:
        method = "express"
    offer = offers[method]
    slot, point = choice.slot, choice.pickup_point
    if offer.slots and slot not in {s.slot.pk for s in offer.slots}:
        slot = offer.slots[0].slot.pk
    if offer.pickup_points and point not in {p.pk for p in offer.pickup_points}:
        point = offer.pickup_points[0].pk
    return DeliveryChoice(method=method, slot=slot, pickup_point=point)


# --- Orders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderTab:
    key: str
    label: str
    statuses: tuple[str, ...]


S = Order.Status
ORDER_TABS = [
    OrderTab("", gettext_lazy("全部"), ()),
    OrderTab("pending_payment", gettext_lazy("待付款"), (S.PENDING_PAYMENT,)),
    OrderTab("paid", gettext_lazy("待发货"), (S.PAID,)),
    OrderTab("shipped", gettext_lazy("已发货"), (S.SHIPPED, S.DELIVERED)),
    OrderTab("completed", gettext_lazy("已完成"), (S.COMPLETED,)),
    OrderTab("cancelled", gettext_lazy("已取消"), (S.CANCELLED,)),
]


def order_tab(key: str | None) -> OrderTab:
    return next((t for t in ORDER_TABS if t.key == (key or "")), ORDER_TABS[0])


def _order_rows() -> QuerySet[Order]:
    return Order.objects.select_related("store", "payment_order").prefetch_related("lines")


def order_list_for_buyer(*, user, tab: str | None = None) -> QuerySet[Order]:
    """The shopper's own orders, newest first, optionally one tab (3 queries per page)."""
    orders = _order_rows().filter(buyer=user)
    statuses = order_tab(tab).statuses
    if statuses:
        orders = orders.filter(status__in=statuses)
    return orders.order_by("-created_at", "-id")


def order_tab_counts_for_buyer(*, user) -> dict[str, int]:
    """Orders per tab, in one query, for the tab badges."""
    by_status = dict(
        Order.objects.filter(buyer=user)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )
    return {tab.key: sum(by_status.get(s, 0) for s in tab.statuses) for tab in ORDER_TABS[1:]}


def _order_detail(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.select_related(
        "store", "payment_order", "buyer", "pickup_point"
    ).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("lot")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
        Prefetch("payment_order__orders", queryset=Order.objects.select_related("store")),
    )


RECALL_NOTIFIED_STATUSES = (
    Order.Status.PAID,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
    Order.Status.COMPLETED,
)


def order_lines_for_lots(lot_ids: Iterable[int]) -> QuerySet[OrderLine]:
    """Order lines filled from these lots in orders the buyer paid for (a recall's buyers),
    with order, buyer, store and lot; for staff lists and recall notices."""
    return (
        OrderLine.objects.filter(
            lot_id__in=list(lot_ids), order__status__in=RECALL_NOTIFIED_STATUSES
        )
        .select_related("order__buyer", "order__store", "lot")
        .order_by("order__buyer_id", "order_id", "id")
    )


def order_line_trace_urls(lines: Iterable[OrderLine]) -> dict[int, str]:
    """Line id → its lot's public trace page, for lines with a lot whose lot has a code (one
    query for any number of lines)."""
    lot_by_line = {line.pk: line.lot_id for line in lines if line.lot_id}
    if not lot_by_line:
        return {}
    codes: dict[int, str] = {}
    primary = TraceCode.objects.filter(
        lot_id__in=set(lot_by_line.values()), package_number__isnull=True
    ).order_by("-id")
    for lot_id, code in primary.values_list("lot_id", "code"):
        codes[lot_id] = code  # the lowest id wins, as in lot_primary_code
    return {
        line_id: trace_url(codes[lot_id])
        for line_id, lot_id in lot_by_line.items()
        if lot_id in codes
    }


def order_get_for_buyer(*, user, number: str) -> Order | None:
    """One of the shopper's orders with lines, events and sibling orders; others → None."""
    if not user or not user.is_authenticated:
        return None
    return _order_detail(Order.objects.filter(buyer=user, number=number)).first()


def payment_order_get_for_buyer(*, user, number: str) -> PaymentOrder | None:
    if not user or not user.is_authenticated:
        return None
    return (
        PaymentOrder.objects.filter(buyer=user, number=number)
        .prefetch_related(
            Prefetch(
                "orders", queryset=Order.objects.select_related("store").prefetch_related("lines")
            )
        )
        .first()
    )


def payment_order_with_orders(*, user, payment_order: PaymentOrder) -> PaymentOrder | None:
    """`payment_order` with its orders, their stores and lines, as payment_order_get_for_buyer
    reads them (orders newest first, lines by id): from what checkout has just written when
    it left them (`placed_orders`), else read back (a replay, a credit order)."""
    placed = getattr(payment_order, "placed_orders", None)
    if placed is None:
        return payment_order_get_for_buyer(user=user, number=payment_order.number)
    orders = sorted(placed, key=lambda o: (o.created_at, o.pk), reverse=True)
    for order in orders:
        order._prefetched_objects_cache = {
            "lines": _loaded(OrderLine.objects.filter(order=order), order.placed_lines)
        }
    payment_order._prefetched_objects_cache = {
        "orders": _loaded(Order.objects.filter(payment_order=payment_order), orders)
    }
    return payment_order


def _loaded(queryset: QuerySet, rows: list) -> QuerySet:
    """`queryset` holding `rows` as its results, as prefetch_related leaves a relation: all()
    and iteration use them, get()/filter() still ask the database."""
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    return queryset


def payment_order_get(*, number: str) -> PaymentOrder | None:
    """For the payments app's notify handler (no user: the provider's signature is the check)."""
    return PaymentOrder.objects.filter(number=number).first()


def order_list_for_merchant(*, user, status: str | None = None) -> QuerySet[Order]:
    """Orders of the stores this user works for (all stores for platform staff)."""
    orders = scope_to_user_stores(_order_rows().select_related("buyer"), user)
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at", "-id")


def order_get_for_merchant(*, user, number: str) -> Order | None:
    return _order_detail(scope_to_user_stores(Order.objects.filter(number=number), user)).first()


# --- Recall buyers (back office) ------------------------------------------------------------

RECALL_NOTIFIED_EVENT = "recall_notified"


def recall_lot_get_for_user(*, user, lot_id: int) -> Lot | None:
    """A lot the user's stores own (staff: any), for the recall buyers page; others → None."""
    return (
        scope_to_user_stores(Lot.objects.select_related("store", "product"), user)
        .filter(pk=lot_id)
        .first()
    )


def recall_buyer_lines(*, lot: Lot) -> list[OrderLine]:
    """Paid order lines filled from `lot` or any lot made from it (a recall covers them all),
    each with `is_recall_notified` set (3 queries besides the lineage walk)."""
    lot_ids = [lot.pk, *(derived.pk for derived in derived_lots(lot))]
    lines = list(order_lines_for_lots(lot_ids))
    notified: set[tuple[int, int]] = set()
    events = OrderEvent.objects.filter(
        kind=RECALL_NOTIFIED_EVENT, order_id__in={line.order_id for line in lines}
    ).values_list("order_id", "payload")
    for order_id, payload in events:
        notified.update((order_id, lot_id) for lot_id in (payload or {}).get("lot_ids", []))
    for line in lines:
        line.is_recall_notified = (line.order_id, line.lot_id) in notified
    return lines


# --- the back office's workbench -------------------------------------------------------------


def orders_to_ship(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.filter(status=Order.Status.PAID)


def orders_ship_late(queryset: QuerySet[Order], *, now: datetime | None = None) -> QuerySet[Order]:
    """Paid orders of which nothing has shipped within LOGISTICS_COLLECT_DEADLINE_HOURS."""
    deadline = (now or timezone.now()) - timedelta(hours=settings.LOGISTICS_COLLECT_DEADLINE_HOURS)
    return (
        orders_to_ship(queryset)
        .filter(paid_at__lte=deadline)
        .exclude(lines__shipped_quantity__gt=0)
    )


@dataclass(frozen=True)
class SalesFigures:
    orders: int
    amount: Decimal


def paid_order_figures(queryset: QuerySet[Order], *, since: datetime) -> SalesFigures:
    """Orders paid since `since` (cancelled ones, refunded before shipping, excluded) and what
    they came to, in one query."""
    totals = (
        queryset.filter(paid_at__gte=since)
        .exclude(status=Order.Status.CANCELLED)
        .aggregate(orders=Count("id"), amount=Sum("total_amount"))
    )
    return SalesFigures(orders=totals["orders"], amount=to_money(totals["amount"] or 0))


def buyer_paid_totals(*, since) -> QuerySet:
    """Per buyer, what they paid (less refunds) for orders paid since `since`: rows of
    {"buyer_id", "total"}, one GROUP BY (customer-service tiers read this)."""
    return (
        Order.objects.filter(paid_at__gte=since)
        .values("buyer_id")
        .annotate(total=Sum(F("total_amount") - F("refunded_amount")))
        .order_by()
    )
