"""Promotions (营销): coupons and what shoppers hold of them, spend-and-save offers (满减/满折)
and limited-time prices (限时价).

Who pays is the issuer: a row with a store is funded by that store, a row without one by the
platform. Discounts are computed by the pure functions of `apps.promotions.rules` and enter the
order through orders' pricing home (docs/promotions.md).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.promotions.rules import funder_of

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class Scope(models.TextChoices):
    ALL = "all", _("全部商品")  # the platform: every store; a store: all its goods
    CATEGORIES = "categories", _("指定类目")
    PRODUCTS = "products", _("指定商品")


class Coupon(TimeStampedModel):
    """A coupon template (券): its rule, validity and limits. Shoppers hold `UserCoupon`s."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("满减券")
        PERCENT = "percent", _("折扣券")
        SHIPPING = "shipping", _("免运费券")

    class Distribution(models.TextChoices):
        CLAIM = "claim", _("领券中心领取")
        SEND = "send", _("定向发放")
        CODE = "code", _("兑换码")

    name = models.CharField(_("名称"), max_length=60)
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coupons",
        verbose_name=_("店铺"),
        help_text=_("留空为平台券（平台出资）；选择店铺则为店铺券（店铺出资）。"),
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.FIXED)
    amount = models.DecimalField(
        _("减免金额"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    percent_off = models.PositiveSmallIntegerField(
        _("折扣（减百分之几）"),
        default=0,
        validators=[MaxValueValidator(99)],
        help_text=_("折扣券：10 表示减 10%（九折）。"),
    )
    cap = models.DecimalField(
        _("最高减免"), **MONEY, null=True, blank=True, help_text=_("折扣券的封顶金额，留空不封顶。")
    )
    threshold = models.DecimalField(
        _("使用门槛"),
        **MONEY,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text=_("适用商品（其他优惠之后）满多少元可用，0 为无门槛。"),
    )
    scope = models.CharField(_("适用范围"), max_length=12, choices=Scope.choices, default=Scope.ALL)
    categories = models.ManyToManyField(
        "catalog.Category", blank=True, related_name="+", verbose_name=_("适用类目")
    )
    products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+", verbose_name=_("适用商品")
    )
    valid_from = models.DateTimeField(_("生效时间"), default=timezone.now)
    valid_until = models.DateTimeField(_("失效时间"))
    distribution = models.CharField(
        _("发放方式"), max_length=8, choices=Distribution.choices, default=Distribution.CLAIM
    )
    code = models.CharField(
        _("兑换码"), max_length=32, null=True, blank=True, unique=True, help_text=_("兑换码券必填")
    )
    total_quantity = models.PositiveIntegerField(
        _("发放总量"), null=True, blank=True, help_text=_("留空不限量。")
    )
    per_user_limit = models.PositiveSmallIntegerField(
        _("每人限领"), default=1, validators=[MinValueValidator(1)]
    )
    issued_count = models.PositiveIntegerField(_("已发放"), default=0, editable=False)
    used_count = models.PositiveIntegerField(_("已使用"), default=0, editable=False)
    is_new_customer_only = models.BooleanField(
        _("仅限新客"), default=False, help_text=_("只有从未支付过订单的用户可以领取和使用。")
    )
    is_exclusive = models.BooleanField(
        _("不与其他优惠同享"),
        default=False,
        help_text=_("店铺券：本店商品不再叠加平台优惠；平台券：所覆盖店铺不再叠加店铺优惠。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("优惠券")
        verbose_name_plural = _("优惠券")
        ordering = ["-created_at"]
        permissions = [("send_coupon", _("可以向用户定向发券"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_quantity__isnull=True) | Q(issued_count__lte=F("total_quantity")),
                name="coupon_issued_within_total",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="coupon_valid_window"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.kind == self.Kind.FIXED and (self.amount or ZERO) <= ZERO:
            errors["amount"] = _("满减券须填写大于 0 的减免金额。")
        if self.kind == self.Kind.PERCENT and not self.percent_off:
            errors["percent_off"] = _("折扣券须填写 1–99 的折扣。")
        if self.kind == self.Kind.SHIPPING:
            # It waives freight, not goods: a separate slot, one per checkout (rules.py).
            if self.amount or self.percent_off:
                errors["kind"] = _("免运费券减免运费，不填减免金额或折扣（可填最高减免）。")
            if self.is_exclusive:
                errors["is_exclusive"] = _("免运费券可与其他优惠同享，不能设为独享。")
        if self.distribution == self.Distribution.CODE and not self.code:
            errors["code"] = _("兑换码券须填写兑换码。")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = _("失效时间须晚于生效时间。")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.code:
            self.code = self.code.strip().upper()
        else:
            self.code = None
        super().save(*args, **kwargs)

    @property
    def funder(self) -> str:
        return funder_of(self.store_id)

    @property
    def funder_label(self) -> str:
        return str(_("平台")) if self.store_id is None else str(self.store)

    @property
    def remaining(self) -> int | None:
        if self.total_quantity is None:
            return None
        return max(self.total_quantity - self.issued_count, 0)


class UserCoupon(TimeStampedModel):
    """One coupon a shopper holds. available → used (inside the order's transaction, by a
    guarded UPDATE); used → available when the unpaid order is cancelled or times out."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("未使用")
        USED = "used", _("已使用")

    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, related_name="holdings", verbose_name=_("优惠券")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="coupons",
        verbose_name=_("用户"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.AVAILABLE, db_index=True
    )
    source = models.CharField(_("来源"), max_length=8, choices=Coupon.Distribution.choices)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    # The payment order (checkout) that used it: a number, as promotions sits below orders.
    used_reference = models.CharField(_("使用订单"), max_length=32, blank=True, db_index=True)
    discount_amount = models.DecimalField(_("抵扣金额"), **MONEY, default=ZERO)

    class Meta:
        verbose_name = _("用户优惠券")
        verbose_name_plural = _("用户优惠券")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "status"], name="usercoupon_user_status_idx")]

    def __str__(self) -> str:
        return f"{self.coupon} · {self.user}"

    def is_expired(self, now=None) -> bool:
        return self.coupon.valid_until <= (now or timezone.now())


class Promotion(TimeStampedModel):
    """Spend-and-save (满减 / 满折) over a store's goods or, without a store, the whole
    platform; the best tier the goods reach applies. No claiming: it applies by itself."""

    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("满减")
        PERCENT_OFF = "percent_off", _("满折")

    name = models.CharField(_("名称"), max_length=60)
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promotions",
        verbose_name=_("店铺"),
        help_text=_("留空为平台活动（平台出资）。"),
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.AMOUNT_OFF)
    starts_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ends_at = models.DateTimeField(_("结束时间"))
    is_exclusive = models.BooleanField(
        _("不与其他优惠同享"), default=False, help_text=_("参与本活动的商品不再叠加平台券。")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("满减活动")
        verbose_name_plural = _("满减活动")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="promotion_window"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def funder(self) -> str:
        return funder_of(self.store_id)


class PromotionTier(models.Model):
    """满 `threshold` 减 `amount_off` (or 满 `threshold` 打折: `percent_off` off)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="tiers")
    threshold = models.DecimalField(_("满"), **MONEY, validators=[MinValueValidator(ZERO)])
    amount_off = models.DecimalField(_("减"), **MONEY, default=ZERO)
    percent_off = models.PositiveSmallIntegerField(
        _("减百分之几"), default=0, validators=[MaxValueValidator(99)]
    )

    class Meta:
        verbose_name = _("活动档位")
        verbose_name_plural = _("活动档位")
        ordering = ["threshold"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "threshold"], name="uniq_promotion_tier")
        ]

    def __str__(self) -> str:
        return f"满{self.threshold}"


class FlashPrice(TimeStampedModel):
    """A limited-time price (限时价) on one SKU, funded by its store; outside the window the
    SKU's own price applies by itself (nothing to switch back)."""

    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.CASCADE, related_name="flash_prices", verbose_name=_("规格")
    )
    price = models.DecimalField(_("活动价"), **MONEY, validators=[MinValueValidator(ZERO)])
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    promo_stock = models.PositiveIntegerField(
        _("活动库存"), null=True, blank=True, help_text=_("留空不限。")
    )
    sold = models.PositiveIntegerField(_("已售"), default=0, editable=False)
    per_user_limit = models.PositiveSmallIntegerField(
        _("每人限购"), null=True, blank=True, help_text=_("留空不限。")
    )
    is_new_customer_only = models.BooleanField(_("仅限新客"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("限时价")
        verbose_name_plural = _("限时价")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="flash_price_window"
            ),
            models.CheckConstraint(
                condition=Q(promo_stock__isnull=True) | Q(sold__lte=F("promo_stock")),
                name="flash_price_sold_within_stock",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} ¥{self.price}"

    @property
    def store_id(self) -> int:
        return self.sku.product.store_id


class FlashPurchase(models.Model):
    """Pieces bought at a flash price by one checkout (per-user limit; returned on cancel)."""

    flash_price = models.ForeignKey(FlashPrice, on_delete=models.PROTECT, related_name="purchases")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    reference = models.CharField(max_length=32, db_index=True)
    is_returned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("限时价购买")
        verbose_name_plural = _("限时价购买")

    def __str__(self) -> str:
        return f"{self.flash_price_id} × {self.quantity} ({self.reference})"
