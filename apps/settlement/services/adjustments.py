"""Adjustments (调账): staff correct a store's balance, always with a reason."""

import uuid
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.settlement.errors import SettlementErrorCode
from apps.settlement.models import ZERO, LedgerEntry
from apps.settlement.selectors import user_can_adjust_ledger
from apps.settlement.services.booking import ledger_entry_book
from apps.stores.models import Store

MAX_ADJUSTMENT = Decimal("100000000.00")


def _not_allowed() -> ApplicationError:
    return ApplicationError(
        _("您无权执行此结算操作。"), code=SettlementErrorCode.NOT_ALLOWED, status_code=403
    )


def _adjustment_amount(raw) -> Decimal:
    message = _("调账金额须为非零金额，最多两位小数，绝对值不超过 1 亿元。")
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if (
        amount is None
        or not amount.is_finite()
        or amount != to_money(amount)
        or amount == ZERO
        or abs(amount) > MAX_ADJUSTMENT
    ):
        raise ApplicationError(
            message, code=SettlementErrorCode.INVALID_AMOUNT, fields={"amount": [message]}
        )
    return to_money(amount)


@transaction.atomic
def settlement_adjustment_add(
    *, store: Store, amount, reason: str, actor, idempotency_key: str = ""
) -> LedgerEntry:
    """Staff correct a store's balance (positive: owed to the store). A reason is required.

    `idempotency_key` (optional, e.g. from the API's Idempotency-Key or the admin form's token)
    makes a retried submit book once; reusing it for a different amount is refused.
    """
    if not user_can_adjust_ledger(actor):
        raise _not_allowed()
    reason = (reason or "").strip()
    if not reason:
        message = _("调账必须填写原因。")
        raise ApplicationError(
            message, code=SettlementErrorCode.REASON_REQUIRED, fields={"reason": [message]}
        )
    if len(reason) > 200:
        message = _("原因不超过 200 字。")
        raise ApplicationError(
            message, code=SettlementErrorCode.REASON_REQUIRED, fields={"reason": [message]}
        )
    amount = _adjustment_amount(amount)
    token = (idempotency_key or "").strip()[:64] or uuid.uuid4().hex
    entry, _created = ledger_entry_book(
        store_id=store.pk,
        type=LedgerEntry.Type.ADJUSTMENT,
        amount=amount,
        idempotency_key=f"{LedgerEntry.Type.ADJUSTMENT}:{actor.pk}:{token}",
        reason=reason,
        actor=actor,
    )
    return entry
