"""The promoter's balance ledger: one append-only entry per movement, keyed by its source.

`Promoter.balance` changes only here, in the same savepoint as the entry it mirrors, so the
balance always equals the sum of the entries. A debit that must not overdraw (a withdrawal)
is a conditional UPDATE (`balance >= amount`): of two racing withdrawals only the one the
balance covers goes through. A clawback is never refused: the balance may go negative and
later earnings pay it back.
"""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.distribution.errors import DistributionErrorCode as Code
from apps.distribution.models import BalanceEntry, Promoter

logger = logging.getLogger(__name__)


def _same_fact(entry: BalanceEntry, *, promoter_id: int, type: str, amount: Decimal) -> None:
    if (entry.promoter_id, entry.type, entry.amount) != (promoter_id, type, to_money(amount)):
        logger.error("balance key %s reused for a different fact", entry.idempotency_key)
        raise ApplicationError(
            _("余额流水键 %(key)s 已用于另一笔记账。") % {"key": entry.idempotency_key},
            code=Code.KEY_CONFLICT,
            status_code=409,
        )


def balance_entry_book(
    *,
    promoter_id: int,
    type: str,
    amount: Decimal,
    idempotency_key: str,
    commission=None,
    withdrawal=None,
    reason: str = "",
    actor=None,
    must_cover: bool = False,
) -> tuple[BalanceEntry, bool]:
    """Append one entry and move the balance by `amount`, unless the key is booked already;
    returns (entry, created). `must_cover`: refuse (INSUFFICIENT_BALANCE) a debit the balance
    does not cover."""
    amount = to_money(amount)
    existing = BalanceEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        _same_fact(existing, promoter_id=promoter_id, type=type, amount=amount)
        return existing, False
    try:
        with transaction.atomic():
            promoters = Promoter.objects.filter(pk=promoter_id)
            if must_cover:
                promoters = promoters.filter(balance__gte=-amount)
            if promoters.update(balance=F("balance") + amount) != 1:
                balance = Promoter.objects.filter(pk=promoter_id).values_list("balance", flat=True)
                raise ApplicationError(
                    _("可提现余额不足（当前 ¥%(balance)s）。")
                    % {"balance": next(iter(balance), Decimal("0.00"))},
                    code=Code.INSUFFICIENT_BALANCE,
                    fields={"amount": _("可提现余额不足。")},
                    status_code=409,
                )
            entry = BalanceEntry.objects.create(
                promoter_id=promoter_id,
                type=type,
                amount=amount,
                idempotency_key=idempotency_key,
                commission=commission,
                withdrawal=withdrawal,
                reason=reason[:200],
                actor=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        existing = BalanceEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        _same_fact(existing, promoter_id=promoter_id, type=type, amount=amount)
        return existing, False
    return entry, True
