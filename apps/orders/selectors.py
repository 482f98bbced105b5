"""Reads of the orders app. Each page or endpoint gets its rows in a fixed number of queries."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext_lazy

from apps.catalog.models import ProductImage, Sku
from apps.core.errors import ApplicationError
from apps.orders.models import (
    ZERO,
    Address,
    Cart,
    CartLine,
    Division,
    Order,
    OrderEvent,
    OrderLine,
    PaymentOrder,
)
from apps.orders.rules import sku_problem
from apps.orders.services.delivery import (
    DeliveryChoice,
    DeliveryOffer,
    DeliveryQuote,
    cold_chain_titles,
    delivery_offers,
    delivery_quote,
)
from apps.orders.services.freight import FreightLine
from apps.stores.models import Store
from apps.stores.selectors import scope_to_user_stores
from apps.traceability.models import Lot, TraceCode
from apps.traceability.rules import derived_lots
from apps.traceability.selectors import sku_ids_blocked_by_lots, trace_url
from apps.wholesale.models import BuyerOrganisation
from apps.wholesale.selectors import sku_min_quantity, sku_unit_price

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
    return address_list_for_user(user=user).filter(pk=pk).first()


def address_default_for_user(*, user) -> Address | None:
    return address_list_for_user(user=user).order_by("-is_default", "-updated_at").first()


# --- Cart ---------------------------------------------------------------------------------


@dataclass
class CartItem:
    line: CartLine
    sku: Sku
    quantity: int
    unit_price: Decimal
    line_amount: Decimal
    min_quantity: int
    problem: str
    image: str = ""
    lot_blocked: bool = False  # a recall or hold covers the SKU and no other lot supplies it

    @property
    def product(self):
        return self.sku.product

    @property
    def is_buyable(self) -> bool:
        return not self.problem


@dataclass
class CartGroup:
    """One store's lines: they become one order (拆单) at checkout."""

    store: Store
    items: list[CartItem] = field(default_factory=list)
    freight: Decimal | None = None
    freight_error: str = ""
    # Checkout preview: the methods the store offers (priced) and the one chosen.
    delivery_offers: list[DeliveryOffer] = field(default_factory=list)
    delivery_choice: DeliveryChoice | None = None
    delivery: DeliveryQuote | None = None

    @property
    def goods_amount(self) -> Decimal:
        return sum((i.line_amount for i in self.items if i.is_buyable), ZERO)

    @property
    def total_amount(self) -> Decimal:
        return self.goods_amount + (self.freight or ZERO)


@dataclass
class CartSummary:
    cart: Cart | None
    organisation: BuyerOrganisation | None
    groups: list[CartGroup] = field(default_factory=list)

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
        return sum((g.goods_amount for g in self.groups), ZERO)

    @property
    def freight_amount(self) -> Decimal:
        return sum((g.freight or ZERO for g in self.groups), ZERO)

    @property
    def total_amount(self) -> Decimal:
        return self.goods_amount + self.freight_amount

    @property
    def freight_errors(self) -> list[str]:
        return [g.freight_error for g in self.groups if g.freight_error]

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def can_checkout(self) -> bool:
        return not self.is_empty and not self.problem_items and not self.freight_errors


LOT_BLOCKED_PROBLEM = gettext_lazy("该商品批次已召回或暂停销售")


def product_image_path(product) -> str:
    """Storage path of the product's cover thumbnail (images prefetched in display order)."""
    images = list(product.images.all())
    if not images:
        return ""
    return images[0].thumbnail.name or images[0].image.name


def cart_item_build(
    *,
    line: CartLine,
    sku: Sku,
    organisation: BuyerOrganisation | None,
    lot_blocked: bool = False,
) -> CartItem:
    """`lot_blocked`: the SKU is in traceability's sku_ids_blocked_by_lots (asked once per
    cart by the caller)."""
    quantity = line.quantity
    # The stored flag (Sku.is_held) and the live lot check agree except around midnight of an
    # expiry date, before the daily job refreshes the flag: either one blocks.
    lot_blocked = lot_blocked or sku.is_held
    minimum = sku_min_quantity(sku=sku, organisation=organisation)
    unit_price = sku_unit_price(sku=sku, quantity=quantity, organisation=organisation)
    if lot_blocked:
        problem = str(LOT_BLOCKED_PROBLEM)
    else:
        problem = sku_problem(sku=sku, quantity=quantity, min_quantity=minimum)
    return CartItem(
        line=line,
        sku=sku,
        quantity=quantity,
        unit_price=unit_price,
        line_amount=unit_price * quantity,
        min_quantity=minimum,
        problem=problem,
        image=product_image_path(sku.product),
        lot_blocked=lot_blocked,
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


def cart_summary(*, cart: Cart | None, organisation: BuyerOrganisation | None) -> CartSummary:
    """The cart grouped by store, each line priced and flagged (4 queries)."""
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
    return summary


def freight_lines(items: Iterable[CartItem]) -> list[FreightLine]:
    """What freight and delivery pricing need of these items (the preview and checkout)."""
    return [
        FreightLine(weight_grams=i.sku.weight_grams, quantity=i.quantity, amount=i.line_amount)
        for i in items
    ]


def cart_quote(
    *,
    summary: CartSummary,
    address: Address | None,
    deliveries: dict[int, dict] | None = None,
    now=None,
    preselect: bool = False,
) -> CartSummary:
    """Fill in each store's delivery methods and the freight of the chosen one (express by
    default, see services.delivery) to `address`, or the reason it cannot deliver there.

    `preselect` (the checkout page): a chosen method that needs a time slot or a pickup point
    gets the first one offered, so the page opens priced; the shopper sees and may change it.
    """
    deliveries = deliveries or {}
    for group in summary.groups:
        group.freight, group.freight_error, group.delivery = None, "", None
        buyable = [i for i in group.items if i.is_buyable]
        lines = freight_lines(buyable)
        cold_titles = cold_chain_titles(i.product for i in buyable)
        group.delivery_offers = delivery_offers(
            store=group.store, lines=lines, cold_titles=cold_titles, address=address, now=now
        )
        group.delivery_choice = DeliveryChoice.for_store(deliveries, group.store.pk)
        if preselect:
            group.delivery_choice = _choice_preselected(group)
        if address is None:
            continue
        try:
            group.delivery = delivery_quote(
                store=group.store,
                lines=lines,
                cold_titles=cold_titles,
                address=address,
                choice=group.delivery_choice,
                now=now,
            )
        except ApplicationError as exc:
            group.freight_error = exc.message
        else:
            group.freight = group.delivery.fee
    return summary


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
