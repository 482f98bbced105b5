"""Placing an order: one checkout → one PaymentOrder split into one Order per store (拆单).

Stock is reserved in the same transaction with one conditional UPDATE per SKU, SKUs locked in
id order, so concurrent checkouts can neither oversell nor deadlock. A repeated submit with the
same idempotency key returns the first PaymentOrder instead of placing a second one.
"""

import logging
import re
import secrets
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.catalog.models import ProductImage, Sku
from apps.core.errors import ApplicationError
from apps.orders.errors import OrderErrorCode
from apps.orders.models import (
    ZERO,
    Address,
    Cart,
    CartLine,
    Order,
    OrderEvent,
    OrderLine,
    PaymentOrder,
)
from apps.orders.rules import MAX_LINE_QUANTITY
from apps.orders.selectors import CartItem, cart_item_build, freight_lines
from apps.orders.services.delivery import (
    DeliveryChoice,
    DeliveryQuote,
    cold_chain_titles,
    delivery_quote,
)
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.traceability.selectors import sku_ids_blocked_by_lots
from apps.wholesale.errors import WholesaleErrorCode
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


def order_place(
    *,
    buyer,
    cart: Cart | None,
    address: Address | None,
    idempotency_key: str,
    method: str = PaymentOrder.Method.ONLINE,
    buyer_note: str = "",
    deliveries: dict[int, dict] | None = None,
) -> PaymentOrder:
    """Place the whole cart. Returns the PaymentOrder; `is_replay` tells a repeat from a new one.

    `deliveries` maps a store id to the shopper's delivery choice {"method", "slot" (DeliverySlot
    id), "pickup_point" (PickupPoint id)}; a store left out gets express when it offers it, else
    its first option (refused when that needs a slot or point the shopper has not chosen).

    Refuses (ApplicationError) an empty cart, an address that is not the buyer's, any line that
    cannot be bought as it stands (flagged in the cart: off sale, suspended store, sold out,
    below the wholesale minimum), an address a store does not deliver to, and credit orders
    beyond the organisation's limit. Prices come from the database, never from the request.
    """
    key = idempotency_key_validate(idempotency_key)
    for _attempt in range(NUMBER_ATTEMPTS):
        existing = PaymentOrder.objects.filter(buyer=buyer, idempotency_key=key).first()
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


