"""Distribution (分销): who promotes, who is bound to whom, what each sale earns them and how
the money reaches them.

- `DistributionConfig` is a singleton with history: every change is a new row (append-only),
  the newest row is in force.
- `Promoter` (a user with a code, a status and an optional grade) and `ReferralBinding`
  (a user's level-1 upline), whose every change is a `BindingChange` row.
- `CommissionRecord`: one per order line per level, frozen at payment, available after
  receipt + freeze days, cancelled or reduced pro rata by refunds; every move is an event row.
- `BalanceEntry`: the promoter's append-only money ledger. `Promoter.balance` is changed only
  together with an entry, by guarded SQL, so it always equals the sum of the entries.
- `Withdrawal`: auditing → approved → paid / failed; rejected (or failed) returns the money.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from apps.core.models import AppendOnlyModel, StatusEvent, TimeStampedModel
from apps.distribution.errors import DistributionErrorCode

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}
ZERO = Decimal("0.00")


class DistributionConfig(AppendOnlyModel):
    """One version of the distribution settings; the newest row is in force."""

    class Base(models.TextChoices):
        PAID = "paid", _("实付金额（不含运费）")
        SALE_PRICE = "sale_price", _("商品售价")
        PROFIT = "profit", _("利润（实付 − 成本价）")

    class Qualification(models.TextChoices):
        EVERYONE = "everyone", _("人人可推广")
        APPLICATION = "application", _("申请后审核")
        APPOINTED = "appointed", _("仅平台指定")
        SPEND = "spend", _("累计消费达标")

    class BindMode(models.TextChoices):
        FIRST = "first", _("首次链接有效")
        NEW_USERS = "new_users", _("仅新用户")
        LAST = "last", _("最后链接有效")

    is_enabled = models.BooleanField(_("启用分销"), default=True)
    levels = models.PositiveSmallIntegerField(
        _("分销层级"), choices=[(1, _("一级")), (2, _("二级"))], default=2
    )
    level1_rate = models.DecimalField(_("一级佣金比例(%)"), **RATE, default=Decimal("10.00"))
    level2_rate = models.DecimalField(_("二级佣金比例(%)"), **RATE, default=Decimal("5.00"))
    base = models.CharField(_("佣金基数"), max_length=12, choices=Base.choices, default=Base.PAID)
    is_self_purchase_rebate = models.BooleanField(
        _("自购返佣"), default=False, help_text=_("推广员自己购买时按一级佣金返给自己")
    )
    is_wholesale_enabled = models.BooleanField(_("批发订单计佣"), default=False)
    freeze_days = models.PositiveIntegerField(
        _("冻结天数"), default=7, help_text=_("确认收货后经过这些天（且无进行中的售后）才可提现")
    )
    qualification = models.CharField(
        _("成为推广员的方式"),
        max_length=12,
        choices=Qualification.choices,
        default=Qualification.APPLICATION,
    )
    spend_threshold = models.DecimalField(
        _("累计消费门槛"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    bind_mode = models.CharField(
        _("绑定规则"), max_length=12, choices=BindMode.choices, default=BindMode.FIRST
    )
    bind_days = models.PositiveIntegerField(
        _("绑定有效天数"), default=0, help_text=_("0 表示永久有效")
    )
    withdrawal_min = models.DecimalField(
        _("单笔最低提现"), **MONEY, default=Decimal("10.00"), validators=[MinValueValidator(ZERO)]
    )
    withdrawal_max = models.DecimalField(
        _("单笔最高提现"),
        **MONEY,
        default=Decimal("5000.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    withdrawal_fee_rate = models.DecimalField(_("提现手续费(%)"), **RATE, default=ZERO)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("生效时间"), auto_now_add=True, db_index=True)

    APPEND_ONLY_UPDATABLE = ("actor",)

    class Meta:
        verbose_name = _("分销设置")
        verbose_name_plural = _("分销设置（历史版本）")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"分销设置 {self.created_at:%Y-%m-%d %H:%M}" if self.created_at else "分销设置"

    def clean(self) -> None:
        errors = {}
        if (self.level1_rate or ZERO) + (self.level2_rate or ZERO) > 100:
            errors["level2_rate"] = _("一级与二级佣金比例之和不能超过 100%。")
        if (
            self.withdrawal_min is not None
            and self.withdrawal_max is not None
            and self.withdrawal_min > self.withdrawal_max
        ):
            errors["withdrawal_max"] = _("最高提现金额不能低于最低提现金额。")
        if errors:
            raise ValidationError(errors)


class PromoterGrade(TimeStampedModel):
    """A promoter grade with its own rates (they take precedence over the global rates)."""

    name = models.CharField(_("等级名称"), max_length=30, unique=True)
    level1_rate = models.DecimalField(_("一级佣金比例(%)"), **RATE)
    level2_rate = models.DecimalField(_("二级佣金比例(%)"), **RATE)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("推广员等级")
        verbose_name_plural = _("推广员等级")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (self.level1_rate or ZERO) + (self.level2_rate or ZERO) > 100:
            raise ValidationError({"level2_rate": _("一级与二级佣金比例之和不能超过 100%。")})


class Promoter(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACTIVE = "active", _("正常")
        REJECTED = "rejected", _("未通过")
        DISABLED = "disabled", _("已停用")

    class Source(models.TextChoices):
        EVERYONE = "everyone", _("自助开通")
        APPLICATION = "application", _("申请审核")
        APPOINTED = "appointed", _("平台指定")
        SPEND = "spend", _("消费达标")

    TRANSITIONS = {
        Status.PENDING: {Status.ACTIVE, Status.REJECTED},
        Status.ACTIVE: {Status.DISABLED},
        Status.DISABLED: {Status.ACTIVE},
        Status.REJECTED: {Status.PENDING, Status.ACTIVE},
    }
    TRANSITION_ERROR_CODE = DistributionErrorCode.INVALID_TRANSITION
    STATUS_TIMESTAMPS = {Status.ACTIVE: "approved_at"}

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="promoter",
        verbose_name=_("用户"),
    )
    code = models.CharField(_("推广码"), max_length=12, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    grade = models.ForeignKey(
        PromoterGrade,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promoters",
        verbose_name=_("等级"),
    )
    real_name = models.CharField(_("姓名"), max_length=30, blank=True)
    note = models.CharField(_("申请说明"), max_length=200, blank=True)
    # What the platform owes the promoter: the sum of its BalanceEntry rows, changed only
    # together with an entry (services/ledger.py). May go negative after a clawback.
    balance = models.DecimalField(_("可提现余额"), **MONEY, default=ZERO)
    approved_at = models.DateTimeField(_("开通时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推广员")
        verbose_name_plural = _("推广员")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} ({self.code})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class PromoterEvent(StatusEvent):
    promoter = models.ForeignKey(Promoter, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = verbose_name_plural = _("推广员记录")


class ReferralBinding(TimeStampedModel):
    """A user's level-1 upline: the promoter who brought them."""

    class Source(models.TextChoices):
        LINK = "link", _("分享链接")
        CODE = "code", _("推广码")
        STAFF = "staff", _("平台调整")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="referral_binding",
        verbose_name=_("用户"),
    )
    promoter = models.ForeignKey(
        Promoter, on_delete=models.PROTECT, related_name="bindings", verbose_name=_("上级推广员")
    )
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    bound_at = models.DateTimeField(_("绑定时间"))
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推广关系")
        verbose_name_plural = _("推广关系")
        ordering = ["-bound_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} → {self.promoter.code}"


class BindingChange(AppendOnlyModel):
    """Every change of a user's upline: bound, replaced, cleared, by whom and why."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="binding_changes",
        verbose_name=_("用户"),
    )
    old_promoter = models.ForeignKey(
        Promoter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("原上级"),
    )
    new_promoter = models.ForeignKey(
        Promoter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("新上级"),
    )
    source = models.CharField(_("来源"), max_length=10, choices=ReferralBinding.Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    APPEND_ONLY_UPDATABLE = ("actor",)

    class Meta:
        verbose_name = verbose_name_plural = _("推广关系变更记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.old_promoter_id} → {self.new_promoter_id}"


class CommissionOverride(TimeStampedModel):
    """A merchant's commission setting for a product (sku empty) or one of its SKUs: switched
    off, or a fixed amount per piece per level that takes precedence over any rate."""

    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.CASCADE,
        related_name="commission_overrides",
        verbose_name=_("商品"),
    )
    sku = models.ForeignKey(
        "catalog.Sku",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="commission_overrides",
        verbose_name=_("规格"),
        help_text=_("留空表示整个商品"),
    )
    is_disabled = models.BooleanField(_("不参与分销"), default=False)
    level1_amount = models.DecimalField(
        _("一级固定佣金(每件)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    level2_amount = models.DecimalField(
        _("二级固定佣金(每件)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )

    class Meta:
        verbose_name = verbose_name_plural = _("商品佣金设置")
        constraints = [
            models.UniqueConstraint(fields=["product", "sku"], name="uniq_commission_override_sku"),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(sku__isnull=True),
                name="uniq_commission_override_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}" + (f" / {self.sku.spec}" if self.sku_id else "")

    def clean(self) -> None:
        if self.sku_id and self.product_id and self.sku.product_id != self.product_id:
            raise ValidationError({"sku": _("规格不属于这个商品。")})


class CommissionRecord(TimeStampedModel):
    """What one promoter earns on one order line at one level.

    `amount` is fixed at payment with the base and the rate (or fixed amount) it came from;
    refunds raise `reversed_amount`, so the commission now due is `amount − reversed_amount`.
    """

    class Status(models.TextChoices):
        FROZEN = "frozen", _("冻结中")
        AVAILABLE = "available", _("已入账")
        CANCELLED = "cancelled", _("已取消")

    TRANSITIONS = {
        Status.FROZEN: {Status.AVAILABLE, Status.CANCELLED},
        Status.AVAILABLE: {Status.CANCELLED},
        Status.CANCELLED: set(),
    }
    TRANSITION_ERROR_CODE = DistributionErrorCode.INVALID_TRANSITION
    STATUS_TIMESTAMPS = {Status.AVAILABLE: "available_at", Status.CANCELLED: "cancelled_at"}
    LEVEL_CHOICES = [(1, _("一级")), (2, _("二级"))]

    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="commission_records",
        verbose_name=_("订单"),
    )
    line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        related_name="commission_records",
        verbose_name=_("订单商品"),
    )
    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("店铺")
    )
    promoter = models.ForeignKey(
        Promoter,
        on_delete=models.PROTECT,
        related_name="commission_records",
        verbose_name=_("推广员"),
    )
    level = models.PositiveSmallIntegerField(_("层级"), choices=LEVEL_CHOICES)
    base = models.DecimalField(_("计佣基数"), **MONEY)
    rate = models.DecimalField(_("佣金比例(%)"), max_digits=5, decimal_places=2, null=True)
    fixed_amount = models.DecimalField(_("固定佣金(每件)"), **MONEY, null=True)
    amount = models.DecimalField(_("佣金"), **MONEY)
    reversed_amount = models.DecimalField(_("已冲回"), **MONEY, default=ZERO)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.FROZEN, db_index=True
    )
    available_at = models.DateTimeField(_("入账时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("佣金记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Never paid twice: one record per order line per level.
            models.UniqueConstraint(fields=["line", "level"], name="uniq_commission_line_level"),
            models.CheckConstraint(
                condition=Q(amount__gte=0)
                & Q(reversed_amount__gte=0)
                & Q(reversed_amount__lte=models.F("amount")),
                name="commission_amounts_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["promoter", "status"], name="commission_promoter_idx"),
            # The promoter's newest records (dashboard, list) and the dashboard's sums as an
            # index-only scan: amounts and status ride along in the index.
            models.Index(
                fields=["promoter", "created_at", "id"],
                include=["status", "amount", "reversed_amount"],
                name="commission_promoter_recent_idx",
            ),
            models.Index(
                fields=["order"], condition=Q(status="frozen"), name="commission_frozen_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} L{self.level} ¥{self.amount}"

    @property
    def net_amount(self) -> Decimal:
        return self.amount - self.reversed_amount


class CommissionEvent(StatusEvent):
    commission = models.ForeignKey(
        CommissionRecord, on_delete=models.CASCADE, related_name="events"
    )

    class Meta(StatusEvent.Meta):
        verbose_name = verbose_name_plural = _("佣金记录变动")


class Withdrawal(TimeStampedModel):
    class Status(models.TextChoices):
        AUDITING = "auditing", _("审核中")
        APPROVED = "approved", _("已通过待打款")
        PAID = "paid", _("已打款")
        FAILED = "failed", _("打款失败")
        REJECTED = "rejected", _("已驳回")

    class Method(models.TextChoices):
        BANK = "bank", _("银行卡")
        ALIPAY = "alipay", _("支付宝")
        WECHAT = "wechat", _("微信")
        BALANCE = "balance", _("平台余额")

    TRANSITIONS = {
        Status.AUDITING: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: {Status.PAID, Status.FAILED},
        Status.PAID: set(),
        Status.FAILED: set(),
        Status.REJECTED: set(),
    }
    TRANSITION_ERROR_CODE = DistributionErrorCode.INVALID_TRANSITION
    STATUS_TIMESTAMPS = {
        Status.APPROVED: "reviewed_at",
        Status.REJECTED: "reviewed_at",
        Status.PAID: "paid_at",
    }
    RETURNING_STATUSES = frozenset({Status.REJECTED, Status.FAILED})

    number = models.CharField(_("提现单号"), max_length=32, unique=True)
    promoter = models.ForeignKey(
        Promoter, on_delete=models.PROTECT, related_name="withdrawals", verbose_name=_("推广员")
    )
    amount = models.DecimalField(
        _("提现金额"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    fee = models.DecimalField(_("手续费"), **MONEY, default=ZERO)
    net_amount = models.DecimalField(_("实际到账"), **MONEY)
    method = models.CharField(_("提现方式"), max_length=10, choices=Method.choices)
    account_name = models.CharField(_("收款人"), max_length=30, blank=True)
    account_number = models.CharField(_("收款账号"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.AUDITING, db_index=True
    )
    payout_reference = models.CharField(_("打款流水号"), max_length=64, blank=True)
    reason = models.CharField(_("驳回/失败原因"), max_length=200, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("打款时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("提现申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(fee__gte=0)
                # Rounded to the fen: exact on PostgreSQL's numeric; the embedded SQLite default
                # subtracts as floats (100.01 − 0.60 = 99.41000000000001).
                & Q(net_amount=Round(models.F("amount") - models.F("fee"), 2)),
                name="withdrawal_amounts_valid",
            )
        ]
        permissions = [("review_withdrawal", _("可以审核提现和打款"))]

    def __str__(self) -> str:
        return self.number


class WithdrawalEvent(StatusEvent):
    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = verbose_name_plural = _("提现记录")


class BalanceEntry(AppendOnlyModel):
    """One movement of a promoter's balance; the balance is their sum, to the fen."""

    class Type(models.TextChoices):
        COMMISSION = "commission", _("佣金入账")
        CLAWBACK = "clawback", _("退款扣回")
        WITHDRAWAL = "withdrawal", _("提现")
        WITHDRAWAL_RETURN = "withdrawal_return", _("提现退回")
        ADJUSTMENT = "adjustment", _("调账")

    promoter = models.ForeignKey(
        Promoter,
        on_delete=models.PROTECT,
        related_name="balance_entries",
        verbose_name=_("推广员"),
    )
    type = models.CharField(_("类型"), max_length=20, choices=Type.choices)
    amount = models.DecimalField(_("金额"), **MONEY)
    commission = models.ForeignKey(
        CommissionRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="balance_entries",
        verbose_name=_("佣金记录"),
    )
    withdrawal = models.ForeignKey(
        Withdrawal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="balance_entries",
        verbose_name=_("提现申请"),
    )
    idempotency_key = models.CharField(max_length=255, unique=True)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    APPEND_ONLY_UPDATABLE = ("actor",)

    class Meta:
        verbose_name = verbose_name_plural = _("推广员余额流水")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["promoter", "created_at"], name="balance_promoter_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="balance_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(type__in=["commission", "withdrawal_return"], amount__gt=0)
                | Q(type__in=["clawback", "withdrawal"], amount__lt=0)
                | Q(type="adjustment"),
                name="balance_sign_matches_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.amount}"
