"""Merchant settlement: an append-only ledger per store and the statements that pay it out.

What the platform owes a store is the sum of its LedgerEntry amounts (store_balance); a
SettlementStatement gathers the entries of one period and records the payout. Rules of booking
are in services/booking.py; see README.md in this folder.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# AppendOnlyError is re-exported: callers catch a refused ledger change from here.
from apps.core.models import AppendOnlyError as AppendOnlyError
from apps.core.models import AppendOnlyModel, StatusEvent
from apps.settlement.errors import SettlementErrorCode

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class SettlementStatement(models.Model):
    """One store's settlement for one period (Asia/Shanghai dates, weekly by default).

    Figures are sums of the amounts of the entries collected into it, with their ledger sign
    (commission and refunds negative), so net_payable = income + commission + refunds +
    commission_reversals + adjustments, and statement_verify() recomputes them from the ledger.
    The payout entry booked when it is paid out points at it but is not part of its figures.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        PAID_OUT = "paid_out", _("已打款")

    TRANSITIONS = {
        Status.OPEN: {Status.CONFIRMED},
        Status.CONFIRMED: {Status.PAID_OUT},
        Status.PAID_OUT: set(),
    }
    TRANSITION_ERROR_CODE = SettlementErrorCode.INVALID_TRANSITION
    STATUS_TIMESTAMPS = {Status.CONFIRMED: "confirmed_at", Status.PAID_OUT: "paid_out_at"}

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="settlement_statements",
        verbose_name=_("店铺"),
    )
    period_start = models.DateField(_("结算周期开始"))
    period_end = models.DateField(_("结算周期结束"), help_text=_("周期最后一天（含）"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    income = models.DecimalField(_("订单收入"), **MONEY, default=ZERO)
    commission = models.DecimalField(_("平台佣金"), **MONEY, default=ZERO)
    refunds = models.DecimalField(_("退款"), **MONEY, default=ZERO)
    commission_reversals = models.DecimalField(_("退款退佣"), **MONEY, default=ZERO)
    adjustments = models.DecimalField(_("调账"), **MONEY, default=ZERO)
    distribution_commission = models.DecimalField(_("分销佣金"), **MONEY, default=ZERO)
    subsidies = models.DecimalField(_("平台优惠补贴"), **MONEY, default=ZERO)
    net_payable = models.DecimalField(_("应结金额"), **MONEY, default=ZERO)
    entry_count = models.PositiveIntegerField(_("流水笔数"), default=0)
    payout_reference = models.CharField(_("打款流水号"), max_length=64, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    paid_out_at = models.DateTimeField(_("打款时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        ordering = ["-period_start", "store_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "period_start"], name="uniq_settlement_statement_period"
            ),
        ]
        permissions = [
            ("confirm_settlementstatement", _("可以确认结算单")),
            ("pay_out_settlementstatement", _("可以标记结算单已打款")),
        ]

    def __str__(self) -> str:
        return f"{self.store} {self.period_start:%Y-%m-%d}–{self.period_end:%m-%d}"


class LedgerEntry(AppendOnlyModel):
    """One movement of what the platform owes a store; never changed, never deleted.

    Positive amounts are owed to the store (order income, commission given back on a refund),
    negative ones reduce it (platform commission, refunds, payouts); adjustments by staff go
    either way and carry a reason. `idempotency_key` is the type plus its source object, so a
    fact delivered twice is booked once.
    """

    class Type(models.TextChoices):
        ORDER_INCOME = "order_income", _("订单收入")
        PLATFORM_COMMISSION = "platform_commission", _("平台佣金")
        REFUND = "refund", _("退款")
        REFUND_COMMISSION_REVERSAL = "refund_commission_reversal", _("退款退佣")
        # The platform's share of the discounts on the store's orders (platform coupons and
        # promotions), owed to the store; reduced again when the discounted goods are refunded.
        PLATFORM_SUBSIDY = "platform_subsidy", _("平台优惠补贴")
        ADJUSTMENT = "adjustment", _("调账")
        # Promoters' commission on the store's sales (negative when released to the promoter,
        # positive when a refund claws it back); booked by the distribution app.
        DISTRIBUTION_COMMISSION = "distribution_commission", _("分销佣金")
        PAYOUT = "payout", _("结算打款")

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("店铺"),
    )
    type = models.CharField(_("类型"), max_length=30, choices=Type.choices)
    amount = models.DecimalField(_("金额"), **MONEY)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name=_("订单"),
    )
    reference = models.CharField(_("单号"), max_length=150, blank=True)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True, verbose_name=_("幂等键"))
    statement = models.ForeignKey(
        SettlementStatement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("结算单"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    # The only column a set-based write may touch is the statement an entry was collected
    # into (statement generation); amounts, types and keys never change once booked.
    APPEND_ONLY_UPDATABLE = ("statement", "statement_id")
    APPEND_ONLY_MESSAGE = _("结算流水只能追加，不能修改或删除；更正请登记调账。")

    class Meta:
        verbose_name = _("结算流水")
        verbose_name_plural = _("结算流水")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["store", "created_at"], name="ledger_store_time_idx"),
            # Statement generation looks for a store's entries not yet in any statement.
            models.Index(
                fields=["store", "created_at"],
                condition=Q(statement__isnull=True),
                name="ledger_unsettled_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(type__in=["order_income", "refund_commission_reversal"], amount__gt=0)
                | Q(type__in=["platform_commission", "refund"], amount__lt=0)
                | Q(
                    type__in=[
                        "adjustment",
                        "payout",
                        "distribution_commission",
                        "platform_subsidy",
                    ]
                ),
                name="ledger_sign_matches_type",
            ),
            models.CheckConstraint(
                condition=~Q(type="adjustment") | ~Q(reason=""),
                name="ledger_adjustment_has_reason",
            ),
        ]
        permissions = [("adjust_ledgerentry", _("可以登记调账"))]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.amount}"


class StatementEvent(StatusEvent):
    """Every change of a statement: generated, confirmed, paid out; who, when, with what."""

    statement = models.ForeignKey(
        SettlementStatement,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("结算单"),
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("结算单记录")
        verbose_name_plural = _("结算单记录")

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.kind}"
