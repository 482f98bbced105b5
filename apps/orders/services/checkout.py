"""Placing an order: one checkout → one PaymentOrder split into one Order per store (拆单).

Stock is reserved in the same transaction with one conditional UPDATE per SKU, SKUs locked in
id order, so concurrent checkouts can neither oversell nor deadlock. A repeated submit with the
same idempotency key returns the first PaymentOrder instead of placing a second one. Prices come
from the pricing home (apps/orders/pricing) through the same selectors the cart and the preview
use, so the order costs what the preview showed.
"""

import logging
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    ExpressionWrapper,
    OuterRef,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.catalog.models import ProductImage, Sku
from apps.core.errors import ApplicationError
from apps.core.prepared import PreparedQuery
from apps.core.validators import model_fields_validate
from apps.orders.errors import OrderErrorCode
from apps.orders.models import (
    Address,
    Cart,
    CartLine,
    Order,
    OrderEvent,
    OrderLine,
    OrderLineDiscount,
    PaymentOrder,
)
from apps.orders.pricing import (
    DeliveryChoice,
    DeliveryQuote,
    PricedCart,
    cold_chain_titles,
    delivery_quote,
    freight_lines,
)
from apps.orders.rules import MAX_LINE_QUANTITY
from apps.orders.selectors import (
    CartItem,
    cart_item_build,
    cart_items_discount,
    cart_price,
    delivery_setups_for_stores,
    destination_of,
)
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.promotions.errors import PromotionErrorCode
from apps.promotions.rules import DiscountPlan
from apps.promotions.services import discounts_take
from apps.stores.models import Store
from apps.traceability.selectors import sku_blocked_condition
from apps.wholesale.errors import WholesaleErrorCode
from apps.wholesale.models import BuyerOrganisation
from apps.wholesale.selectors import credit_available, verified_organisation_for_user
from apps.wholesale.services import credit_charge

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
NUMBER_ATTEMPTS = 3


def payment_timeout() -> timedelta:
    return timedelta(minutes=getattr(settings, "ORDER_PAYMENT_TIMEOUT_MINUTES", 30))


def order_number_new(now: datetime | None = None) -> str:
    """Time-sortable and unguessable: yyMMddHHmmss + milliseconds (Asia/Shanghai) + 7 random
    digits, 22 digits in all; a store order appends a two-digit index to its payment order's."""
    now = timezone.localtime(now)
    return f"{now:%y%m%d%H%M%S}{now.microsecond // 1000:03d}{secrets.randbelow(10**7):07d}"


def idempotency_key_validate(key: str | None) -> str:
    key = (key or "").strip()
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise ApplicationError(
            _("缺少或无效的幂等键（8–64 位字母、数字或 _.:-）。"),
            code=OrderErrorCode.IDEMPOTENCY_KEY_INVALID,
            fields={"idempotency_key": _("无效。")},
        )
    return key


# Fields a client might send to set its own price; checkout never reads them.
PRICE_FIELDS = ("amount", "price", "unit_price", "total_amount", "goods_amount", "freight_amount")


def log_ignored_price_fields(data, *, user) -> None:
    """Prices come from the database only; a request carrying some is logged, then ignored."""
    sent = sorted(name for name in PRICE_FIELDS if name in data)
    if sent:
        logger.warning("checkout by user %s sent price fields %s: ignored", user.pk, sent)


def address_snapshot(address: Address) -> dict:
    snapshot = {
        "contact_name": address.contact_name,
        "contact_phone": address.contact_phone,
        "detail": address.detail,
        "region_text": address.region_text,
        "full_text": address.full_text,
    }
    for level in ("province", "city", "county", "township"):
        division = getattr(address, level)
        snapshot[f"{level}_code"] = division.code if division else ""
        snapshot[f"{level}_name"] = division.name if division else ""
    return snapshot


# The reads of every checkout, compiled once per process (apps.core.prepared).
PAYMENT_ORDER_BY_KEY = PreparedQuery(
    lambda p: PaymentOrder.objects.filter(buyer_id=p.buyer, idempotency_key=p.key).order_by("pk")[
        :1
    ]
)
CART_LINES = PreparedQuery(lambda p: CartLine.objects.filter(cart_id=p.cart).order_by("sku_id"))


