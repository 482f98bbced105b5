"""Credit (账期) movements: checkout charges, cancellation releases, refunds, repayments.

Every movement locks the organisation row first, so movements of one organisation are
serialised: two concurrent checkouts cannot both pass the limit check, and a repayment cannot
be recorded twice against the same debt.
"""

import uuid
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.wholesale.errors import WholesaleErrorCode
from apps.wholesale.models import BuyerOrganisation, BuyerOrganisationEvent, CreditEntry
from apps.wholesale.selectors import credit_balance
from apps.wholesale.services.notify import members_notify

ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999.99")  # what MONEY (12 digits, 2 places) can hold
ORDER_KINDS = [CreditEntry.Kind.CHARGE, CreditEntry.Kind.RELEASE, CreditEntry.Kind.REFUND]


def _positive_money(amount, *, field: str = "amount") -> Decimal:
    try:
        value = to_money(amount)
    except (InvalidOperation, TypeError, ValueError):
        value = None
    if value is None or not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        message = _("金额必须大于 0 且不超过 %(max)s 元。") % {"max": MAX_AMOUNT}
        raise ApplicationError(
            message, code=WholesaleErrorCode.INVALID_AMOUNT, fields={field: [message]}
        )
    return value


def _lock(organisation: BuyerOrganisation) -> BuyerOrganisation:
    return BuyerOrganisation.objects.select_for_update().get(pk=organisation.pk)


def _existing(key: str, organisation: BuyerOrganisation) -> CreditEntry | None:
    entry = CreditEntry.objects.filter(idempotency_key=key).first()
    if entry is not None and entry.organisation_id != organisation.pk:
        raise ApplicationError(
            _("单号已被其他采购单位使用。"), code=WholesaleErrorCode.REFERENCE_CONFLICT
        )
    return entry


def _outstanding_for_reference(organisation: BuyerOrganisation, reference: str) -> Decimal:
    """What is still owed for one order on account: its charge less releases and refunds."""
    total = CreditEntry.objects.filter(
        organisation=organisation, reference=reference, kind__in=ORDER_KINDS
    ).aggregate(total=Sum("amount"))["total"]
    return to_money(total or ZERO)


@transaction.atomic
def credit_charge(
    *, organisation: BuyerOrganisation, amount: Decimal, reference: str, actor=None
) -> CreditEntry:
    """Charge an order on account; refuses to go over the credit limit.

    The organisation row is locked so two concurrent checkouts cannot both pass the check.
    Idempotent per reference: charging the same reference again returns the first entry.
    """
    amount = _positive_money(amount)
    organisation = _lock(organisation)
    key = f"charge:{reference}"
    existing = _existing(key, organisation)
    if existing:
        if existing.amount != amount:
            raise ApplicationError(
                _("该订单已按不同金额记账。"), code=WholesaleErrorCode.REFERENCE_CONFLICT
            )
        return existing
    if not organisation.is_verified:
        raise ApplicationError(
            _("采购单位尚未认证，不能使用账期支付。"),
            code=WholesaleErrorCode.NOT_VERIFIED,
            status_code=403,
        )
    available = organisation.credit_limit - credit_balance(organisation=organisation)
    if amount > available:
        raise ApplicationError(
            _("超出账期授信额度：本单 ¥%(amount)s，可用额度 ¥%(available)s。")
            % {"amount": amount, "available": max(available, ZERO)},
            code=WholesaleErrorCode.CREDIT_EXCEEDED,
        )
    return CreditEntry.objects.create(
        organisation=organisation,
        kind=CreditEntry.Kind.CHARGE,
        amount=amount,
        idempotency_key=key,
        reference=reference,
        actor=actor,
    )


@transaction.atomic
def credit_release(
    *, organisation: BuyerOrganisation, reference: str, actor=None
) -> CreditEntry | None:
    """Give back what is still owed for a cancelled order (once).

    Returns None when the order was never charged or nothing of it is owed any more.
    """
    organisation = _lock(organisation)
    key = f"release:{reference}"
    existing = _existing(key, organisation)
    if existing:
        return existing
    if _existing(f"charge:{reference}", organisation) is None:
        return None
    outstanding = _outstanding_for_reference(organisation, reference)
    if outstanding <= 0:
        return None
    return CreditEntry.objects.create(
        organisation=organisation,
        kind=CreditEntry.Kind.RELEASE,
        amount=-outstanding,
        idempotency_key=key,
        reference=reference,
        actor=actor,
    )


