"""Booking order money into the store ledger (called by the receivers of orders' signals).

The rule, the same whatever order the facts arrive in:

* Completion books the order's full paid amount (`order_income`, Order.total_amount) and the
  platform commission on it (`platform_commission`, −paid × Order.commission_rate, the rate
  snapshotted when the order was placed).
* Every refund is one `refund` entry (−amount) and, when it lowers the commission, one
  `refund_commission_reversal` entry giving that commission back.
* A refund made before the order completed books nothing then: the order may never complete
  (a full refund before shipping closes it), and the store must not carry a refund for money
  it was never credited. Completion books such refunds right after the income, one entry per
  refund, with the same keys a later refund would use. A refund after completion is booked
  when it happens; once the statement holding the income was paid out it simply lands in the
  next period's statement (only unsettled entries are collected).
* Platform-funded discounts (platform coupons and promotions; each order line keeps its
  discount shares with their funder, `OrderLineDiscount`) are owed to the store by the
  platform: completion books them as `platform_subsidy`, and after each refund the order's
  subsidy entries sum to exactly Σ per line to_money(platform share × what is left of the
  line's paid amount ÷ its paid amount): refunding a discounted line takes its subsidy back.
  A platform free-shipping coupon's waiver (`Order.freight_discount_amount`, funder
  "platform") is owed in full too, and taken back only by a full refund of the order.
  Store-funded discounts simply lower the income (the buyer paid that much less).
* Commission is rounded once per state of the order, never per refund: after each refund the
  order's commission entries sum to exactly −to_money(net paid × rate), where net paid is the
  paid amount minus all refunds so far. So income − commission − refunds + reversals is, to the
  fen, net paid − to_money(net paid × rate) for any sequence of partial refunds.

Each entry's idempotency key is its type plus its source ("order_income:<order number>",
"refund:<order number>:<refund reference>"); a signal delivered twice books once.
"""

import hashlib
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.orders.models import Order, OrderEvent, OrderLine
from apps.settlement.errors import SettlementErrorCode
from apps.settlement.models import ZERO, LedgerEntry, SettlementStatement

logger = logging.getLogger(__name__)

Type = LedgerEntry.Type
MAX_KEY_PART = 150
# Refunds the orders app recorded without an itemised event (should not happen): booked under
# this reference so the order still nets out to the fen.
UNITEMISED_REFUND_REFERENCE = "unitemised-before-completion"


def _key_part(text: str) -> str:
    text = str(text)
    if len(text) <= MAX_KEY_PART:
        return text
    return "sha256-" + hashlib.sha256(text.encode()).hexdigest()


def ledger_entry_book(
    *,
    store_id: int,
    type: str,
    amount: Decimal,
    idempotency_key: str,
    order: Order | None = None,
    reference: str = "",
    reason: str = "",
    actor=None,
    statement: SettlementStatement | None = None,
) -> tuple[LedgerEntry, bool]:
    """Append one entry unless one with this key exists; returns (entry, created).

    A concurrent writer of the same key waits on the unique index and then finds the winner's
    row; the savepoint keeps the caller's transaction usable after the IntegrityError.
    """
    existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        _check_same_fact(existing, store_id=store_id, type=type, amount=amount)
        return existing, False
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                store_id=store_id,
                type=type,
                amount=to_money(amount),
                idempotency_key=idempotency_key,
                order=order,
                reference=reference[:150],
                reason=reason[:200],
                actor=actor if getattr(actor, "pk", None) else None,
                statement=statement,
            )
    except IntegrityError:
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        _check_same_fact(existing, store_id=store_id, type=type, amount=amount)
        return existing, False
    return entry, True


def _check_same_fact(entry: LedgerEntry, *, store_id: int, type: str, amount: Decimal) -> None:
    """A key reused for a different store, type or amount is a bug upstream, not a replay."""
    if (entry.store_id, entry.type) != (store_id, type) or (
        type != Type.REFUND_COMMISSION_REVERSAL and entry.amount != to_money(amount)
    ):
        logger.error("ledger key %s reused for a different fact", entry.idempotency_key)
        raise ApplicationError(
            _("结算流水键 %(key)s 已用于另一笔记账。") % {"key": entry.idempotency_key},
            code=SettlementErrorCode.KEY_CONFLICT,
            status_code=409,
        )