def order_place(
    *,
    buyer,
    cart: Cart | None,
    address: Address | None,
    idempotency_key: str,
    method: str = PaymentOrder.Method.ONLINE,
    buyer_note: str = "",
    deliveries: dict[int, dict] | None = None,
    coupon_ids: list[int] | None = None,
) -> PaymentOrder:
    """Place the whole cart. Returns the PaymentOrder; `is_replay` tells a repeat from a new one.

    `deliveries` maps a store id to the shopper's delivery choice {"method", "slot" (DeliverySlot
    id), "pickup_point" (PickupPoint id)}; a store left out gets express when it offers it, else
    its first option (refused when that needs a slot or point the shopper has not chosen).
    `coupon_ids`: the coupons the shopper chose (None: the best combination, as previewed);
    a chosen coupon that cannot be used refuses the checkout with the reason, nothing taken.

    Refuses (ApplicationError) an empty cart, an address that is not the buyer's, any line that
    cannot be bought as it stands (flagged in the cart: off sale, suspended store, sold out,
    below the wholesale minimum), an address a store does not deliver to, and credit orders
    beyond the organisation's limit. Prices come from the database, never from the request.
    """
    key = idempotency_key_validate(idempotency_key)
    buyer_note = (buyer_note or "").strip()
    model_fields_validate(Order, buyer_note=buyer_note)
    for _attempt in range(NUMBER_ATTEMPTS):
        found = PAYMENT_ORDER_BY_KEY.run(buyer=buyer.pk, key=key)
        existing = found[0] if found else None
        if existing is not None:
            existing.is_replay = True
            return existing
        try:
            with transaction.atomic():
                payment_order = _place(
                    buyer=buyer,
                    cart=cart,
                    address=address,
                    key=key,
                    method=method,
                    buyer_note=buyer_note,
                    deliveries=deliveries or {},
                    coupon_ids=coupon_ids,
                )
        except IntegrityError:
            # Either the same key committed meanwhile (double submit: loop returns it) or,
            # astronomically rarely, a random number repeated (loop draws a new one).
            logger.info("order_place retry after IntegrityError (buyer %s)", buyer.pk)
            continue
        payment_order.is_replay = False
        return payment_order
    raise ApplicationError(_("下单失败，请重试。"), code="orders_place_failed", status_code=409)


def _refuse(message: str, code: str, **fields) -> ApplicationError:
    return ApplicationError(message, code=code, fields=fields)


@dataclass
class StoreOrderDraft:
    """One store's part of the checkout: its items and validated delivery (one Order)."""

    store: Store
    items: list[CartItem]
    delivery: DeliveryQuote


def _place(
    *, buyer, cart, address, key, method, buyer_note, deliveries, coupon_ids
) -> PaymentOrder:
    """The steps of one checkout, in the order that keeps it safe: validate, lock and price,
    check credit, insert the payment order with its amount (the idempotency lock: a same-key
    twin stops there), reserve stock and take the coupons and promo stock (guarded updates),
    write, charge."""
    organisation = _check_request(buyer=buyer, cart=cart, address=address, method=method)
    lines = _cart_lines(cart)
    now = timezone.now()
    number = order_number_new(now)
    items = _items_locked(lines, organisation=organisation)
    plan = cart_items_discount(items, cart=cart, coupon_ids=coupon_ids)
    _refuse_unusable_coupons(plan)
    drafts = _drafts_quote(items, address=address, deliveries=deliveries, now=now)
    priced = cart_price(
        items, freights={sid: d.delivery.fee for sid, d in drafts.items()}, plan=plan
    )
    if method == PaymentOrder.Method.CREDIT:
        _refuse_beyond_credit(organisation, priced.total_amount)
    payment_order = _payment_order_open(
        buyer=buyer, key=key, method=method, number=number, amount=priced.total_amount, now=now
    )
    _reserve_stock(items)
    discounts_take(
        user=buyer,
        plan=plan,
        reference=payment_order.number,
        now=now,
        freight_discount=priced.freight_discount_amount,
    )
    orders = _orders_write(
        payment_order,
        drafts=drafts,
        priced=priced,
        address=address,
        organisation=organisation,
        buyer_note=buyer_note,
        labels={d.code: d.label for d in plan.discounts},
    )
    CartLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    if method == PaymentOrder.Method.CREDIT:
        _charge_credit(payment_order, orders=orders, organisation=organisation, now=now)
    else:
        # What was just written (each order's `placed_lines`), for the answer to the shopper
        # without reading it back (selectors.payment_order_with_orders).
        payment_order.placed_orders = orders
    return payment_order


