"""Wholesale buyers (B2B): organisations, their verification, credit (账期) and statements."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.models import AppendOnlyModel, StatusEvent, TimeStampedModel
from apps.core.validators import validate_display_name
from apps.wholesale.errors import WholesaleErrorCode

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class BuyerOrganisation(TimeStampedModel):
    class Kind(models.TextChoices):
        COMMUNITY_SHOP = "community_shop", _("社区门店")
        SUPERMARKET = "supermarket", _("商超")
        HOTEL = "hotel", _("酒店餐饮")
        CANTEEN = "canteen", _("单位食堂")
        FARMERS_MARKET = "farmers_market", _("农贸市场")
        SCENIC_SHOP = "scenic_shop", _("景区门店")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        VERIFIED = "verified", _("已认证")
        REJECTED = "rejected", _("已驳回")

    # A rejected applicant may correct its application and submit it again.
    TRANSITIONS = {
        Status.PENDING: {Status.VERIFIED, Status.REJECTED},
        Status.VERIFIED: set(),
        Status.REJECTED: {Status.PENDING},
    }
    # Reviewing an organisation that is not pending answers "not pending" (the API's code).
    TRANSITION_ERROR_CODE = WholesaleErrorCode.NOT_PENDING

    name = models.CharField(_("单位名称"), max_length=80, validators=[validate_display_name])
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    licence_number = models.CharField(_("营业执照号/统一社会信用代码"), max_length=30)
    licence_image = models.ImageField(_("营业执照"), upload_to="wholesale/licences/", blank=True)
    contact_name = models.CharField(_("联系人"), max_length=30)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reject_reason = models.CharField(_("驳回原因"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # 账期: how much may be owed at once; 0 means pay online only.
    credit_limit = models.DecimalField(
        _("授信额度"),
        **MONEY,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
    )

    class Meta:
        verbose_name = _("批发采购单位")
        verbose_name_plural = _("批发采购单位")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("review_buyerorganisation", _("审核批发采购单位")),
            ("manage_credit_buyerorganisation", _("管理采购单位账期（授信、登记还款）")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="buyer_credit_limit_not_negative"
            ),
            # One live organisation per business licence; a rejected one does not block.
            models.UniqueConstraint(
                fields=["licence_number"],
                condition=~Q(status="rejected"),
                name="uniq_live_buyer_licence",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("wholesale:centre")

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class BuyerMember(models.Model):
    organisation = models.ForeignKey(
        BuyerOrganisation,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name=_("采购单位"),
    )
    # One organisation per user: the OneToOne makes a second application impossible.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="buyer_membership",
        verbose_name=_("用户"),
    )
    created_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("采购单位成员")
        verbose_name_plural = _("采购单位成员")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class BuyerOrganisationEvent(StatusEvent):
    """Every status and credit-limit change of an organisation, with who did it and why."""

    class Kind(models.TextChoices):
        STATUS = "status", _("状态变更")
        CREDIT_LIMIT = "credit_limit", _("授信额度调整")

    organisation = models.ForeignKey(
        BuyerOrganisation,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("采购单位"),
    )
    # The base's `kind`, with this model's kinds as choices (same type and length).
    kind = models.CharField(
        _("类型"), max_length=StatusEvent.KIND_LENGTH, choices=Kind.choices, default=Kind.STATUS
    )
    from_credit_limit = models.DecimalField(_("原额度"), **MONEY, null=True, blank=True)
    to_credit_limit = models.DecimalField(_("新额度"), **MONEY, null=True, blank=True)

    class Meta(StatusEvent.Meta):
        verbose_name = _("采购单位变更记录")
        verbose_name_plural = _("采购单位变更记录")

    def __str__(self) -> str:
        if self.kind == self.Kind.CREDIT_LIMIT:
            return f"¥{self.from_credit_limit} → ¥{self.to_credit_limit}"
        return super().__str__()


class CreditEntry(AppendOnlyModel):
    """Append-only credit ledger of an organisation: the balance owed is the sum of amounts.

    A charge (order on account) is positive, a release (cancelled order), a refund or a
    repayment recorded by staff is negative. Each entry has an idempotency key (kind + source).
    Charges, releases and refunds of one order share its `reference`.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", _("赊购")
        RELEASE = "release", _("取消返还")
        REFUND = "refund", _("退款冲减")
        REPAYMENT = "repayment", _("还款")
        ADJUSTMENT = "adjustment", _("调整")

    organisation = models.ForeignKey(
        BuyerOrganisation,
        on_delete=models.PROTECT,
        related_name="credit_entries",
        verbose_name=_("采购单位"),
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("金额"), **MONEY)
    idempotency_key = models.CharField(max_length=80, unique=True, verbose_name=_("幂等键"))
    reference = models.CharField(_("单号"), max_length=40, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    APPEND_ONLY_MESSAGE = _("账期流水只能追加，不能修改或删除；更正请登记一笔调整。")

    class Meta:
        verbose_name = _("账期流水")
        verbose_name_plural = _("账期流水")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["organisation", "created_at"], name="credit_entry_org_time_idx"),
            models.Index(fields=["organisation", "reference"], name="credit_entry_org_ref_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="credit_entry_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(kind="charge", amount__gt=0)
                | Q(kind__in=["release", "refund", "repayment"], amount__lt=0)
                | Q(kind="adjustment"),
                name="credit_entry_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class BuyerStatement(models.Model):
    """What an organisation owed over one calendar month (Asia/Shanghai), from its ledger.

    Every figure is a sum of CreditEntry amounts with their ledger sign (releases, refunds
    and repayments are negative), so closing = opening + all the movements (checked by the
    service that writes it), and generating it again from the same ledger gives the same
    numbers.
    """

    organisation = models.ForeignKey(
        BuyerOrganisation,
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name=_("采购单位"),
    )
    period_start = models.DateField(_("账期开始"))
    period_end = models.DateField(_("账期结束"), help_text=_("当月最后一天（含）"))
    opening_balance = models.DecimalField(_("期初应付"), **MONEY)
    charges = models.DecimalField(_("本期赊购"), **MONEY, default=ZERO)
    releases = models.DecimalField(_("取消返还"), **MONEY, default=ZERO)
    refunds = models.DecimalField(_("退款冲减"), **MONEY, default=ZERO)
    repayments = models.DecimalField(_("本期还款"), **MONEY, default=ZERO)
    adjustments = models.DecimalField(_("调整"), **MONEY, default=ZERO)
    closing_balance = models.DecimalField(_("期末应付"), **MONEY)
    entry_count = models.PositiveIntegerField(_("流水笔数"), default=0)
    generated_at = models.DateTimeField(_("生成时间"), auto_now=True)

    class Meta:
        verbose_name = _("采购月结账单")
        verbose_name_plural = _("采购月结账单")
        ordering = ["-period_start", "organisation_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_start"], name="uniq_buyer_statement_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.period_start:%Y-%m}"

    def get_absolute_url(self) -> str:
        return reverse("wholesale:statement_detail", kwargs={"pk": self.pk})
