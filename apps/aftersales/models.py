"""After-sale requests (售后: refund only, or return and refund) and product reviews (评价).

An after-sale covers some lines of one store order; its money goes back through
payments.refund_create (or the wholesale credit ledger for orders on account) and is booked on
the order by orders.order_record_refund once the refund has succeeded.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.aftersales.errors import AfterSaleErrorCode
from apps.core.models import StatusEvent, TimeStampedModel
from apps.core.validators import validate_visible_text

MONEY = {"max_digits": 12, "decimal_places": 2}
CENT = Decimal("0.01")


class AfterSale(TimeStampedModel):
    class Type(models.TextChoices):
        REFUND_ONLY = "refund_only", _("仅退款")
        RETURN_AND_REFUND = "return_and_refund", _("退货退款")

    class Reason(models.TextChoices):
        QUALITY = "quality", _("质量问题")
        DAMAGED = "damaged", _("运输破损/腐烂变质")
        WRONG_ITEM = "wrong_item", _("商家发错货")
        MISSING = "missing", _("少件/漏发")
        NOT_AS_DESCRIBED = "not_as_described", _("与商品描述不符")
        NOT_RECEIVED = "not_received", _("未收到货")
        NO_LONGER_NEEDED = "no_longer_needed", _("不想要了/拍错了")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待商家处理")
        APPROVED = "approved", _("商家已同意")
        RETURNED = "returned", _("买家已寄回")
        RECEIVED = "received", _("商家已收货")
        REFUNDED = "refunded", _("已退款")
        REJECTED = "rejected", _("商家已拒绝")
        DISPUTED = "disputed", _("平台介入中")
        WITHDRAWN = "withdrawn", _("买家已撤销")

    # Allowed moves; the services check them (one service per verb).
    TRANSITIONS = {
        Status.REQUESTED: {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN},
        # approved → refunded for refund only; → returned for a return; a return not yet
        # shipped back may still be withdrawn.
        Status.APPROVED: {Status.RETURNED, Status.REFUNDED, Status.WITHDRAWN},
        Status.RETURNED: {Status.RECEIVED},
        Status.RECEIVED: {Status.REFUNDED},
        Status.REJECTED: {Status.DISPUTED},
        Status.DISPUTED: {Status.APPROVED, Status.REJECTED},
        Status.REFUNDED: set(),
        Status.WITHDRAWN: set(),
    }
    TRANSITION_ERROR_CODE = AfterSaleErrorCode.INVALID_TRANSITION
    # While open, its lines count against what may still be claimed on the order lines.
    OPEN_STATUSES = frozenset(
        {Status.REQUESTED, Status.APPROVED, Status.RETURNED, Status.RECEIVED, Status.DISPUTED}
    )

    number = models.CharField(_("售后单号"), max_length=32, unique=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="aftersales", verbose_name=_("订单")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="aftersales",
        verbose_name=_("买家"),
    )
    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="aftersales", verbose_name=_("店铺")
    )
    type = models.CharField(_("售后类型"), max_length=20, choices=Type.choices)
    reason = models.CharField(_("售后原因"), max_length=20, choices=Reason.choices)
    reason_text = models.CharField(
        _("问题描述"), max_length=500, blank=True, validators=[validate_visible_text]
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    amount_requested = models.DecimalField(_("申请退款金额"), **MONEY)
    amount_approved = models.DecimalField(_("同意退款金额"), **MONEY, null=True, blank=True)
    reject_reason = models.CharField(_("拒绝原因"), max_length=300, blank=True)
    dispute_reason = models.CharField(
        _("申请平台介入理由"), max_length=300, blank=True, validators=[validate_visible_text]
    )
    # Set once staff decided a dispute: their word is final, no second escalation.
    is_arbitrated = models.BooleanField(_("平台已裁决"), default=False)
    return_carrier = models.CharField(_("退货快递公司"), max_length=40, blank=True)
    return_tracking_number = models.CharField(_("退货运单号"), max_length=40, blank=True)
    approved_at = models.DateTimeField(_("同意时间"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("拒绝时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("寄回时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("收货时间"), null=True, blank=True)
    # When the refund was asked of the payment provider (or the credit ledger).
    refund_started_at = models.DateTimeField(_("发起退款时间"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("退款完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("售后单")
        verbose_name_plural = _("售后单")
        ordering = ["-created_at", "-id"]
        permissions = [("arbitrate_aftersale", _("可仲裁售后纠纷"))]
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="aftersale_buyer_idx"),
            models.Index(fields=["store", "status", "-created_at"], name="aftersale_store_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_requested__gte=CENT), name="aftersale_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount_approved__isnull=True)
                | (
                    Q(amount_approved__gte=CENT)
                    & Q(amount_approved__lte=models.F("amount_requested"))
                ),
                name="aftersale_approved_lte_requested",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("aftersales:detail", kwargs={"number": self.number})

    @property
    def refund_reference(self) -> str:
        """The reference payments and orders record for this after-sale's refund."""
        return f"aftersale:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_return(self) -> bool:
        return self.type == self.Type.RETURN_AND_REFUND

    @property
    def refund_amount(self) -> Decimal:
        return self.amount_approved if self.amount_approved is not None else self.amount_requested

    @property
    def is_awaiting_return(self) -> bool:
        return self.is_return and self.status == self.Status.APPROVED

    @property
    def is_refunding(self) -> bool:
        return self.refund_started_at is not None and self.status != self.Status.REFUNDED

    @property
    def status_display(self) -> str:
        """The status as the shopper reads it: what happens next, not only what happened."""
        if self.is_refunding:
            return str(_("退款中"))
        if self.is_awaiting_return:
            return str(_("待寄回商品"))
        return self.get_status_display()

    @property
    def status_css(self) -> str:
        if self.status == self.Status.REFUNDED:
            return "is-done"
        if self.status in (self.Status.REJECTED, self.Status.WITHDRAWN):
            return "is-closed"
        return ""