def _check_request(*, buyer, cart, address, method) -> BuyerOrganisation | None:
    """The buyer's own address and cart, a known method; credit only for an organisation with
    a limit. Returns the buyer's verified organisation (None: retail prices)."""
    if address is None or address.user_id != buyer.pk:
        raise _refuse(
            _("请选择您的收货地址。"), OrderErrorCode.ADDRESS_NOT_FOUND, address=_("地址无效。")
        )
    if cart is None or cart.user_id != buyer.pk:
        raise _refuse(_("购物车是空的。"), OrderErrorCode.CART_EMPTY)
    if method not in PaymentOrder.Method.values:
        raise _refuse(_("不支持的付款方式。"), "invalid", method=_("无效。"))
    organisation = verified_organisation_for_user(user=buyer)
    if method == PaymentOrder.Method.CREDIT and (
        organisation is None or organisation.credit_limit <= 0
    ):
        raise _refuse(
            _("只有获得授信的认证采购单位可以使用账期支付。"),
            OrderErrorCode.CREDIT_NOT_ALLOWED,
            method=_("无效。"),
        )
    return organisation


def _cart_lines(cart: Cart) -> list[CartLine]:
    lines = CART_LINES.run(cart=cart.pk)
    if not lines:
        raise _refuse(_("购物车是空的。"), OrderErrorCode.CART_EMPTY)
    for line in lines:
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise _refuse(
                _("购买数量须在 1 到 %(n)d 之间。") % {"n": MAX_LINE_QUANTITY},
                OrderErrorCode.INVALID_QUANTITY,
            )
    return lines


def _payment_order_open(
    *, buyer, key: str, method: str, number: str, amount: Decimal, now: datetime
) -> PaymentOrder:
    # Inserted with its amount once priced, before anything is taken (stock, coupons, promo
    # stock): a concurrent submit with the same key, which has been waiting on the SKU locks,
    # stops here on the unique index and replays this one, having taken nothing.
    return PaymentOrder.objects.create(
        number=number,
        buyer=buyer,
        amount=amount,
        method=method,
        idempotency_key=key,
        expires_at=now + payment_timeout(),
    )


def _skus_locked(p):
    """The SKUs of a cart, locked, with their product and store, traceability's lot check
    (sku_ids_blocked_by_lots) and the cover's path (product_image_path) in the same statement."""
    return (
        Sku.objects.select_for_update(of=("self",), no_key=True)
        .filter(p.isin("pk", "ids"))
        .select_related("product__store")
        .annotate(
            lot_blocked=ExpressionWrapper(
                sku_blocked_condition(today=p.param("today", DateField())),
                output_field=BooleanField(),
            ),
            cover_path=Subquery(
                ProductImage.objects.filter(product_id=OuterRef("product_id"))
                .order_by("sort_order", "id")
                .annotate(
                    path=Coalesce(NullIf("thumbnail", Value("")), "image", output_field=CharField())
                )
                .values("path")[:1]
            ),
        )
        .order_by("pk")
    )


LOCK_SKUS = PreparedQuery(_skus_locked)
LOCK_SKUS_WHOLESALE = PreparedQuery(lambda p: _skus_locked(p).prefetch_related("wholesale_tiers"))


def _items_locked(
    lines: list[CartLine], *, organisation: BuyerOrganisation | None
) -> list[CartItem]:
    """Lock the SKUs (id order: no deadlock), price each line from them (step 1 of pricing,
    never from the request) and refuse any line that cannot be bought as it stands.

    FOR NO KEY UPDATE: it excludes other checkouts of these SKUs but not the key-share locks
    of rows that merely point at them, so other shoppers can still add them to their carts.
    Waits at most DB_LOCK_TIMEOUT_MS (the page then answers 503, apps/core/middleware.py)."""
    wholesale = organisation is not None and organisation.is_verified
    query = LOCK_SKUS_WHOLESALE if wholesale else LOCK_SKUS  # retail prices never read tiers
    locked = query.run(ids=[line.sku_id for line in lines], today=timezone.localdate())
    skus = {sku.pk: sku for sku in locked}
    items = [
        cart_item_build(
            line=line,
            sku=skus[line.sku_id],
            organisation=organisation,
            lot_blocked=skus[line.sku_id].lot_blocked,
            image=skus[line.sku_id].cover_path or "",
        )
        for line in lines
    ]
    _refuse_problems(items)
    return items


