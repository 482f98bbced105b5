"""Writes of the payments app: start a payment, take in a provider's notification, refund.

Locks are always taken in the same order, PaymentOrder → Payment → Refund, the order in which
apps.orders also locks (PaymentOrder before its Orders), so two flows never wait on each other
in a circle.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.money import to_money
from apps.core.outbox import outbox_message_record
from apps.core.transitions import event_record, transition
from apps.orders.models import PaymentOrder
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.payments.errors import PaymentErrorCode
from apps.payments.models import Payment, PaymentNotification, Refund
from apps.payments.providers import enabled_providers, get_provider
from apps.payments.providers.base import (
    NotificationRejected,
    ProviderError,
    RefundResult,
    VerifiedNotification,
)
from apps.payments.signals import refund_succeeded

logger = logging.getLogger(__name__)

Result = PaymentNotification.Result


def _new_number(prefix: str) -> str:
    # Date + 10 random digits: readable, sortable by day, unique enough to retry on collision.
    return f"{prefix}{timezone.localtime():%Y%m%d%H%M%S}{secrets.randbelow(10**10):010d}"


def _lock_payment_order(payment_order_id: int) -> PaymentOrder:
    return PaymentOrder.objects.select_for_update().get(pk=payment_order_id)


# --- starting a payment ------------------------------------------------------------------------


@transaction.atomic
def payment_start(*, payment_order: PaymentOrder, provider: str, actor: User) -> Payment:
    """Open (or reuse) a payment attempt; `payment.redirect_url` is where the shopper goes.

    An unfinished attempt with the same provider and amount is reused, so going back and
    paying again keeps one out_trade_no at the provider (which then refuses to charge twice).
    """
    gateway = get_provider(provider)
    payment_order = _lock_payment_order(payment_order.pk)
    if payment_order.buyer_id != actor.pk:
        raise ApplicationError(
            "找不到这笔支付单。", code=PaymentErrorCode.NOT_FOUND, status_code=404
        )
    if payment_order.status != PaymentOrder.Status.PENDING:
        raise ApplicationError(
            f"这笔支付单{payment_order.get_status_display()}，无需再支付。",
            code=PaymentErrorCode.NOT_PENDING,
            status_code=409,
        )
    if payment_order.method != PaymentOrder.Method.ONLINE:
        raise ApplicationError(
            "账期订单无需在线支付。", code=PaymentErrorCode.NOT_PENDING, status_code=409
        )
    if payment_order.expires_at <= timezone.now():
        raise ApplicationError(
            "支付已超时，订单将被取消，请重新下单。",
            code=PaymentErrorCode.EXPIRED,
            status_code=409,
        )
    payment = (
        Payment.objects.filter(
            payment_order=payment_order,
            provider=provider,
            status=Payment.Status.CREATED,
            amount=payment_order.amount,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if payment is None:
        payment = Payment.objects.create(
            payment_order=payment_order,
            provider=provider,
            amount=payment_order.amount,
            out_trade_no=_new_number("T"),
            created_by=actor,
        )
        event_record(payment, kind="status", from_status="", actor=actor, reason="发起支付")
    payment.payment_order = payment_order
    payment.redirect_url = gateway.start(payment)
    payment.save(update_fields=["redirect_url", "updated_at"])
    return payment


@transaction.atomic
def payment_close(*, payment: Payment, actor: User | None, reason: str) -> Payment:
    """Close an unfinished attempt (e.g. its payment order was cancelled). Paid ones stay."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status not in (Payment.Status.CREATED, Payment.Status.FAILED):
        return payment
    payment.closed_at = timezone.now()
    transition(
        payment,
        Payment.Status.CLOSED,
        actor=actor,
        reason=reason,
        fields=("closed_at",),
    )
    return payment


