"""Order state changes, one service per verb (docs/orders-design.md).

Each locks its rows (payment order → orders by id → SKUs by id, the same order everywhere, so
no two services deadlock), moves it with apps.core.transitions.transition (Order.TRANSITIONS,
update_fields, an OrderEvent) and sends its signal inside the transaction.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.catalog.models import Sku
from apps.catalog.services.products import products_record_sales
from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.core.transitions import event_record, transition, transition_check
from apps.orders.errors import OrderErrorCode
from apps.orders.models import ZERO, Order, OrderLine, PaymentOrder
from apps.orders.services.notices import payment_order_notify_paid
from apps.orders.signals import order_cancelled, order_completed, order_paid, order_refunded
from apps.promotions.services import discounts_release
from apps.stores.selectors import store_ids_for_user, user_can_manage_all_stores
from apps.traceability.models import Lot
from apps.traceability.selectors import lot_pick_for_sku
from apps.traceability.services.lots import (
    lot_allocation_check,
    lot_quantity_for_pieces,
    lot_shipment_record,
)
from apps.wholesale.services import credit_release

logger = logging.getLogger(__name__)

EXPIRED_BATCH = 200


# --- helpers ------------------------------------------------------------------------------


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("store").get(pk=order.pk)


def _is_buyer_or_staff(order: Order, actor) -> bool:
    return actor is None or actor.pk == order.buyer_id or user_can_manage_all_stores(actor)


def _is_merchant_or_staff(order: Order, actor) -> bool:
    return (
        actor is None
        or user_can_manage_all_stores(actor)
        or (order.store_id in store_ids_for_user(actor))
    )


def _not_allowed() -> ApplicationError:
    return ApplicationError(
        _("您无权操作这个订单。"), code=OrderErrorCode.NOT_ALLOWED, status_code=403
    )


def _release_reservations(lines: Iterable[tuple[int | None, int]]) -> None:
    """Give back reserved stock; SKU rows are touched in id order."""
    for sku_id, quantity in sorted((s, q) for s, q in lines if s and q > 0):
        released = Sku.objects.filter(pk=sku_id, reserved__gte=quantity).update(
            reserved=F("reserved") - quantity
        )
        if not released:
            # Never expected: someone changed `reserved` by hand. Stock must not go negative,
            # so the release is skipped and left for a person to look at.
            logger.error("sku %s: cannot release %s reserved pieces", sku_id, quantity)


# --- paying -------------------------------------------------------------------------------


@transaction.atomic
def payment_order_mark_paid(
    *,
    payment_order: PaymentOrder,
    paid_at: datetime,
    actor=None,
    reference: str = "",
    reason: str = "",
) -> PaymentOrder:
    """All pending orders of the payment order become paid.

    Idempotent: an already paid payment order is returned unchanged. A cancelled one (paid
    after its timeout cancelled it) raises code payment_order_cancelled, so the payments app
    records the money and refunds it.
    """
    payment_order = PaymentOrder.objects.select_for_update().get(pk=payment_order.pk)
    if payment_order.status == PaymentOrder.Status.PAID:
        return payment_order
    if payment_order.status == PaymentOrder.Status.CANCELLED:
        raise ApplicationError(
            _("支付单%(number)s已取消，款项将原路退回。") % {"number": payment_order.number},
            code=OrderErrorCode.PAYMENT_ORDER_CANCELLED,
            status_code=409,
        )
    payment_order.status = PaymentOrder.Status.PAID
    payment_order.paid_at = paid_at
    payment_order.save(update_fields=["status", "paid_at", "updated_at"])
    orders = list(
        Order.objects.select_for_update()
        .filter(payment_order=payment_order, status=Order.Status.PENDING_PAYMENT)
        .order_by("pk")
    )
    for order in orders:
        order.paid_at = paid_at
        transition(
            order,
            Order.Status.PAID,
            actor=actor,
            reason=reason or _("在线支付"),
            kind="paid",
            payload={"payment_order": payment_order.number, "reference": reference},
            fields=["paid_at"],
        )
        order_paid.send(sender=Order, order=order)
    payment_order_notify_paid(payment_order=payment_order, orders=orders)
    sold: dict[int, int] = defaultdict(int)
    paid_lines = OrderLine.objects.filter(order__in=orders, product__isnull=False)
    for product_id, quantity in paid_lines.values_list("product_id", "quantity"):
        sold[product_id] += quantity
    products_record_sales(quantities=sold)
    return payment_order


# --- cancelling ---------------------------------------------------------------------------


def _payment_order_cancel(payment_order: PaymentOrder, *, actor, reason: str, kind: str) -> int:
    """Cancel a locked pending payment order and all its orders; release their stock."""
    now = timezone.now()
    payment_order.status = PaymentOrder.Status.CANCELLED
    payment_order.cancelled_at = now
    payment_order.save(update_fields=["status", "cancelled_at", "updated_at"])
    orders = list(
        Order.objects.select_for_update()
        .filter(payment_order=payment_order, status=Order.Status.PENDING_PAYMENT)
        .order_by("pk")
    )
    lines = OrderLine.objects.filter(order__in=orders).values_list("sku_id", "quantity")
    _release_reservations(list(lines))
    # Unpaid and cancelled: its coupons and limited-time pieces go back (docs/promotions.md).
    discounts_release(reference=payment_order.number)
    for order in orders:
        order.cancelled_at = now
        transition(
            order,
            Order.Status.CANCELLED,
            actor=actor,
            reason=reason,
            kind=kind,
            fields=["cancelled_at"],
        )
        if order.buyer_organisation_id and payment_order.method == PaymentOrder.Method.CREDIT:
            credit_release(
                organisation=order.buyer_organisation, reference=order.number, actor=actor
            )
        order_cancelled.send(sender=Order, order=order)
    return len(orders)


@transaction.atomic
def order_cancel(*, order: Order, actor, reason: str = "") -> Order:
    """The shopper cancels an unpaid order.

    Orders placed in one checkout are paid together, so cancelling one cancels its payment
    order and every order in it (as 京东 does before payment); the page says so.
    """
    if not _is_buyer_or_staff(order, actor):
        raise _not_allowed()
    payment_order = PaymentOrder.objects.select_for_update().get(pk=order.payment_order_id)
    order.refresh_from_db(fields=["status"])
    if (
        payment_order.status != PaymentOrder.Status.PENDING
        or order.status != Order.Status.PENDING_PAYMENT
    ):
        raise ApplicationError(
            _("只有待付款的订单可以取消。"), code=OrderErrorCode.INVALID_TRANSITION, status_code=409
        )
    _payment_order_cancel(
        payment_order, actor=actor, reason=reason or _("买家取消订单"), kind="cancelled"
    )
    order.refresh_from_db()
    return order


def payment_orders_cancel_expired(*, now: datetime | None = None) -> int:
    """Cancel every payment order left unpaid past its deadline; returns how many.

    Each one commits on its own, so one bad row cannot hold back the rest; a payment that
    arrives at the same moment waits for the row lock and then sees it cancelled (or wins and
    this skips it).
    """
    now = now or timezone.now()
    cancelled = 0
    seen: set[int] = set()
    while True:
        ids = list(
            PaymentOrder.objects.filter(status=PaymentOrder.Status.PENDING, expires_at__lte=now)
            .exclude(pk__in=seen)
            .order_by("expires_at", "pk")
            .values_list("pk", flat=True)[:EXPIRED_BATCH]
        )
        if not ids:
            return cancelled
        for pk in ids:
            seen.add(pk)
            try:
                with transaction.atomic():
                    payment_order = (
                        PaymentOrder.objects.select_for_update()
                        .filter(pk=pk, status=PaymentOrder.Status.PENDING, expires_at__lte=now)
                        .first()
                    )
                    if payment_order is None:
                        continue
                    _payment_order_cancel(
                        payment_order,
                        actor=None,
                        reason=_("超时未支付，系统自动取消"),
                        kind="timeout",
                    )
                    cancelled += 1
            except Exception:
                logger.exception("could not cancel expired payment order %s", pk)


# --- fulfilment ---------------------------------------------------------------------------


def _lots_allocate(
    order: Order, to_ship: list[tuple[OrderLine, int]], chosen: dict[int, int] | None
) -> list[tuple[Lot, Decimal]]:
    """Set each shipping line's lot (not saved): the merchant's choice (validated) or, for a
    line without one, the first-expiring active lot of its SKU. Lines of SKUs without lots
    stay without. Each allocation is in the lot's unit (pieces × the SKU's weight for a lot
    kept by mass); a lot whose unit the SKU cannot be converted to refuses the shipment."""
    chosen = {int(line_id): int(lot_id) for line_id, lot_id in (chosen or {}).items()}
    by_line = {line.pk: line for line, _quantity in to_ship}
    if set(chosen) - set(by_line):
        raise ApplicationError(
            _("所选批次对应的订单商品无效。"),
            code=OrderErrorCode.INVALID_TRANSITION,
            fields={"lots": _("订单商品无效。")},
        )
    lots = Lot.objects.in_bulk(set(chosen.values()))
    allocations: list[tuple[Lot, Decimal]] = []
    for line, quantity in to_ship:
        if quantity <= 0 or line.sku is None:
            continue
        if line.pk in chosen:
            lot = lots.get(chosen[line.pk])
            if lot is None or lot.store_id != order.store_id:
                raise ApplicationError(
                    _("「%(title)s」所选批次不属于本店铺。") % {"title": line.title},
                    code=OrderErrorCode.NOT_ALLOWED,
                    fields={"lots": _("批次无效。")},
                )
            lot_allocation_check(lot=lot, sku=line.sku)
        else:
            lot = line.lot or lot_pick_for_sku(sku=line.sku)
        if lot is None:
            continue
        line.lot = lot  # saved with the shipped quantity by order_lines_ship
        allocations.append((lot, lot_quantity_for_pieces(lot=lot, sku=line.sku, pieces=quantity)))
    return allocations


def _ship_quantities(
    lines: dict[int, OrderLine], quantities: dict[int, int] | None
) -> list[tuple[OrderLine, int]]:
    """Validate what ships now: each quantity > 0 and at most what is left of its line
    (bought − refunded − shipped). None means everything left. Sorted by SKU id (lock order)."""
    left = {
        pk: max(0, ln.quantity - ln.refunded_quantity - ln.shipped_quantity)
        for pk, ln in lines.items()
    }
    if quantities is None:
        wanted = {pk: quantity for pk, quantity in left.items() if quantity > 0}
    else:
        wanted, errors = {}, {}
        for raw_id, raw_quantity in quantities.items():
            try:
                line_id, quantity = int(raw_id), int(raw_quantity)
            except (TypeError, ValueError):
                errors[str(raw_id)] = _("数量无效。")
                continue
            if line_id not in lines:
                errors[str(raw_id)] = _("不是本订单的商品。")
            elif quantity <= 0:
                errors[str(line_id)] = _("发货数量须大于 0。")
            elif quantity > left[line_id]:
                errors[str(line_id)] = _("「%(title)s」最多还可发 %(left)s 件。") % {
                    "title": lines[line_id].title,
                    "left": left[line_id],
                }
            else:
                wanted[line_id] = quantity
        if errors:
            raise ApplicationError(
                next(iter(errors.values())),
                code=OrderErrorCode.INVALID_SHIP_QUANTITY,
                fields={"lines": errors},
            )
    if not wanted:
        raise ApplicationError(
            _("订单没有待发货的商品。"),
            code=OrderErrorCode.INVALID_SHIP_QUANTITY,
            fields={"lines": _("没有待发货的商品。")},
            status_code=409,
        )
    return sorted(
        ((lines[pk], quantity) for pk, quantity in wanted.items()),
        key=lambda pair: (pair[0].sku_id or 0, pair[0].pk),
    )


def _lines_fully_shipped(lines: Iterable[OrderLine]) -> bool:
    return all(ln.shipped_quantity >= ln.quantity - ln.refunded_quantity for ln in lines)


@transaction.atomic
def order_lines_ship(
    *,
    order: Order,
    quantities: dict[int, int] | None,
    actor,
    lots: dict[int, int] | None = None,
    reference: str = "",
    payload: dict | None = None,
) -> Order:
    """The merchant puts some of a paid order's lines into a parcel (logistics calls this).

    `quantities` maps order-line id → pieces shipped now (None: everything still to ship).
    Stock and reservation both go down by what ships; `lots` (order-line id → lot id)
    overrides the lot a line is filled from, other lines get the first-expiring active lot of
    their SKU, and the lots used are recorded in the store's trace chain. The order stays paid
    until every line is fully shipped, then becomes shipped; `payload` (carrier_name,
    tracking_number of the parcel) is logged and the last parcel's number shown on the order.
    """
    payload = dict(payload or {})
    order = _lock_order(order)
    if not _is_merchant_or_staff(order, actor):
        raise _not_allowed()
    transition_check(order, Order.Status.SHIPPED)
    lines = {
        line.pk: line
        for line in order.lines.select_for_update(of=("self",))
        .select_related("sku", "lot")
        .order_by("pk")
    }
    to_ship = _ship_quantities(lines, quantities)
    allocations = _lots_allocate(order, to_ship, lots)
    for line, quantity in to_ship:
        if line.sku_id is not None:
            updated = Sku.objects.filter(
                pk=line.sku_id, reserved__gte=quantity, stock__gte=quantity
            ).update(stock=F("stock") - quantity, reserved=F("reserved") - quantity)
            if updated != 1:
                logger.error(
                    "order %s: reservation of sku %s missing at shipping",
                    order.number,
                    line.sku_id,
                )
                raise ApplicationError(
                    _("「%(title)s」库存记录异常，请联系平台处理。") % {"title": line.title},
                    code=OrderErrorCode.OUT_OF_STOCK,
                    status_code=409,
                )
        line.shipped_quantity += quantity
        line.save(update_fields=["shipped_quantity", "lot"])
    shipped_lines = {str(line.pk): quantity for line, quantity in to_ship}
    carrier_name = str(payload.get("carrier_name", ""))[:40]
    tracking_number = str(payload.get("tracking_number", ""))[:40]
    event_record(
        order,
        kind="shipment",
        actor=actor,
        reason=_("商家发货：%(carrier)s %(number)s")
        % {"carrier": carrier_name, "number": tracking_number},
        payload={**payload, "reference": reference, "lines": shipped_lines},
    )
    if _lines_fully_shipped(lines.values()):
        order.carrier_name = carrier_name
        order.tracking_number = tracking_number
        order.shipped_at = timezone.now()
        transition(
            order,
            Order.Status.SHIPPED,
            actor=actor,
            reason=_("全部商品已发货"),
            kind="shipped",
            payload={"reference": reference, **payload},
            fields=["carrier_name", "tracking_number", "shipped_at"],
        )
    if allocations:
        lot_shipment_record(
            store=order.store,
            allocations=allocations,
            actor=actor,
            reference=order.number,
            extra={"carrier": carrier_name, "tracking_number": tracking_number},
        )
    return order


@transaction.atomic
def order_mark_delivered(*, order: Order, actor=None, at: datetime | None = None) -> Order:
    """Shipped → delivered; `at` is when the goods arrived (logistics passes its last parcel's
    scan time, from which auto-receipt counts), now by default. A carrier clock running ahead
    cannot date it in the future."""
    order = _lock_order(order)
    if not _is_merchant_or_staff(order, actor):
        raise _not_allowed()
    now = timezone.now()
    order.delivered_at = min(at, now) if at is not None else now
    transition(
        order,
        Order.Status.DELIVERED,
        actor=actor,
        reason=_("已送达"),
        kind="delivered",
        fields=["delivered_at"],
    )
    return order


@transaction.atomic
def order_confirm_receipt(*, order: Order, actor=None) -> Order:
    """The buyer confirms receipt (actor None: auto-receipt) → completed, order_completed sent."""
    order = _lock_order(order)
    if not _is_buyer_or_staff(order, actor):
        raise _not_allowed()
    order.completed_at = timezone.now()
    if order.status == Order.Status.SHIPPED and order.delivered_at is None:
        order.delivered_at = order.completed_at
    transition(
        order,
        Order.Status.COMPLETED,
        actor=actor,
        reason=_("确认收货") if actor is not None else _("自动确认收货"),
        kind="completed",
        fields=["completed_at", "delivered_at"],
    )
    order_completed.send(sender=Order, order=order)
    return order


# --- refunds ------------------------------------------------------------------------------


@transaction.atomic
def order_record_refund(
    *,
    order: Order,
    amount: Decimal,
    lines: dict[int, int],
    restock: bool,
    actor=None,
    reference: str,
) -> Order:
    """Record money that went back to the buyer (after the provider confirmed it).

    `lines` maps order-line id → quantity refunded. Stock: a line not yet shipped gives its
    reservation back whatever `restock` says (the goods never left); after shipping, `restock`
    (a return received) adds the quantity back to stock. An order refunded in full before
    shipping closes (→ cancelled). Idempotent per `reference`.
    """
    if not reference:
        raise ApplicationError(_("缺少退款单号。"), code=OrderErrorCode.INVALID_REFUND)
    amount = to_money(amount)
    order = _lock_order(order)
    if order.events.filter(kind="refund", payload__reference=reference).exists():
        return order
    if order.status in (Order.Status.PENDING_PAYMENT, Order.Status.CANCELLED) and not (
        order.paid_at
    ):
        raise ApplicationError(_("订单未支付，无款可退。"), code=OrderErrorCode.INVALID_REFUND)
    if amount <= ZERO or order.refunded_amount + amount > order.total_amount:
        raise ApplicationError(
            _("退款金额须大于 0 且累计不超过实付 ¥%(total)s。") % {"total": order.total_amount},
            code=OrderErrorCode.INVALID_REFUND,
        )
    by_id = {line.pk: line for line in order.lines.select_for_update().order_by("pk")}
    wanted: list[tuple[OrderLine, int]] = []
    for raw_id, raw_quantity in (lines or {}).items():
        line = by_id.get(int(raw_id))
        quantity = int(raw_quantity)
        if line is None or quantity < 0 or line.refunded_quantity + quantity > line.quantity:
            raise ApplicationError(_("退款商品或数量无效。"), code=OrderErrorCode.INVALID_REFUND)
        wanted.append((line, quantity))
    # Split each refunded quantity into pieces never shipped (still reserved: the reservation
    # goes back) and pieces already shipped (taken from stock at shipping: back only when
    # `restock`, a return received). Unshipped pieces are refunded first.
    unshipped: list[tuple[int | None, int]] = []
    returned: list[tuple[int | None, int]] = []
    for line, quantity in wanted:
        left = max(0, line.quantity - line.refunded_quantity - line.shipped_quantity)
        unshipped.append((line.sku_id, min(quantity, left)))
        returned.append((line.sku_id, quantity - min(quantity, left)))
    _spread_refund(amount, wanted)
    _release_reservations(unshipped)
    if restock:
        for sku_id, quantity in sorted((s, q) for s, q in returned if s and q > 0):
            Sku.objects.filter(pk=sku_id).update(stock=F("stock") + quantity)
    order.refunded_amount += amount
    order.save(update_fields=["refunded_amount", "updated_at"])
    event_record(
        order,
        kind="refund",
        actor=actor,
        reason=_("退款 ¥%(amount)s") % {"amount": amount},
        payload={
            "reference": reference,
            "amount": str(amount),
            "lines": {str(line.pk): q for line, q in wanted},
            "restock": bool(restock),
        },
    )
    nothing_shipped = not any(line.shipped_quantity for line in by_id.values())
    if (
        order.status == Order.Status.PAID
        and not nothing_shipped
        and _lines_fully_shipped(by_id.values())
    ):
        # Partly shipped, and the rest was refunded: the order is now completely shipped.
        order.shipped_at = timezone.now()
        transition(
            order,
            Order.Status.SHIPPED,
            actor=actor,
            reason=_("未发货商品已退款，其余已全部发货"),
            kind="shipped",
            payload={"reference": reference},
            fields=["shipped_at"],
        )
    elif (
        order.status == Order.Status.PAID
        and nothing_shipped
        and order.refunded_amount == order.total_amount
    ):
        order.cancelled_at = timezone.now()
        transition(
            order,
            Order.Status.CANCELLED,
            actor=actor,
            reason=_("发货前全额退款，交易关闭"),
            kind="closed",
            fields=["cancelled_at"],
        )
    order_refunded.send(sender=Order, order=order, amount=amount, reference=reference)
    return order


def _spread_refund(amount: Decimal, wanted: list[tuple[OrderLine, int]]) -> None:
    """Book the refund on its lines: each line at most its paid share for those pieces; any
    rest (e.g. freight) stays on the order only. Shares are cut to the fen, rest on the last."""
    shares = []
    for line, quantity in wanted:
        if line.refunded_quantity + quantity == line.quantity:
            share = line.paid_amount - line.refunded_amount
        else:
            share = to_money(line.paid_amount * quantity / line.quantity)
        shares.append(min(share, line.paid_amount - line.refunded_amount))
    total_share = sum(shares, ZERO)
    if total_share > amount and total_share > 0:
        # A partial refund of the price: spread it in proportion, the remainder on the last.
        scaled = [to_money(amount * share / total_share) for share in shares]
        if scaled:
            scaled[-1] = amount - sum(scaled[:-1], ZERO)
        shares = scaled
    for (line, quantity), share in zip(wanted, shares, strict=True):
        line.refunded_quantity += quantity
        line.refunded_amount += share
        line.save(update_fields=["refunded_quantity", "refunded_amount"])
