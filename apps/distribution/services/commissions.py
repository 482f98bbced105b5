"""The commission lifecycle: created frozen at payment, released after receipt and the freeze
days, reduced pro rata or cancelled by refunds (clawed back from the balance once released).

Never paid twice: one record per order line per level (a unique constraint), created under the
order's row lock; release moves only frozen rows and books one balance entry per record under
a unique key; a refund recomputes each record from its line's refunded amount, so the same
refund delivered twice changes nothing the second time.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.aftersales.models import AfterSale
from apps.core.money import to_money
from apps.core.transitions import event_record, transition, transition_many
from apps.distribution.models import (
    BalanceEntry,
    CommissionOverride,
    CommissionRecord,
    DistributionConfig,
    Promoter,
)
from apps.distribution.rules import commission_after_refund, commission_amount, commission_base
from apps.distribution.selectors import active_upline, promoter_summary_forget
from apps.distribution.services.config import config_current
from apps.distribution.services.ledger import balance_entry_book
from apps.distribution.services.store_ledger import (
    store_commission_book,
    store_commissions_book_released,
)
from apps.orders.models import Order, OrderLine
from apps.settlement.models import LedgerEntry
from apps.stores.models import StoreType

logger = logging.getLogger(__name__)

Status = CommissionRecord.Status
RELEASE_BATCH = 1000


# --- at payment ---------------------------------------------------------------------------


def _uplines(order: Order, config: DistributionConfig) -> tuple[Promoter | None, Promoter | None]:
    """Who earns on this order: the snapshot if the order has one, else the buyer's uplines
    now (the buyer themself first when self-purchase rebates are on)."""
    if order.promoter_level1_id:
        by_user = Promoter.objects.select_related("grade").in_bulk(
            [order.promoter_level1_id, order.promoter_level2_id or 0], field_name="user_id"
        )
        return by_user.get(order.promoter_level1_id), by_user.get(order.promoter_level2_id)
    own = Promoter.objects.select_related("grade").filter(user_id=order.buyer_id).first()
    if config.is_self_purchase_rebate and own is not None and own.is_active:
        level1 = own
    else:
        level1 = active_upline(user_id=order.buyer_id)
    if level1 is None:
        return None, None
    level2 = active_upline(user_id=level1.user_id) if config.levels == 2 else None
    if level2 is not None and level2.user_id in (order.buyer_id, level1.user_id):
        level2 = None
    return level1, level2


def _overrides(lines: list[OrderLine]) -> dict[tuple[int, int | None], CommissionOverride]:
    product_ids = {line.product_id for line in lines if line.product_id}
    rows = CommissionOverride.objects.filter(product_id__in=product_ids)
    return {(row.product_id, row.sku_id): row for row in rows}


def _terms(
    line: OrderLine,
    level: int,
    promoter: Promoter,
    config: DistributionConfig,
    overrides: dict,
) -> tuple[Decimal | None, Decimal | None] | None:
    """(rate %, fixed per piece) for this line and level, or None when it earns nothing.
    Precedence: SKU fixed amount → product fixed amount → promoter grade rate → global rate."""
    if line.product is None or not line.product.is_brokerage_enabled:
        return None
    field = f"level{level}_amount"
    chain = [overrides.get((line.product_id, line.sku_id)), overrides.get((line.product_id, None))]
    for override in filter(None, chain):
        if override.is_disabled:
            return None
        if getattr(override, field) is not None:
            return None, getattr(override, field)
    grade = promoter.grade if promoter.grade and promoter.grade.is_active else None
    rate = getattr(grade or config, f"level{level}_rate")
    return rate, None


@transaction.atomic
def commissions_create_for_order(*, order: Order) -> list[CommissionRecord]:
    """At payment: snapshot the order's level-1/2 uplines and create one frozen record per line
    per level. Idempotent (a second call returns the records already there)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.paid_at is None:
        return []
    existing = list(CommissionRecord.objects.filter(order=order).order_by("pk"))
    if existing:
        return existing
    config = config_current()
    if not config.is_enabled or (order.is_wholesale and not config.is_wholesale_enabled):
        return []
    level1, level2 = _uplines(order, config)
    if level1 is None:
        return []
    if order.promoter_level1_id is None:
        order.promoter_level1_id = level1.user_id
        order.promoter_level2_id = level2.user_id if level2 else None
        Order.objects.filter(pk=order.pk, promoter_level1__isnull=True).update(
            promoter_level1=level1.user_id, promoter_level2=order.promoter_level2_id
        )
    lines = list(order.lines.select_related("product", "sku").order_by("pk"))
    overrides = _overrides(lines)
    created = []
    for line in lines:
        base = commission_base(
            kind=config.base,
            paid_amount=line.paid_amount,
            line_amount=line.line_amount,
            quantity=line.quantity,
            cost_price=line.sku.cost_price if line.sku else None,
        )
        for level, promoter in ((1, level1), (2, level2)):
            if promoter is None:
                continue
            terms = _terms(line, level, promoter, config, overrides)
            if terms is None:
                continue
            rate, fixed = terms
            amount = commission_amount(
                base=base, quantity=line.quantity, rate=rate, fixed_per_piece=fixed
            )
            if amount <= 0:
                continue
            record = CommissionRecord.objects.create(
                order=order,
                line=line,
                store_id=order.store_id,
                promoter=promoter,
                level=level,
                base=base,
                rate=rate,
                fixed_amount=fixed,
                amount=amount,
            )
            event_record(
                record,
                kind="created",
                from_status="",
                to_status=Status.FROZEN,
                reason=_("订单支付，佣金冻结中"),
                payload={
                    "order": order.number,
                    "base": str(base),
                    "rate": None if rate is None else str(rate),
                    "fixed_per_piece": None if fixed is None else str(fixed),
                },
            )
            created.append(record)
    promoter_summary_forget(promoter_ids=[r.promoter_id for r in created])
    return created