def payments_close_for_payment_order(*, payment_order_id: int, reason: str) -> int:
    """Close every unfinished attempt of a cancelled payment order (a later "paid" notify
    still counts: it is then refunded)."""
    open_payments = Payment.objects.filter(
        payment_order_id=payment_order_id,
        status__in=[Payment.Status.CREATED, Payment.Status.FAILED],
    ).order_by("pk")
    closed = 0
    for payment in open_payments:
        payment_close(payment=payment, actor=None, reason=reason)
        closed += 1
    return closed


# --- notifications -----------------------------------------------------------------------------


@dataclass
class _Outcome:
    result: str
    error: str = ""
    refund: Refund | None = None


def _header_subset(headers: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: headers[name][:500] for name in names if name in headers}


def _notification_finish(
    notification: PaymentNotification, *, result: str, error: str = "", out_trade_no: str = ""
) -> None:
    notification.result = result
    notification.error = error[:2000]
    # Not processed: it failed half-way (rolled back), and the provider will send it again.
    notification.is_processed = result != Result.ERROR
    if out_trade_no and not notification.out_trade_no:
        notification.out_trade_no = out_trade_no[:64]
    notification.save(
        update_fields=["result", "error", "is_processed", "out_trade_no", "payment", "nonce"]
    )


def payment_handle_notification(
    *,
    provider: str,
    raw: bytes,
    headers: dict[str, str],
    remote_addr: str | None = None,
) -> PaymentNotification:
    """Record a provider's notify call, verify it, and act on it at most once.

    The raw request is saved first, in its own transaction, so every attempt stays on record
    whatever happens next. Not atomic as a whole on purpose: a refund the notification calls
    for (paid too late, or paid twice) is sent to the provider after the state is committed.
    """
    gateway = enabled_providers().get(provider)
    if gateway is None:
        # Nothing is stored for a provider we do not have: junk cannot fill the table.
        raise NotFoundError(
            _("没有这个支付渠道。"), code=PaymentErrorCode.UNKNOWN_PROVIDER, status_code=404
        )
    headers = {k.lower(): v for k, v in headers.items()}
    limit = settings.PAYMENT_NOTIFY_MAX_BYTES
    notification = PaymentNotification.objects.create(
        provider=provider,
        body=raw[:limit].decode("utf-8", errors="replace"),
        headers=_header_subset(headers, gateway.notification_headers),
        remote_addr=remote_addr,
        out_trade_no=gateway.claimed_out_trade_no(raw[:limit])[:64],
    )
    if len(raw) > limit:
        _notification_finish(
            notification, result=Result.INVALID, error=f"body over {limit} bytes (kept the start)"
        )
        return notification

    try:
        verified = gateway.verify_notification(raw, headers)
    except NotificationRejected as exc:
        _notification_finish(
            notification, result=exc.result, error=exc.message, out_trade_no=exc.out_trade_no
        )
        logger.warning(
            "%s notify #%s refused (%s): %s", provider, notification.pk, exc.result, exc.message
        )
        return notification

    try:
        outcome = _notification_apply(notification=notification, verified=verified)
    except Exception as exc:
        logger.exception("%s notify #%s failed", provider, notification.pk)
        notification.refresh_from_db(fields=["payment", "nonce"])
        _notification_finish(
            notification, result=Result.ERROR, error=repr(exc), out_trade_no=verified.out_trade_no
        )
        return notification

    if outcome.result not in PaymentNotification.ACCEPTED:
        logger.warning(
            "%s notify #%s for %s: %s %s",
            provider,
            notification.pk,
            verified.out_trade_no,
            outcome.result,
            outcome.error,
        )
    if outcome.refund is not None:
        refund_execute(refund=outcome.refund)
    return notification