def _locked_order(order: Order) -> Order:
    # Orders' services already hold this lock when they send the signal; taking it here too
    # keeps a direct call (or a re-delivery from elsewhere) serialised with refunds.
    return Order.objects.select_for_update().get(pk=order.pk)


def _order_sums(order: Order) -> dict[str, Decimal]:
    rows = (
        LedgerEntry.objects.filter(order=order)
        .values("type")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    sums = dict.fromkeys(Type.values, ZERO)
    for row in rows:
        sums[row["type"]] = to_money(row["total"])  # SQLite sums come back unquantized
    return sums


def _income_key(order: Order) -> str:
    return f"{Type.ORDER_INCOME}:{order.number}"


def _refund_key(order: Order, reference: str) -> str:
    return f"{Type.REFUND}:{order.number}:{_key_part(reference)}"


@transaction.atomic
def settlement_book_order_completed(*, order: Order) -> list[LedgerEntry]:
    """Book a completed order: income, commission, then any refunds made before completion.

    Idempotent: booking a completed order again books nothing new. Returns the entries created.
    """
    order = _locked_order(order)
    if order.status != Order.Status.COMPLETED:
        raise ApplicationError(
            _("订单 %(number)s 尚未完成，不能结算。") % {"number": order.number},
            code=SettlementErrorCode.ORDER_NOT_COMPLETED,
            status_code=409,
        )
    paid = to_money(order.total_amount)
    if paid <= ZERO:
        return []  # nothing was paid, so nothing is owed and nothing can be refunded
    created = []
    income, is_new = ledger_entry_book(
        store_id=order.store_id,
        type=Type.ORDER_INCOME,
        amount=paid,
        idempotency_key=_income_key(order),
        order=order,
        reference=order.number,
    )
    if is_new:
        created.append(income)
    commission = to_money(paid * order.commission_rate)
    if commission:
        entry, is_new = ledger_entry_book(
            store_id=order.store_id,
            type=Type.PLATFORM_COMMISSION,
            amount=-commission,
            idempotency_key=f"{Type.PLATFORM_COMMISSION}:{order.number}",
            order=order,
            reference=order.number,
            reason=_("佣金率 %(rate)s") % {"rate": order.commission_rate},
        )
        if is_new:
            created.append(entry)
    created.extend(_book_subsidy(order, reference=""))
    for reference, amount in _refunds_recorded_by_orders(order):
        created.extend(_book_refund(order, amount=amount, reference=reference))
    created.extend(_book_unitemised_refunds(order))
    return created


def platform_subsidy_due(order: Order) -> Decimal:
    """The platform's share of `order`'s discounts still owed, after its refunds so far. A
    platform free-shipping coupon's freight waiver is owed whole (the parcel was paid for)
    until the order is refunded in full, which takes it back."""
    due = ZERO
    if order.freight_discount_platform_funded and order.freight_discount_amount:
        fully_refunded = ZERO < order.total_amount <= order.refunded_amount
        if not fully_refunded:
            due += order.freight_discount_amount
    lines = OrderLine.objects.filter(order=order).prefetch_related("discounts")
    for line in lines:
        share = sum((d.amount for d in line.discounts.all() if d.is_platform_funded), ZERO)
        if not share:
            continue
        if line.paid_amount > ZERO:
            left = (line.paid_amount - line.refunded_amount) / line.paid_amount
        else:
            left = Decimal(line.quantity - line.refunded_quantity) / line.quantity
        due += to_money(share * left)
    return due


def _book_subsidy(order: Order, *, reference: str) -> list[LedgerEntry]:
    booked = _order_sums(order)[Type.PLATFORM_SUBSIDY]
    change = platform_subsidy_due(order) - booked
    if not change:
        return []
    key = f"{Type.PLATFORM_SUBSIDY}:{order.number}"
    if reference:
        key = f"{key}:{_key_part(reference)}"
    entry, is_new = ledger_entry_book(
        store_id=order.store_id,
        type=Type.PLATFORM_SUBSIDY,
        amount=change,
        idempotency_key=key,
        order=order,
        reference=reference or order.number,
        reason=_("平台出资的优惠") if change > 0 else _("退款收回平台优惠补贴"),
    )
    return [entry] if is_new else []


def _refunds_recorded_by_orders(order: Order) -> list[tuple[str, Decimal]]:
    """The order's refunds so far, in the order they happened, from orders' refund events."""
    events = OrderEvent.objects.filter(order=order, kind="refund").order_by("created_at", "id")
    refunds = []
    for payload in events.values_list("payload", flat=True):
        reference, amount = payload.get("reference"), payload.get("amount")
        if reference and amount:
            refunds.append((str(reference), to_money(amount)))
    return refunds


def _book_unitemised_refunds(order: Order) -> list[LedgerEntry]:
    booked = -_order_sums(order)[Type.REFUND]
    missing = to_money(order.refunded_amount) - booked
    if missing <= ZERO:
        return []
    logger.error(
        "order %s: refunded %s but only %s itemised; booking the rest",
        order.number,
        order.refunded_amount,
        booked,
    )
    return _book_refund(order, amount=missing, reference=UNITEMISED_REFUND_REFERENCE)


@transaction.atomic
def settlement_book_refund(*, order: Order, amount: Decimal, reference: str) -> list[LedgerEntry]:
    """Book money given back to the buyer of `order` (see the module docstring for the rule).

    Before completion this books nothing (completion will); after it, a `refund` entry and the
    commission given back. Idempotent per (order, reference). Returns the entries created.
    """
    amount = to_money(amount)
    if amount <= ZERO:
        raise ApplicationError(_("退款金额必须大于 0。"), code=SettlementErrorCode.INVALID_AMOUNT)
    reference = (reference or "").strip()
    if not reference:
        raise ApplicationError(_("缺少退款单号。"), code=SettlementErrorCode.REFERENCE_REQUIRED)
    order = _locked_order(order)
    has_income = LedgerEntry.objects.filter(idempotency_key=_income_key(order)).exists()
    if not has_income:
        if order.status != Order.Status.COMPLETED:
            return []  # booked by settlement_book_order_completed, if the order ever completes
        # Completed but never booked (e.g. completed before this app was installed).
        created = settlement_book_order_completed(order=order)
        return created + _book_refund(order, amount=amount, reference=reference)
    return _book_refund(order, amount=amount, reference=reference)


def _book_refund(order: Order, *, amount: Decimal, reference: str) -> list[LedgerEntry]:
    key = _refund_key(order, reference)
    existing = LedgerEntry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        _check_same_fact(existing, store_id=order.store_id, type=Type.REFUND, amount=-amount)
        return []
    sums = _order_sums(order)
    net_paid = sums[Type.ORDER_INCOME] + sums[Type.REFUND] - amount
    if net_paid < ZERO:
        raise ApplicationError(
            _("订单 %(number)s 累计退款超过了实付金额。") % {"number": order.number},
            code=SettlementErrorCode.REFUND_EXCEEDS_INCOME,
            status_code=409,
        )
    refund, is_new = ledger_entry_book(
        store_id=order.store_id,
        type=Type.REFUND,
        amount=-amount,
        idempotency_key=key,
        order=order,
        reference=reference,
    )
    if not is_new:
        return []
    created = [refund]
    commission_booked = -(sums[Type.PLATFORM_COMMISSION] + sums[Type.REFUND_COMMISSION_REVERSAL])
    reversal = commission_booked - to_money(net_paid * order.commission_rate)
    if reversal > ZERO:
        entry, is_new = ledger_entry_book(
            store_id=order.store_id,
            type=Type.REFUND_COMMISSION_REVERSAL,
            amount=reversal,
            idempotency_key=f"{Type.REFUND_COMMISSION_REVERSAL}:{order.number}:"
            f"{_key_part(reference)}",
            order=order,
            reference=reference,
        )
        if is_new:
            created.append(entry)
    created.extend(_book_subsidy(order, reference=reference))
    return created