# --- refunds ------------------------------------------------------------------------------


@transaction.atomic
def commissions_apply_refund(*, order: Order, reference: str) -> list[CommissionRecord]:
    """After a refund: bring each of the order's records to what its line is still worth
    (pro rata to the paid amount kept; zero → cancelled). Money already released is clawed
    back with a negative balance entry (and given back to the store's settlement)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    records = list(
        CommissionRecord.objects.select_for_update(of=("self",))
        .filter(order=order)
        .exclude(status=Status.CANCELLED)
        .select_related("line", "promoter")
        .order_by("pk")
    )
    if not records:
        return []
    whole_order = order.status == Order.Status.CANCELLED or (
        order.refunded_amount >= order.total_amount
    )
    changed = []
    for record in records:
        line = record.line
        target = (
            Decimal("0.00")
            if whole_order
            else commission_after_refund(
                amount=record.amount,
                paid_amount=line.paid_amount,
                refunded_amount=line.refunded_amount,
            )
        )
        reduction = to_money(record.net_amount - target)
        if reduction <= 0:
            continue
        was_available = record.status == Status.AVAILABLE
        record.reversed_amount += reduction
        payload = {"reference": reference, "reduction": str(reduction), "order": order.number}
        if target == 0:
            transition(
                record,
                Status.CANCELLED,
                reason=_("订单退款，佣金取消"),
                payload=payload,
                fields=["reversed_amount"],
            )
        else:
            record.save(update_fields=["reversed_amount", "updated_at"])
            event_record(
                record, kind="reduced", reason=_("部分退款，佣金按比例扣减"), payload=payload
            )
        if was_available:
            balance_entry_book(
                promoter_id=record.promoter_id,
                type=BalanceEntry.Type.CLAWBACK,
                amount=-reduction,
                idempotency_key=f"clawback:{record.pk}:{reference}"[:255],
                commission=record,
                reason=_("订单 %(number)s 退款扣回") % {"number": order.number},
            )
            store_commission_book(record=record, amount=reduction, reference=reference)
        changed.append(record)
    promoter_summary_forget(promoter_ids=[r.promoter_id for r in changed])
    return changed


# --- release ------------------------------------------------------------------------------


def _open_aftersale():
    return AfterSale.objects.filter(order=OuterRef("pk"), status__in=AfterSale.OPEN_STATUSES)


def commissions_release_due(*, now: datetime | None = None, batch_size: int = RELEASE_BATCH) -> int:
    """Make available every frozen record whose order was received at least the freeze days
    ago and has no after-sale open; returns how many. Idempotent, in batches each committed on
    its own, set-based: the records move through `apps.core.transitions.transition_many` (one
    guarded UPDATE, one bulk INSERT of their event rows), then one statement books their
    balance and settlement entries, and one UPDATE per promoter raises its balance.

    It walks the orders that have frozen records once, in id order (keyset over the partial
    index of frozen records), so a run is linear in the frozen records. Orders are locked
    before their records, as the refund path does (order → lines → records), so a refund
    racing the job cannot deadlock it; orders a refund holds are skipped until the next run.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=config_current().freeze_days)
    frozen = CommissionRecord.objects.filter(status=Status.FROZEN)
    released, last_order_id = 0, 0
    while True:
        with transaction.atomic():
            chunk = list(
                frozen.filter(order_id__gt=last_order_id)
                .order_by("order_id")
                .values_list("order_id", flat=True)
                .distinct()[:batch_size]
            )
            if not chunk:
                return released
            last_order_id = chunk[-1]
            due_orders = list(
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk__in=chunk, status=Order.Status.COMPLETED, completed_at__lte=cutoff)
                .exclude(Exists(_open_aftersale()))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if not due_orders:
                continue
            # Their records are locked (in pk order) by the move itself.
            released += _release(frozen.filter(order_id__in=due_orders), now)