@transaction.atomic
def _notification_apply(
    *, notification: PaymentNotification, verified: VerifiedNotification
) -> _Outcome:
    notification.out_trade_no = verified.out_trade_no[:64]
    found = (
        Payment.objects.filter(out_trade_no=verified.out_trade_no, provider=notification.provider)
        .values_list("pk", "payment_order_id")
        .first()
    )
    if found is None:
        notification.nonce = verified.nonce
        outcome = _Outcome(Result.UNKNOWN_ORDER, f"no {notification.provider} payment")
        _notification_finish(notification, result=outcome.result, error=outcome.error)
        return outcome

    payment_id, payment_order_id = found
    payment_order = _lock_payment_order(payment_order_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    payment.payment_order = payment_order
    notification.payment = payment
    outcome = _notification_decide(notification=notification, payment=payment, verified=verified)
    _notification_finish(notification, result=outcome.result, error=outcome.error)
    return outcome


def _notification_decide(
    *, notification: PaymentNotification, payment: Payment, verified: VerifiedNotification
) -> _Outcome:
    # Under the payment's row lock, so two copies of one nonce cannot both get past this.
    if verified.nonce:
        seen = PaymentNotification.objects.filter(
            provider=notification.provider, nonce=verified.nonce
        ).exclude(pk=notification.pk)
        if seen.exists():
            return _Outcome(Result.REPLAYED, "nonce already used")
        notification.nonce = verified.nonce
    if verified.amount != payment.amount:
        return _Outcome(
            Result.AMOUNT_MISMATCH, f"notified {verified.amount}, expected {payment.amount}"
        )
    if (
        verified.trade_no
        and payment.provider_trade_no
        and verified.trade_no != payment.provider_trade_no
    ):
        return _Outcome(Result.INVALID, f"trade_no {verified.trade_no} is not this payment's")

    if verified.status == VerifiedNotification.PAID:
        return _notification_paid(notification=notification, payment=payment, verified=verified)
    if verified.status == VerifiedNotification.FAILED and payment.status == Payment.Status.CREATED:
        transition(
            payment,
            Payment.Status.FAILED,
            actor=None,
            reason="渠道通知支付失败",
            payload={"notification": notification.pk},
        )
        return _Outcome(Result.OK)
    if verified.status == VerifiedNotification.CLOSED and payment.status in (
        Payment.Status.CREATED,
        Payment.Status.FAILED,
    ):
        payment.closed_at = timezone.now()
        transition(
            payment,
            Payment.Status.CLOSED,
            actor=None,
            reason="渠道通知交易关闭",
            payload={"notification": notification.pk},
            fields=("closed_at",),
        )
        return _Outcome(Result.OK)
    return _Outcome(Result.IGNORED, f"{verified.status} for a {payment.status} payment")


def _notification_paid(
    *, notification: PaymentNotification, payment: Payment, verified: VerifiedNotification
) -> _Outcome:
    if payment.is_captured:
        return _Outcome(Result.DUPLICATE)
    paid_at = verified.paid_at or timezone.now()
    payment.paid_at = paid_at
    payment.provider_trade_no = verified.trade_no[:64]
    transition(
        payment,
        Payment.Status.PAID,
        actor=None,
        reason="渠道通知支付成功",
        payload={"notification": notification.pk, "trade_no": verified.trade_no},
        fields=("paid_at", "provider_trade_no"),
    )
    payment_order = payment.payment_order
    other_captured = (
        Payment.objects.filter(payment_order=payment_order, status__in=Payment.CAPTURED)
        .exclude(pk=payment.pk)
        .exists()
    )
    if other_captured:
        # Paid twice (two attempts both went through): keep the first, give this one back.
        refund = _refund_request(
            payment=payment,
            amount=payment.amount,
            reason="重复支付，自动退款",
            reference=f"duplicate:{payment.out_trade_no}",
            actor=None,
        )
        return _Outcome(Result.DUPLICATE_PAYMENT, "payment order already paid", refund)
    try:
        with transaction.atomic():
            payment_order_mark_paid(
                payment_order=payment_order,
                paid_at=paid_at,
                actor=None,
                reference=payment.out_trade_no,
            )
    except ApplicationError as exc:
        if exc.code != "payment_order_cancelled":
            raise
        # The money arrived after the order was cancelled: keep the record, send it back.
        refund = _refund_request(
            payment=payment,
            amount=payment.amount,
            reason="订单已取消，到账款项自动退回",
            reference=f"late:{payment.out_trade_no}",
            actor=None,
        )
        return _Outcome(Result.LATE_FOR_CANCELLED, exc.message, refund)
    return _Outcome(Result.OK)


# --- refunds -----------------------------------------------------------------------------------


def _refunds_booked(payment: Payment, *, besides: Refund | None = None) -> Decimal:
    """What is already refunded or on its way back from `payment` (other than `besides`)."""
    refunds = Refund.objects.filter(
        payment=payment, status__in=[Refund.Status.REQUESTED, Refund.Status.SUCCEEDED]
    )
    if besides is not None:
        refunds = refunds.exclude(pk=besides.pk)
    return refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def _refund_request(
    *, payment: Payment, amount: Decimal, reason: str, reference: str, actor: User | None
) -> Refund:
    """Book a refund as requested on a locked payment, within what is left to refund."""
    already = _refunds_booked(payment)
    available = payment.amount - already if payment.is_captured else Decimal("0.00")
    if amount > available:
        raise ApplicationError(
            f"退款金额 ¥{amount} 超过可退金额 ¥{available}。",
            code=PaymentErrorCode.REFUND_EXCEEDS_PAID,
            fields={"amount": [f"最多可退 ¥{available}"]},
        )
    return Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason[:200],
        reference=reference,
        out_request_no=_new_number("R"),
        requested_by=actor,
    )