class AfterSaleLine(models.Model):
    """How many of an order line this after-sale claims back, and for how much."""

    aftersale = models.ForeignKey(
        AfterSale, on_delete=models.CASCADE, related_name="lines", verbose_name=_("售后单")
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        related_name="aftersale_lines",
        verbose_name=_("订单商品"),
    )
    quantity = models.PositiveIntegerField(_("数量"), validators=[MinValueValidator(1)])
    amount = models.DecimalField(_("退款金额"), **MONEY)
    # Mirrors aftersale.is_open so the database itself keeps one open claim per order line.
    is_open = models.BooleanField(default=True, editable=False, verbose_name=_("处理中"))

    class Meta:
        verbose_name = _("售后商品")
        verbose_name_plural = _("售后商品")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["aftersale", "order_line"], name="uniq_aftersale_order_line"
            ),
            models.UniqueConstraint(
                fields=["order_line"],
                condition=Q(is_open=True),
                name="one_open_aftersale_per_line",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="aftersale_line_qty_pos"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="aftersale_line_amount_gte0"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line.title} {self.order_line.spec} × {self.quantity}"


class AfterSalePhoto(models.Model):
    """A checked, EXIF-free photo the buyer attached (proof of the problem)."""

    aftersale = models.ForeignKey(
        AfterSale, on_delete=models.CASCADE, related_name="photos", verbose_name=_("售后单")
    )
    image = models.ImageField(_("图片"), upload_to="aftersales/%Y/%m/")
    thumbnail = models.ImageField(_("缩略图"), upload_to="aftersales/thumbs/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("宽度（像素）"))
    height = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("高度（像素）"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("售后凭证")
        verbose_name_plural = _("售后凭证")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class AfterSaleEvent(StatusEvent):
    """Every state change of an after-sale, with who, when and why."""

    aftersale = models.ForeignKey(
        AfterSale, on_delete=models.CASCADE, related_name="events", verbose_name=_("售后单")
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("售后记录")
        verbose_name_plural = _("售后记录")

    def __str__(self) -> str:
        return str(self.to_label)

    @property
    def to_label(self) -> str:
        return AfterSale.Status(self.to_status).label


class Review(TimeStampedModel):
    """A buyer's rating of one order line of a completed order; the merchant may reply once."""

    order_line = models.OneToOneField(
        "orders.OrderLine",
        on_delete=models.CASCADE,
        related_name="review",
        verbose_name=_("订单商品"),
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="reviews", verbose_name=_("商品")
    )
    store = models.ForeignKey(
        "stores.Store", on_delete=models.CASCADE, related_name="reviews", verbose_name=_("店铺")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviews",
        verbose_name=_("买家"),
    )
    rating = models.PositiveSmallIntegerField(
        _("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.CharField(
        _("评价内容"), max_length=500, blank=True, validators=[validate_visible_text]
    )
    is_visible = models.BooleanField(_("前台显示"), default=True, db_index=True)
    reply_text = models.CharField(_("商家回复"), max_length=500, blank=True)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("回复人"),
    )

    class Meta:
        verbose_name = _("商品评价")
        verbose_name_plural = _("商品评价")
        ordering = ["-created_at", "-id"]
        permissions = [("moderate_review", _("可管理评价的前台显示"))]
        indexes = [
            models.Index(
                fields=["product", "is_visible", "-created_at"], name="review_product_idx"
            ),
            models.Index(fields=["store", "-created_at"], name="review_store_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} ★{self.rating}"

    @property
    def has_reply(self) -> bool:
        return self.replied_at is not None

    @property
    def buyer_display_name(self) -> str:
        """The buyer's name masked for the public page (first character + **)."""
        name = (self.buyer.name or "").strip() or str(_("田间用户"))
        return f"{name[0]}**"


class ReviewPhoto(models.Model):
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="photos", verbose_name=_("评价")
    )
    image = models.ImageField(_("图片"), upload_to="reviews/%Y/%m/")
    thumbnail = models.ImageField(_("缩略图"), upload_to="reviews/thumbs/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("宽度（像素）"))
    height = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("高度（像素）"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评价图片")
        verbose_name_plural = _("评价图片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name