def _drafts_quote(
    items: list[CartItem], *, address: Address, deliveries: dict, now: datetime
) -> dict[int, StoreOrderDraft]:
    """Step 3 of pricing per store (by store id): validate the delivery choice and price it."""
    by_store: dict[int, list[CartItem]] = defaultdict(list)
    for item in items:
        by_store[item.sku.product.store_id].append(item)
    stores = [by_store[sid][0].sku.product.store for sid in sorted(by_store)]
    choices = {store.pk: DeliveryChoice.for_store(deliveries, store.pk) for store in stores}
    setups = delivery_setups_for_stores(stores=stores, address=address, choices=choices)
    destination = destination_of(address)
    drafts = {}
    for store in stores:
        store_items = by_store[store.pk]
        quote = delivery_quote(
            setup=setups[store.pk],
            lines=freight_lines(i.price for i in store_items),
            cold_titles=cold_chain_titles(i.product for i in store_items),
            destination=destination,
            choice=choices[store.pk],
            now=now,
        )
        drafts[store.pk] = StoreOrderDraft(store=store, items=store_items, delivery=quote)
    return drafts


def _refuse_beyond_credit(organisation: BuyerOrganisation, amount: Decimal) -> None:
    left = credit_available(organisation=organisation)
    if amount > left:
        raise _refuse(
            _("本单 ¥%(amount)s 超出可用账期额度 ¥%(left)s。") % {"amount": amount, "left": left},
            WholesaleErrorCode.CREDIT_EXCEEDED,
        )


def _refuse_unusable_coupons(plan: DiscountPlan) -> None:
    if plan.errors:
        raise ApplicationError(
            "；".join(plan.errors),
            code=PromotionErrorCode.COUPON_UNUSABLE,
            fields={"coupons": list(plan.errors)},
            status_code=409,
        )


def _refuse_problems(items: list[CartItem]) -> None:
    problems = [item for item in items if item.refusal]
    if not problems:
        return
    stock_only = all(item.refusal.is_stock_only for item in problems)
    message = "；".join(item.refusal.about(item.sku) for item in problems)
    raise ApplicationError(
        _("以下商品无法购买：%(lines)s。") % {"lines": message},
        code=OrderErrorCode.OUT_OF_STOCK if stock_only else OrderErrorCode.CART_HAS_PROBLEMS,
        fields={"lines": {str(item.sku.pk): item.problem for item in problems}},
        status_code=409,
    )


def _reserve_stock(items: list[CartItem]) -> None:
    stock_reserve([(item.sku, item.quantity) for item in items])


STOCK_RESERVE_SQL = (
    f"UPDATE {Sku._meta.db_table} SET reserved = reserved + %s "
    "WHERE id = %s AND is_active AND stock >= reserved + %s"
)


def stock_reserve(wanted: list[tuple[Sku, int]]) -> None:
    """One guarded UPDATE per SKU, in id order; the database refuses to go below zero.
    Every way an order is placed (checkout, channel orders) reserves through here.
    `sku.product` must be loaded (for the message)."""
    for sku, quantity in sorted(wanted, key=lambda pair: pair[0].pk):
        with connection.cursor() as cursor:
            # Written out (what Sku.objects.filter(pk=…, is_active=True, stock__gte=
            # F("reserved") + q).update(reserved=F("reserved") + q) sends): it runs inside
            # the SKU lock of every checkout, and the ORM's compile was most of its cost.
            cursor.execute(STOCK_RESERVE_SQL, [quantity, sku.pk, quantity])
            updated = cursor.rowcount
        if updated != 1:
            raise ApplicationError(
                _("「%(title)s %(spec)s」库存不足，请减少数量后重试。")
                % {"title": sku.product.title, "spec": sku.spec},
                code=OrderErrorCode.OUT_OF_STOCK,
                fields={"lines": {str(sku.pk): _("库存不足")}},
                status_code=409,
            )


