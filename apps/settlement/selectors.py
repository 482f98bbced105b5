"""Reads of the settlement ledger and statements, always scoped through stores.selectors.

`store_balance` is what the platform owes a store right now (the sum of its ledger), and
`statement_verify` recomputes a statement from the entries it holds; both are exact to the fen.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from apps.accounts.models import User
from apps.core.money import to_money
from apps.settlement.models import ZERO, LedgerEntry, SettlementStatement
from apps.stores.models import Store
from apps.stores.selectors import scope_to_user_stores, stores_for_user

Type = LedgerEntry.Type
# Statement figure → the ledger type it sums (payouts settle a statement; they are not in it).
FIGURE_TYPES: dict[str, str] = {
    "income": Type.ORDER_INCOME,
    "commission": Type.PLATFORM_COMMISSION,
    "refunds": Type.REFUND,
    "commission_reversals": Type.REFUND_COMMISSION_REVERSAL,
    "adjustments": Type.ADJUSTMENT,
    "distribution_commission": Type.DISTRIBUTION_COMMISSION,
    "subsidies": Type.PLATFORM_SUBSIDY,
}
FIGURES = [*FIGURE_TYPES, "net_payable", "entry_count"]
CONFIRM_PERMISSION = "settlement.confirm_settlementstatement"
PAY_OUT_PERMISSION = "settlement.pay_out_settlementstatement"
ADJUST_PERMISSION = "settlement.adjust_ledgerentry"


# --- who may do what --------------------------------------------------------------------------


def user_can_confirm_statements(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(CONFIRM_PERMISSION))


def user_can_pay_out_statements(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PAY_OUT_PERMISSION))


def user_can_adjust_ledger(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(ADJUST_PERMISSION))


# --- balances and figures ---------------------------------------------------------------------


def store_balance(store: Store) -> Decimal:
    """What the platform owes `store` now: the sum of every entry, payouts included."""
    total = LedgerEntry.objects.filter(store=store).aggregate(total=Sum("amount"))["total"]
    return to_money(total or ZERO)


def store_unsettled_total(store: Store) -> Decimal:
    """Entries not yet in any statement (they go into the next one)."""
    total = LedgerEntry.objects.filter(store=store, statement__isnull=True).aggregate(
        total=Sum("amount")
    )["total"]
    return to_money(total or ZERO)


def store_balances_for_user(*, user: User) -> QuerySet[Store]:
    """The user's stores annotated with `balance` and `unsettled` (one query)."""
    money = Coalesce(Sum("ledger_entries__amount"), ZERO)
    unsettled = Coalesce(
        Sum("ledger_entries__amount", filter=Q(ledger_entries__statement__isnull=True)), ZERO
    )
    return (
        stores_for_user(user)
        .annotate(balance=money, unsettled=unsettled)
        .order_by("pk")
        .only("pk", "name", "slug")
    )


def statement_figures(*, statement: SettlementStatement) -> dict[str, Decimal | int]:
    """A statement's figures computed from the entries collected into it (one query)."""
    payable = ~Q(type=Type.PAYOUT)
    row = LedgerEntry.objects.filter(statement=statement).aggregate(
        entry_count=Count("id", filter=payable),
        **{
            name: Sum("amount", filter=Q(type=entry_type))
            for name, entry_type in FIGURE_TYPES.items()
        },
    )
    figures: dict[str, Decimal | int] = {name: to_money(row[name] or ZERO) for name in FIGURE_TYPES}
    figures["net_payable"] = sum((figures[name] for name in FIGURE_TYPES), ZERO)
    figures["entry_count"] = row["entry_count"] or 0
    return figures


@dataclass
class StatementCheck:
    """The outcome of recomputing a statement from the ledger."""

    is_consistent: bool
    stored: dict
    recomputed: dict
    payout_total: Decimal
    problems: list[str] = field(default_factory=list)


def statement_verify(*, statement: SettlementStatement) -> StatementCheck:
    """Recompute `statement` from its entries; any difference (or a payout that does not
    match a paid-out statement's net payable) is listed in `problems`."""
    recomputed = statement_figures(statement=statement)
    stored = {name: getattr(statement, name) for name in FIGURES}
    problems = [
        f"{name}: stored {stored[name]} != ledger {recomputed[name]}"
        for name in FIGURES
        if stored[name] != recomputed[name]
    ]
    payout_total = to_money(
        LedgerEntry.objects.filter(statement=statement, type=Type.PAYOUT).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    expected_payout = (
        -recomputed["net_payable"] if statement.status == statement.Status.PAID_OUT else ZERO
    )
    if payout_total != expected_payout:
        problems.append(f"payout: booked {payout_total} != expected {expected_payout}")
    return StatementCheck(
        is_consistent=not problems,
        stored=stored,
        recomputed=recomputed,
        payout_total=payout_total,
        problems=problems,
    )


# --- lists, scoped to the user's stores ---------------------------------------------------------


def statement_list_for_user(
    *, user: User, store_id: int | None = None, status: str | None = None
) -> QuerySet[SettlementStatement]:
    statements = scope_to_user_stores(SettlementStatement.objects.all(), user)
    if store_id is not None:
        statements = statements.filter(store_id=store_id)
    if status:
        statements = statements.filter(status=status)
    return statements.select_related("store").order_by("-period_start", "store_id", "pk")


def statement_get_for_user(*, user: User, pk: int) -> SettlementStatement | None:
    """A statement the user may see, or None (another store's looks like no statement)."""
    return statement_list_for_user(user=user).filter(pk=pk).first()


def statement_entries(*, statement: SettlementStatement) -> QuerySet[LedgerEntry]:
    """The entries of a statement, oldest first, payout last (it settles the rest)."""
    return (
        LedgerEntry.objects.filter(statement=statement)
        .select_related("order", "actor")
        .order_by("created_at", "id")
    )


def statement_events(*, statement: SettlementStatement):
    return statement.events.select_related("actor").order_by("created_at", "id")


def ledger_list_for_user(
    *,
    user: User,
    store_id: int | None = None,
    type: str | None = None,
    statement_id: int | None = None,
    is_settled: bool | None = None,
) -> QuerySet[LedgerEntry]:
    """Ledger entries of the user's stores, newest first."""
    entries = scope_to_user_stores(LedgerEntry.objects.all(), user)
    if store_id is not None:
        entries = entries.filter(store_id=store_id)
    if type:
        entries = entries.filter(type=type)
    if statement_id is not None:
        entries = entries.filter(statement_id=statement_id)
    if is_settled is not None:
        entries = entries.filter(statement__isnull=not is_settled)
    return entries.select_related("store", "order", "statement", "actor").order_by(
        "-created_at", "-id"
    )


def order_ledger_total(*, order) -> Decimal:
    """What one order has earned its store so far, per the ledger."""
    total = LedgerEntry.objects.filter(order=order).aggregate(total=Sum("amount"))["total"]
    return to_money(total or ZERO)