def _release(records: QuerySet[CommissionRecord], now: datetime) -> int:
    """Move the batch's frozen records to available through core's bulk transition (one
    guarded UPDATE, one INSERT of their event rows), then book what they bring: one balance
    entry per record, one settlement entry per record of a merchant store, one balance UPDATE
    per promoter in id order. Returns how many moved."""
    moved = transition_many(
        records,
        Status.AVAILABLE,
        from_statuses=[Status.FROZEN],
        kind="released",
        reason=_("冻结期满，佣金入账"),
        payload=lambda row: {"amount": str(row["amount"] - row["reversed_amount"])},
        returning=("amount", "reversed_amount"),
        at=now,
    )
    if not moved:
        return 0
    book = _release_book_sql if connection.vendor == "postgresql" else _release_book_orm
    by_promoter = book([row["pk"] for row in moved])
    for promoter_id in sorted(by_promoter):
        if by_promoter[promoter_id]:
            Promoter.objects.filter(pk=promoter_id).update(
                balance=F("balance") + by_promoter[promoter_id]
            )
    promoter_summary_forget(promoter_ids=list(by_promoter))
    return len(moved)


# The bookings of a released batch as one statement on PostgreSQL (INSERT … SELECT, no Python
# object per row: the job's figure over a million records needs it): the promoters' balance
# entries and the merchant stores' settlement entries, numbered in the records' order as the
# ORM path numbers them; it answers each promoter's total.
_RELEASE_BOOK_SQL = """
WITH rel AS (
    SELECT r.id, r.promoter_id, r.store_id, r.order_id, r.level,
           (r.amount - r.reversed_amount) AS net, o.number, p.code
      FROM distribution_commissionrecord r
      JOIN orders_order o ON o.id = r.order_id
      JOIN distribution_promoter p ON p.id = r.promoter_id
     WHERE r.id = ANY(%(ids)s)
), balances AS (
    INSERT INTO distribution_balanceentry
           (promoter_id, type, amount, commission_id, withdrawal_id, idempotency_key, reason,
            actor_id, created_at)
    SELECT promoter_id, %(balance_type)s, net, id, NULL, 'commission:' || id,
           replace(%(balance_reason)s, '{number}', number), NULL, %(created)s
      FROM rel
     WHERE net <> 0
     ORDER BY id
), ledger AS (
    INSERT INTO settlement_ledgerentry
           (store_id, type, amount, order_id, reference, reason, idempotency_key,
            statement_id, actor_id, created_at)
    SELECT rel.store_id, %(ledger_type)s, -net, order_id, number,
           replace(replace(%(ledger_reason)s, '{level}', level::text), '{promoter}', code),
           %(ledger_type)s || ':' || rel.id || ':release', NULL, NULL, %(created)s
      FROM rel JOIN stores_store s ON s.id = rel.store_id
     WHERE s.type <> %(self_operated)s AND net <> 0
     ORDER BY rel.id
)
SELECT promoter_id, sum(net) FROM rel GROUP BY promoter_id
"""


def _release_book_sql(ids: list[int]) -> dict[int, Decimal]:
    """`_release_book_orm` as one set-based statement (PostgreSQL): the same rows, keys and
    texts."""
    params = {
        "ids": ids,
        "created": timezone.now(),
        "balance_type": BalanceEntry.Type.COMMISSION,
        "balance_reason": _("订单 %(number)s 佣金") % {"number": "{number}"},
        "ledger_type": LedgerEntry.Type.DISTRIBUTION_COMMISSION,
        "ledger_reason": _("%(level)s级分销佣金 · %(promoter)s")
        % {"level": "{level}", "promoter": "{promoter}"},
        "self_operated": StoreType.SELF_OPERATED,
    }
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE_BOOK_SQL, params)
        return dict(cursor.fetchall())


def _release_book_orm(ids: list[int]) -> dict[int, Decimal]:
    records = list(
        CommissionRecord.objects.filter(pk__in=ids)
        .select_related("order", "promoter")
        .order_by("pk")
    )
    BalanceEntry.objects.bulk_create(
        BalanceEntry(
            promoter_id=record.promoter_id,
            type=BalanceEntry.Type.COMMISSION,
            amount=record.net_amount,
            commission=record,
            idempotency_key=f"commission:{record.pk}",
            reason=_("订单 %(number)s 佣金") % {"number": record.order.number},
        )
        for record in records
        if record.net_amount
    )
    store_commissions_book_released(records=records)
    by_promoter: dict[int, Decimal] = defaultdict(Decimal)
    for record in records:
        by_promoter[record.promoter_id] += record.net_amount
    return by_promoter