def refund_create(
    *,
    payment_order: PaymentOrder,
    amount: Decimal,
    reason: str,
    reference: str,
    actor: User | None,
) -> Refund:
    """Refund part or all of what was paid for a payment order, through its provider.

    Idempotent by `reference`: the same reference returns the refund already made (and
    retries one that failed, under the same out_request_no, so the provider pays it once).
    Returns the Refund, succeeded or failed; raises ApplicationError when refused.
    """
    amount = to_money(amount)
    if amount <= 0:
        raise ApplicationError(
            "退款金额必须大于零。",
            code=PaymentErrorCode.REFUND_INVALID_AMOUNT,
            fields={"amount": ["退款金额必须大于零。"]},
        )
    if not reference:
        raise ApplicationError("缺少退款参考号。", code=PaymentErrorCode.REFUND_INVALID_AMOUNT)
    with transaction.atomic():
        _lock_payment_order(payment_order.pk)
        refund = Refund.objects.select_related("payment").filter(reference=reference).first()
        if refund is not None:
            if refund.payment.payment_order_id != payment_order.pk or refund.amount != amount:
                raise ApplicationError(
                    "该参考号已用于另一笔退款。", code=PaymentErrorCode.REFUND_REFERENCE_CONFLICT
                )
            if refund.status == Refund.Status.SUCCEEDED:
                return refund
            if refund.status == Refund.Status.FAILED:
                refund = _refund_retry(refund=refund)
        else:
            payment = (
                Payment.objects.select_for_update()
                .filter(payment_order=payment_order, status__in=Payment.CAPTURED)
                .order_by("paid_at", "id")
                .first()
            )
            if payment is None:
                raise ApplicationError(
                    "这笔订单没有已到账的支付，无法退款。",
                    code=PaymentErrorCode.NOTHING_TO_REFUND,
                )
            refund = _refund_request(
                payment=payment, amount=amount, reason=reason, reference=reference, actor=actor
            )
    return refund_execute(refund=refund)