def _place(*, buyer, cart, address, key, method, buyer_note, deliveries) -> PaymentOrder:
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
    lines = list(CartLine.objects.filter(cart=cart).order_by("sku_id"))
    if not lines:
        raise _refuse(_("购物车是空的。"), OrderErrorCode.CART_EMPTY)
    for line in lines:
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise _refuse(
                _("购买数量须在 1 到 %(n)d 之间。") % {"n": MAX_LINE_QUANTITY},
                OrderErrorCode.INVALID_QUANTITY,
            )

    now = timezone.now()
    # Inserted first: a concurrent submit with the same key waits here on the unique index and
    # then replays this one, instead of competing for the stock it is about to reserve.
    payment_order = PaymentOrder.objects.create(
        number=order_number_new(now),
        buyer=buyer,
        amount=ZERO,
        method=method,
        idempotency_key=key,
        expires_at=now + payment_timeout(),
    )

    skus = {
        sku.pk: sku
        for sku in Sku.objects.select_for_update(of=("self",))
        .filter(pk__in=[line.sku_id for line in lines])
        .select_related("product__store")
        .prefetch_related(
            "wholesale_tiers",
            Prefetch("product__images", queryset=ProductImage.objects.order_by("sort_order", "id")),
        )
        .order_by("pk")
    }
    blocked = sku_ids_blocked_by_lots(skus)
    items = [
        cart_item_build(
            line=line,
            sku=skus[line.sku_id],
            organisation=organisation,
            lot_blocked=line.sku_id in blocked,
        )
        for line in lines
    ]
    _refuse_problems(items)

    by_store: dict[int, list[CartItem]] = defaultdict(list)
    for item in items:
        by_store[item.sku.product.store_id].append(item)
    quotes: dict[int, DeliveryQuote] = {}
    for store_id, store_items in sorted(by_store.items()):
        store = store_items[0].sku.product.store
        quotes[store_id] = delivery_quote(
            store=store,
            lines=freight_lines(store_items),
            cold_titles=cold_chain_titles(i.product for i in store_items),
            address=address,
            choice=DeliveryChoice.for_store(deliveries, store_id),
            now=now,
        )
    freights = {store_id: quote.fee for store_id, quote in quotes.items()}
    amount = sum((i.line_amount for i in items), ZERO) + sum(freights.values(), ZERO)
    if method == PaymentOrder.Method.CREDIT and amount > credit_available(
        organisation=organisation
    ):
        raise _refuse(
            _("本单 ¥%(amount)s 超出可用账期额度 ¥%(left)s。")
            % {"amount": amount, "left": credit_available(organisation=organisation)},
            WholesaleErrorCode.CREDIT_EXCEEDED,
        )

    _reserve_stock(items)

    payment_order.amount = amount
    payment_order.save(update_fields=["amount"])
    snapshot = address_snapshot(address)
    orders = []
    for index, (store_id, store_items) in enumerate(sorted(by_store.items()), start=1):
        store = store_items[0].sku.product.store
        goods = sum((i.line_amount for i in store_items), ZERO)
        order = Order.objects.create(
            number=f"{payment_order.number}{index:02d}",
            payment_order=payment_order,
            buyer=buyer,
            store=store,
            address=snapshot,
            goods_amount=goods,
            freight_amount=freights[store_id],
            total_amount=goods + freights[store_id],
            delivery_method=quotes[store_id].method,
            pickup_point=quotes[store_id].pickup_point,
            delivery_date=quotes[store_id].delivery_date,
            delivery_slot=quotes[store_id].slot_text,
            is_cold_chain=quotes[store_id].is_cold_chain,
            commission_rate=store.commission_rate,
            is_wholesale=organisation is not None,
            buyer_organisation=organisation,
            buyer_note=(buyer_note or "").strip()[:200],
        )
        OrderLine.objects.bulk_create([_order_line(order, item) for item in store_items])
        orders.append(order)
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                order=order,
                from_status="",
                to_status=order.status,
                kind="placed",
                actor=buyer,
                reason=_("提交订单"),
                payload={
                    "payment_order": payment_order.number,
                    "method": method,
                    "delivery_method": order.delivery_method,
                    "pickup_point": order.pickup_point_id,
                    "delivery_date": order.delivery_date.isoformat()
                    if order.delivery_date
                    else None,
                    "delivery_slot": order.delivery_slot,
                },
            )
            for order in orders
        ]
    )
    CartLine.objects.filter(pk__in=[line.pk for line in lines]).delete()

    if method == PaymentOrder.Method.CREDIT:
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
    return payment_order


def _refuse_problems(items: list[CartItem]) -> None:
    problems = [item for item in items if item.problem]
    if not problems:
        return
    stock_only = all(
        not item.lot_blocked
        and item.sku.is_active
        and item.product.status == "on_sale"
        and item.product.store.is_selling
        and item.quantity >= item.min_quantity
        for item in problems
    )
    message = "；".join(
        _("「%(title)s %(spec)s」%(problem)s")
        % {"title": item.product.title, "spec": item.sku.spec, "problem": item.problem}
        for item in problems
    )
    raise ApplicationError(
        _("以下商品无法购买：%(lines)s。") % {"lines": message},
        code=OrderErrorCode.OUT_OF_STOCK if stock_only else OrderErrorCode.CART_HAS_PROBLEMS,
        fields={"lines": {str(item.sku.pk): item.problem for item in problems}},
        status_code=409,
    )


def _reserve_stock(items: list[CartItem]) -> None:
    """One guarded UPDATE per SKU, in id order; the database refuses to go below zero."""
    for item in sorted(items, key=lambda i: i.sku.pk):
        quantity = item.quantity
        updated = Sku.objects.filter(
            pk=item.sku.pk, is_active=True, stock__gte=F("reserved") + quantity
        ).update(reserved=F("reserved") + quantity)
        if updated != 1:
            raise ApplicationError(
                _("「%(title)s %(spec)s」库存不足，请减少数量后重试。")
                % {"title": item.product.title, "spec": item.sku.spec},
                code=OrderErrorCode.OUT_OF_STOCK,
                fields={"lines": {str(item.sku.pk): _("库存不足")}},
                status_code=409,
            )


def _order_line(order: Order, item: CartItem) -> OrderLine:
    amount: Decimal = item.line_amount
    return OrderLine(
        order=order,
        sku=item.sku,
        product=item.product,
        title=item.product.title[:120],
        spec=item.sku.spec[:60],
        image=item.image[:255],
        unit_price=item.unit_price,
        quantity=item.quantity,
        line_amount=amount,
        discount_amount=ZERO,
        paid_amount=amount,
    )