def _orders_write(
    payment_order: PaymentOrder,
    *,
    drafts: dict[int, StoreOrderDraft],
    priced: PricedCart,
    address: Address,
    organisation: BuyerOrganisation | None,
    buyer_note: str,
    labels: dict[str, str],
) -> list[Order]:
    """One Order per store with its lines (prices as priced, never recomputed), each line's
    discount shares with their funder, and events: one INSERT each for all the orders, all
    their lines, the discount shares and the events, whatever the number of stores."""
    snapshot = address_snapshot(address)
    orders = []
    for index, draft in enumerate(drafts.values(), start=1):
        totals = priced.store(draft.store.pk)
        delivery = draft.delivery
        orders.append(
            Order(
                number=f"{payment_order.number}{index:02d}",
                payment_order=payment_order,
                buyer=payment_order.buyer,
                store=draft.store,
                address=snapshot,
                goods_amount=totals.goods_amount,
                freight_amount=totals.freight_amount,
                freight_discount_amount=totals.freight_discount_amount,
                freight_discount_code=totals.freight_discount_code,
                freight_discount_funder=totals.freight_discount_funder,
                discount_amount=totals.discount_amount,
                total_amount=totals.total_amount,
                delivery_method=delivery.method,
                pickup_point=delivery.pickup_point,
                delivery_date=delivery.delivery_date,
                delivery_slot=delivery.slot_text,
                is_cold_chain=delivery.is_cold_chain,
                commission_rate=draft.store.commission_rate,
                is_wholesale=organisation is not None,
                buyer_organisation=organisation,
                buyer_note=(buyer_note or "").strip()[:200],
            )
        )
    Order.objects.bulk_create(orders)  # no save() signals on Order; ids come back in order
    placed = [
        (order, item)
        for order, draft in zip(orders, drafts.values(), strict=True)
        for item in draft.items
    ]
    lines = OrderLine.objects.bulk_create([_order_line(order, item) for order, item in placed])
    for order in orders:
        order.placed_lines = [line for line in lines if line.order_id == order.pk]
    OrderLineDiscount.objects.bulk_create(
        OrderLineDiscount(
            line=line,
            code=allocation.code,
            label=labels.get(allocation.code, "")[:60],
            funder=allocation.funder,
            amount=allocation.amount,
        )
        for line, (_order, item) in zip(lines, placed, strict=True)
        for allocation in item.price.allocations
    )
    OrderEvent.objects.bulk_create([_placed_event(order, payment_order) for order in orders])
    return orders


def _placed_event(order: Order, payment_order: PaymentOrder) -> OrderEvent:
    return OrderEvent(
        order=order,
        from_status="",
        to_status=order.status,
        kind="placed",
        actor=payment_order.buyer,
        reason=_("提交订单"),
        payload={
            "payment_order": payment_order.number,
            "method": payment_order.method,
            "delivery_method": order.delivery_method,
            "pickup_point": order.pickup_point_id,
            "delivery_date": order.delivery_date.isoformat() if order.delivery_date else None,
            "delivery_slot": order.delivery_slot,
        },
    )


def _order_line(order: Order, item: CartItem) -> OrderLine:
    price = item.price
    return OrderLine(
        order=order,
        sku=item.sku,
        product=item.product,
        title=item.product.title[:120],
        spec=item.sku.spec[:60],
        image=item.image[:255],
        unit_price=price.unit_price,
        quantity=price.quantity,
        line_amount=price.line_amount,
        discount_amount=price.discount_amount,
        paid_amount=price.paid_amount,
    )


def _charge_credit(
    payment_order: PaymentOrder,
    *,
    orders: list[Order],
    organisation: BuyerOrganisation,
    now: datetime,
) -> None:
    """账期: charge each order to the organisation's credit, then the payment order is paid."""
    buyer = payment_order.buyer
    for order in orders:
        credit_charge(
            organisation=organisation,
            amount=order.total_amount,
            reference=order.number,
            actor=buyer,
        )
    payment_order_mark_paid(
        payment_order=payment_order,
        paid_at=now,
        actor=buyer,
        reference=organisation.name,
        reason=_("账期"),
    )
    payment_order.refresh_from_db()