@transaction.atomic
def credit_refund(
    *,
    organisation: BuyerOrganisation,
    reference: str,
    amount: Decimal,
    refund_reference: str,
    actor=None,
) -> CreditEntry:
    """Reduce what an order on account owes after an approved refund (after-sale).

    `reference` is the charged order's, `refund_reference` the refund's own (idempotency).
    A refund cannot exceed what is still owed for that order.
    """
    amount = _positive_money(amount)
    organisation = _lock(organisation)
    key = f"refund:{refund_reference}"
    existing = _existing(key, organisation)
    if existing:
        return existing
    if _existing(f"charge:{reference}", organisation) is None:
        raise ApplicationError(
            _("该订单没有账期记账，无法冲减。"), code=WholesaleErrorCode.REFERENCE_CONFLICT
        )
    outstanding = _outstanding_for_reference(organisation, reference)
    if amount > outstanding:
        raise ApplicationError(
            _("冲减金额 ¥%(amount)s 超过该订单剩余应付 ¥%(outstanding)s。")
            % {"amount": amount, "outstanding": outstanding},
            code=WholesaleErrorCode.OVER_REFUND,
        )
    return CreditEntry.objects.create(
        organisation=organisation,
        kind=CreditEntry.Kind.REFUND,
        amount=-amount,
        idempotency_key=key,
        reference=reference,
        note=refund_reference[:200],
        actor=actor,
    )


@transaction.atomic
def credit_record_repayment(
    *,
    organisation: BuyerOrganisation,
    amount: Decimal,
    actor: User,
    reference: str = "",
    note: str = "",
    idempotency_key: str = "",
) -> CreditEntry:
    """Staff record money received from the buyer (bank transfer, cash): it clears what is owed.

    0 < amount ≤ owed now. `idempotency_key` (e.g. a token of the admin form) makes a double
    submit record one repayment.
    """
    amount = _positive_money(amount)
    organisation = _lock(organisation)
    key = f"repayment:{idempotency_key or uuid.uuid4().hex}"[:80]
    existing = _existing(key, organisation)
    if existing:
        return existing
    owed = credit_balance(organisation=organisation)
    if amount > owed:
        message = _("还款金额 ¥%(amount)s 超过当前应付 ¥%(owed)s。") % {
            "amount": amount,
            "owed": max(owed, ZERO),
        }
        raise ApplicationError(
            message, code=WholesaleErrorCode.OVERPAYMENT, fields={"amount": [message]}
        )
    entry = CreditEntry.objects.create(
        organisation=organisation,
        kind=CreditEntry.Kind.REPAYMENT,
        amount=-amount,
        idempotency_key=key,
        reference=(reference or "").strip()[:40],
        note=(note or "").strip()[:200],
        actor=actor,
    )
    members_notify(
        organisation,
        title=_("已收到还款"),
        body=_("平台已登记「%(name)s」还款 ¥%(amount)s，当前应付 ¥%(owed)s。")
        % {"name": organisation.name, "amount": amount, "owed": owed - amount},
    )
    return entry


@transaction.atomic
def credit_limit_set(
    *, organisation: BuyerOrganisation, credit_limit: Decimal, actor: User, reason: str = ""
) -> BuyerOrganisation:
    """Grant or change a verified buyer's credit limit, recorded as an event.

    A limit below what is owed now is allowed (it stops new orders on account until repaid).
    """
    try:
        limit = to_money(credit_limit)
    except (InvalidOperation, TypeError, ValueError):
        limit = None
    if limit is None or not limit.is_finite() or limit < 0 or limit > MAX_AMOUNT:
        message = _("授信额度必须在 0 到 %(max)s 元之间。") % {"max": MAX_AMOUNT}
        raise ApplicationError(
            message, code=WholesaleErrorCode.INVALID_AMOUNT, fields={"credit_limit": [message]}
        )
    organisation = _lock(organisation)
    if not organisation.is_verified:
        raise ApplicationError(
            _("只有已认证的采购单位可以授信。"), code=WholesaleErrorCode.NOT_VERIFIED
        )
    previous = organisation.credit_limit
    if previous == limit:
        return organisation
    organisation.credit_limit = limit
    organisation.save(update_fields=["credit_limit", "updated_at"])
    BuyerOrganisationEvent.objects.create(
        organisation=organisation,
        kind=BuyerOrganisationEvent.Kind.CREDIT_LIMIT,
        from_credit_limit=previous,
        to_credit_limit=limit,
        actor=actor,
        reason=(reason or "").strip()[:300],
    )
    members_notify(
        organisation,
        title=_("账期授信额度已调整"),
        body=_("「%(name)s」的账期授信额度已由 ¥%(old)s 调整为 ¥%(new)s。")
        % {"name": organisation.name, "old": previous, "new": limit},
    )
    return organisation