def refund_retry(*, refund: Refund, actor: User | None) -> Refund:
    """Staff send a failed refund again (same out_request_no, so the provider pays it once)."""
    with transaction.atomic():
        _lock_payment_order(refund.payment.payment_order_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != Refund.Status.FAILED:
            raise ApplicationError(
                "只有失败的退款可以重新发起。", code=PaymentErrorCode.REFUND_NOT_FAILED
            )
        refund = _refund_retry(refund=refund)
        logger.info("refund %s retried by %s", refund.out_request_no, getattr(actor, "pk", None))
    return refund_execute(refund=refund)


def _refund_retry(*, refund: Refund) -> Refund:
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    already = _refunds_booked(payment, besides=refund)
    if refund.amount > payment.amount - already:
        raise ApplicationError("退款金额超过可退金额。", code=PaymentErrorCode.REFUND_EXCEEDS_PAID)
    refund.status = Refund.Status.REQUESTED
    refund.error = ""
    refund.save(update_fields=["status", "error", "updated_at"])
    return refund


def refund_execute(*, refund: Refund) -> Refund:
    """Ask the provider to pay a requested refund back, then book the answer."""
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.status != Refund.Status.REQUESTED:
        return refund
    gateway = get_provider(refund.payment.provider)
    try:
        result = gateway.refund(refund.payment, refund)
    except Exception as exc:  # a provider bug must not lose the refund: it stays retryable
        logger.exception("refund %s: provider call failed", refund.out_request_no)
        result = RefundResult(succeeded=False, error=repr(exc)[:500])
    return _refund_record_result(refund=refund, result=result)


@transaction.atomic
def _refund_record_result(*, refund: Refund, result: RefundResult) -> Refund:
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != Refund.Status.REQUESTED:
        return refund
    if not result.succeeded:
        refund.status = Refund.Status.FAILED
        refund.error = result.error
        refund.save(update_fields=["status", "error", "updated_at"])
        logger.error("refund %s failed: %s", refund.out_request_no, result.error)
        return refund
    refund.status = Refund.Status.SUCCEEDED
    refund.provider_refund_id = result.provider_refund_id[:64]
    refund.succeeded_at = timezone.now()
    refund.save(update_fields=["status", "provider_refund_id", "succeeded_at", "updated_at"])
    payment.refunded_amount = payment.refunded_amount + refund.amount
    to_status = (
        Payment.Status.REFUNDED
        if payment.refunded_amount >= payment.amount
        else Payment.Status.PARTIALLY_REFUNDED
    )
    transition(
        payment,
        to_status,
        actor=refund.requested_by,
        reason=refund.reason,
        payload={
            "refund": refund.pk,
            "reference": refund.reference,
            "amount": f"{refund.amount:.2f}",
        },
        fields=("refunded_amount",),
    )
    refund.payment = payment
    refund_succeeded.send(sender=Refund, refund=refund)
    return refund


# --- The sandbox gateway ------------------------------------------------------------------
SANDBOX_NOTIFY = "payments.sandbox_notify"  # outbox kind, handled in outbox.py


def sandbox_payment_simulate(*, payment: Payment, outcome: str) -> None:
    """The sandbox cashier's click: the "gateway" now owes us a signed notify.

    Recorded in the outbox (one per payment) and delivered after the commit; a refused broker
    or an unreachable notify URL delays the notify, it never loses it or fails the click.
    """
    outbox_message_record(
        kind=SANDBOX_NOTIFY,
        payload={"payment_id": payment.pk, "outcome": outcome},
        key=f"{SANDBOX_NOTIFY}:{payment.pk}",
    )


def sandbox_notify_send(*, payment_id: int, outcome: str) -> int:
    """POST the signed notify for a sandbox payment to our notify URL; its HTTP status.

    Raises ProviderError when it did not arrive (unreachable, or a 5xx), so the outbox tries
    again later with a freshly signed nonce, as a real gateway's retries do. A repeated notify
    of a payment already handled is answered without changing anything.
    """
    payment = Payment.objects.get(pk=payment_id)
    status, _body = get_provider("sandbox").send_notification(payment, outcome)
    if status >= 500:
        raise ProviderError(f"notify endpoint answered HTTP {status}")
    return status
