"""Withdrawals: the promoter asks (balance deducted at once, by a conditional UPDATE), staff
approve and pay out, or reject (or record a failed payout), which gives the money back with
its own balance entry. The promoter is told at each step."""

import secrets
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.services import notification_send
from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.core.transitions import event_record, transition
from apps.distribution.errors import DistributionErrorCode as Code
from apps.distribution.models import BalanceEntry, Promoter, Withdrawal
from apps.distribution.selectors import promoter_summary_forget
from apps.distribution.services.config import config_current
from apps.distribution.services.ledger import balance_entry_book


def _number() -> str:
    return f"TX{timezone.now():%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def _notify(withdrawal: Withdrawal, title: str, body: str = "") -> None:
    notification_send(
        user=withdrawal.promoter.user, title=title, body=body, url="/distribution/withdrawals/"
    )


def _amount_error(message: str) -> ApplicationError:
    return ApplicationError(message, code=Code.INVALID_AMOUNT, fields={"amount": message})


@transaction.atomic
def withdrawal_apply(
    *,
    promoter: Promoter,
    amount: Decimal | str,
    method: str,
    account_name: str = "",
    account_number: str = "",
) -> Withdrawal:
    config = config_current()
    try:
        amount = to_money(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise _amount_error(_("请输入正确的金额。")) from None
    if promoter.status not in (Promoter.Status.ACTIVE, Promoter.Status.DISABLED):
        raise ApplicationError(_("您还不是推广员。"), code=Code.NOT_A_PROMOTER, status_code=403)
    if method not in Withdrawal.Method.values:
        raise ApplicationError(
            _("请选择提现方式。"), code=Code.INVALID_AMOUNT, fields={"method": _("提现方式无效。")}
        )
    if method != Withdrawal.Method.BALANCE and not account_number.strip():
        raise ApplicationError(
            _("请填写收款账号。"),
            code=Code.INVALID_AMOUNT,
            fields={"account_number": _("请填写收款账号。")},
        )
    if amount < config.withdrawal_min:
        raise _amount_error(_("单笔最低提现 ¥%(min)s。") % {"min": config.withdrawal_min})
    if amount > config.withdrawal_max:
        raise _amount_error(_("单笔最高提现 ¥%(max)s。") % {"max": config.withdrawal_max})
    fee = to_money(amount * config.withdrawal_fee_rate / 100)
    withdrawal = Withdrawal.objects.create(
        number=_number(),
        promoter=promoter,
        amount=amount,
        fee=fee,
        net_amount=amount - fee,
        method=method,
        account_name=account_name.strip()[:30],
        account_number=account_number.strip()[:64],
    )
    balance_entry_book(
        promoter_id=promoter.pk,
        type=BalanceEntry.Type.WITHDRAWAL,
        amount=-amount,
        idempotency_key=f"withdrawal:{withdrawal.number}",
        withdrawal=withdrawal,
        reason=_("提现申请 %(number)s") % {"number": withdrawal.number},
        actor=promoter.user,
        must_cover=True,
    )
    event_record(
        withdrawal,
        kind="created",
        from_status="",
        to_status=Withdrawal.Status.AUDITING,
        actor=promoter.user,
        reason=_("申请提现"),
        payload={"amount": str(amount), "fee": str(fee)},
    )
    _notify(
        withdrawal,
        _("提现申请已提交：¥%(amount)s") % {"amount": amount},
        _("手续费 ¥%(fee)s，预计到账 ¥%(net)s。") % {"fee": fee, "net": withdrawal.net_amount},
    )
    return withdrawal


def _lock(withdrawal: Withdrawal) -> Withdrawal:
    return (
        Withdrawal.objects.select_for_update(of=("self",))
        .select_related("promoter__user")
        .get(pk=withdrawal.pk)
    )


def _give_back(withdrawal: Withdrawal, *, actor, reason: str) -> None:
    balance_entry_book(
        promoter_id=withdrawal.promoter_id,
        type=BalanceEntry.Type.WITHDRAWAL_RETURN,
        amount=withdrawal.amount,
        idempotency_key=f"withdrawal_return:{withdrawal.number}",
        withdrawal=withdrawal,
        reason=reason,
        actor=actor,
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("请填写原因。"), code=Code.REASON_REQUIRED, fields={"reason": _("请填写原因。")}
        )
    return reason[:200]


@transaction.atomic
def withdrawal_approve(*, withdrawal: Withdrawal, actor) -> Withdrawal:
    withdrawal = _lock(withdrawal)
    transition(withdrawal, Withdrawal.Status.APPROVED, actor=actor, reason=_("审核通过"))
    _notify(withdrawal, _("提现申请已通过审核"), _("我们将尽快打款。"))
    return withdrawal


@transaction.atomic
def withdrawal_reject(*, withdrawal: Withdrawal, actor, reason: str) -> Withdrawal:
    reason = _reason(reason)
    withdrawal = _lock(withdrawal)
    withdrawal.reason = reason
    transition(
        withdrawal, Withdrawal.Status.REJECTED, actor=actor, reason=reason, fields=["reason"]
    )
    _give_back(withdrawal, actor=actor, reason=_("提现驳回退回：%(reason)s") % {"reason": reason})
    _notify(withdrawal, _("提现申请被驳回，金额已退回余额"), reason)
    return withdrawal


@transaction.atomic
def withdrawal_mark_paid(*, withdrawal: Withdrawal, actor, payout_reference: str) -> Withdrawal:
    payout_reference = (payout_reference or "").strip()
    if not payout_reference:
        raise ApplicationError(
            _("请填写打款流水号。"),
            code=Code.REFERENCE_REQUIRED,
            fields={"payout_reference": _("请填写打款流水号。")},
        )
    withdrawal = _lock(withdrawal)
    withdrawal.payout_reference = payout_reference[:64]
    transition(
        withdrawal,
        Withdrawal.Status.PAID,
        actor=actor,
        reason=_("已打款"),
        payload={"payout_reference": withdrawal.payout_reference},
        fields=["payout_reference"],
    )
    promoter_summary_forget(promoter_ids=[withdrawal.promoter_id])
    _notify(
        withdrawal,
        _("提现已打款：¥%(net)s") % {"net": withdrawal.net_amount},
        _("打款流水号 %(ref)s") % {"ref": withdrawal.payout_reference},
    )
    return withdrawal


@transaction.atomic
def withdrawal_mark_failed(*, withdrawal: Withdrawal, actor, reason: str) -> Withdrawal:
    reason = _reason(reason)
    withdrawal = _lock(withdrawal)
    withdrawal.reason = reason
    transition(withdrawal, Withdrawal.Status.FAILED, actor=actor, reason=reason, fields=["reason"])
    _give_back(withdrawal, actor=actor, reason=_("打款失败退回：%(reason)s") % {"reason": reason})
    _notify(withdrawal, _("提现打款失败，金额已退回余额"), reason)
    return withdrawal
