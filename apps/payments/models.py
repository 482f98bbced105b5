"""Payments: each attempt to pay a PaymentOrder with a provider, every notification the
providers sent us (kept raw, with what we made of it), and refunds."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import StatusEvent, TimeStampedModel
from apps.payments.errors import PaymentErrorCode

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class Payment(TimeStampedModel):
    """One attempt to pay a payment order through one provider (one `out_trade_no`)."""

    class Status(models.TextChoices):
        CREATED = "created", _("待支付")
        PAID = "paid", _("已支付")
        FAILED = "failed", _("支付失败")
        CLOSED = "closed", _("已关闭")
        PARTIALLY_REFUNDED = "partially_refunded", _("部分退款")
        REFUNDED = "refunded", _("已全额退款")

    # A provider saying "paid" is the fact that money moved, whatever we thought before: a
    # failed or closed attempt can still become paid (then it is refunded if not needed).
    TRANSITIONS = {
        Status.CREATED: {Status.PAID, Status.FAILED, Status.CLOSED},
        Status.FAILED: {Status.PAID, Status.CLOSED},
        Status.CLOSED: {Status.PAID},
        Status.PAID: {Status.PARTIALLY_REFUNDED, Status.REFUNDED},
        Status.PARTIALLY_REFUNDED: {Status.PARTIALLY_REFUNDED, Status.REFUNDED},
        Status.REFUNDED: set(),
    }
    TRANSITION_ERROR_CODE = PaymentErrorCode.INVALID_TRANSITION
    CAPTURED = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    payment_order = models.ForeignKey(
        "orders.PaymentOrder",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("支付单"),
    )
    provider = models.CharField(_("支付渠道"), max_length=20)
    amount = models.DecimalField(_("金额"), **MONEY, validators=[MinValueValidator(ZERO)])
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.CREATED, db_index=True
    )
    # Our number for the provider (Alipay's out_trade_no: at most 64 letters and digits).
    out_trade_no = models.CharField(_("商户交易号"), max_length=64, unique=True)
    provider_trade_no = models.CharField(_("渠道交易号"), max_length=64, blank=True)
    redirect_url = models.TextField(_("支付跳转地址"), blank=True)
    refunded_amount = models.DecimalField(_("已退款"), **MONEY, default=ZERO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("支付记录")
        verbose_name_plural = _("支付记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["payment_order", "status"], name="payment_order_status_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="payment_refunded_within_amount",
            )
        ]

    def __str__(self) -> str:
        return self.out_trade_no

    @property
    def is_captured(self) -> bool:
        return self.status in self.CAPTURED

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount if self.is_captured else ZERO


class PaymentEvent(StatusEvent):
    """Every status change of a payment, with who (None: the provider/system), when and why."""

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="events", verbose_name=_("支付")
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("支付状态记录")
        verbose_name_plural = _("支付状态记录")


class PaymentNotification(models.Model):
    """One notify call from a provider, stored before anything else happens to it."""

    class Result(models.TextChoices):
        RECEIVED = "received", _("已接收(处理中)")
        OK = "ok", _("已处理")
        DUPLICATE = "duplicate", _("重复通知")
        IGNORED = "ignored", _("无需处理")
        BAD_SIGNATURE = "bad_signature", _("签名错误")
        REPLAYED = "replayed", _("重放或过期")
        INVALID = "invalid", _("格式错误")
        UNKNOWN_ORDER = "unknown_order", _("未知交易")
        AMOUNT_MISMATCH = "amount_mismatch", _("金额不符")
        LATE_FOR_CANCELLED = "late_for_cancelled", _("订单已取消(已退款)")
        DUPLICATE_PAYMENT = "duplicate_payment", _("重复支付(已退款)")
        ERROR = "error", _("处理出错")

    # Results that mean "we have it, stop sending": the provider gets its success answer.
    ACCEPTED = (
        Result.OK,
        Result.DUPLICATE,
        Result.IGNORED,
        Result.LATE_FOR_CANCELLED,
        Result.DUPLICATE_PAYMENT,
    )

    provider = models.CharField(_("支付渠道"), max_length=20, db_index=True)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("支付记录"),
    )
    out_trade_no = models.CharField(_("商户交易号"), max_length=64, blank=True, db_index=True)
    body = models.TextField(_("原始内容"))
    headers = models.JSONField(_("请求头(部分)"), default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("来源地址"))
    # The sandbox's nonce once its signature is good: the same nonce twice is a replay.
    nonce = models.CharField(max_length=64, blank=True, verbose_name=_("随机串"))
    result = models.CharField(
        _("验证结果"), max_length=20, choices=Result.choices, default=Result.RECEIVED
    )
    is_processed = models.BooleanField(_("已处理"), default=False)
    error = models.TextField(_("错误信息"), blank=True)
    created_at = models.DateTimeField(_("接收时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("支付通知")
        verbose_name_plural = _("支付通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["provider", "nonce"], name="payment_notify_nonce_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.out_trade_no or '?'} {self.result}"

    @property
    def is_accepted(self) -> bool:
        return self.result in self.ACCEPTED


class Refund(TimeStampedModel):
    """Money sent back to the payer through the provider of the payment it came in by."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("退款中")
        SUCCEEDED = "succeeded", _("退款成功")
        FAILED = "failed", _("退款失败")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("支付记录")
    )
    amount = models.DecimalField(_("退款金额"), **MONEY, validators=[MinValueValidator(ZERO)])
    reason = models.CharField(_("退款原因"), max_length=200)
    # The caller's idempotency key (e.g. "aftersale:12"): one refund per reference, ever.
    reference = models.CharField(_("业务参考号"), max_length=64, unique=True)
    # Our request number for the provider (Alipay's out_request_no); retries reuse it.
    out_request_no = models.CharField(_("退款请求号"), max_length=64, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    provider_refund_id = models.CharField(_("渠道退款号"), max_length=64, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("申请人"),
    )
    succeeded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]
        permissions = [("retry_refund", _("可以重新发起失败的退款"))]

    def __str__(self) -> str:
        return f"{self.out_request_no} ¥{self.amount}"
