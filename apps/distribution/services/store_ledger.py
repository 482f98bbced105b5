"""Who pays a commission: the platform for its self-operated store; for a merchant store the
commission is taken off that store's settlement (a `distribution_commission` ledger entry,
its own column on the store's statements) when it is released to the promoter, and given
back when a refund claws it back."""

from decimal import Decimal

from django.utils.translation import gettext as _

from apps.distribution.models import CommissionRecord
from apps.settlement.models import LedgerEntry
from apps.settlement.services.booking import ledger_entry_book
from apps.stores.models import Store, StoreType


def store_pays_commission(store_id: int) -> bool:
    return not Store.objects.filter(pk=store_id, type=StoreType.SELF_OPERATED).exists()


def store_commission_book(*, record: CommissionRecord, amount: Decimal, reference: str) -> None:
    """Book `amount` (negative: released to the promoter; positive: clawed back) on the
    store's ledger. Only released money is the store's cost, so nothing is booked for a
    record that is still frozen."""
    if not amount or not store_pays_commission(record.store_id):
        return
    kind = "release" if amount < 0 else f"clawback:{reference}"
    ledger_entry_book(
        store_id=record.store_id,
        type=LedgerEntry.Type.DISTRIBUTION_COMMISSION,
        amount=amount,
        idempotency_key=f"{LedgerEntry.Type.DISTRIBUTION_COMMISSION}:{record.pk}:{kind}"[:255],
        order=record.order,
        reference=reference,
        reason=_("%(level)s级分销佣金 · %(promoter)s")
        % {"level": record.level, "promoter": record.promoter.code},
    )


def store_commissions_book_released(*, records: list[CommissionRecord]) -> int:
    """The release job's set-based form of store_commission_book: one bulk insert of the
    merchant stores' entries for records that have just left "frozen" (so none was booked
    before; a duplicate key would still fail the whole batch on the unique index)."""
    store_ids = {record.store_id for record in records}
    paying = set(
        Store.objects.filter(pk__in=store_ids)
        .exclude(type=StoreType.SELF_OPERATED)
        .values_list("pk", flat=True)
    )
    entries = [
        LedgerEntry(
            store_id=record.store_id,
            type=LedgerEntry.Type.DISTRIBUTION_COMMISSION,
            amount=-record.net_amount,
            idempotency_key=f"{LedgerEntry.Type.DISTRIBUTION_COMMISSION}:{record.pk}:release",
            order_id=record.order_id,
            reference=record.order.number,
            reason=_("%(level)s级分销佣金 · %(promoter)s")
            % {"level": record.level, "promoter": record.promoter.code},
        )
        for record in records
        if record.store_id in paying and record.net_amount
    ]
    LedgerEntry.objects.bulk_create(entries)
    return len(entries)
