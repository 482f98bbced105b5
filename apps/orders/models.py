"""Cart, addresses, freight templates, and orders: one checkout = one PaymentOrder split into
one Order per store (拆单), each with OrderLines that snapshot what was bought."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.models import StatusEvent, TimeStampedModel
from apps.core.validators import validate_display_name, validate_visible_text
from apps.orders.errors import OrderErrorCode
from apps.promotions.rules import PLATFORM as PLATFORM_FUNDER

MONEY = {"max_digits": 12, "decimal_places": 2}
UNIT = {"max_digits": 8, "decimal_places": 2}
ZERO = Decimal("0.00")


# --- Administrative divisions and addresses -----------------------------------------------


# Statistical groupings that are not places: "北京市市辖区东城区" reads "北京市东城区".
PLACEHOLDER_DIVISION_NAMES = frozenset(
    {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
)


class Division(models.Model):
    """Official division codes down to township (乡镇/街道), loaded from packaged data.

    Codes keep the statistics bureau's length per level (province 2, city 4, county 6,
    township 9 digits), so every prefix of a code is one of its ancestors.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省")
        CITY = 2, _("市")
        COUNTY = 3, _("区县")
        TOWNSHIP = 4, _("乡镇/街道")

    code = models.CharField(max_length=12, primary_key=True, verbose_name=_("代码"))
    name = models.CharField(max_length=60, verbose_name=_("名称"))
    level = models.PositiveSmallIntegerField(choices=Level.choices, verbose_name=_("级别"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return self.name


class Address(TimeStampedModel):
    """A shopper's address book entry. Orders copy it (snapshot), never point at it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="addresses",
        verbose_name=_("用户"),
    )
    contact_name = models.CharField(_("收货人"), max_length=30, validators=[validate_display_name])
    contact_phone = models.CharField(_("手机号"), max_length=20)
    province = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("省")
    )
    city = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("市"),
    )
    county = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("区县")
    )
    township = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("乡镇"),
    )
    detail = models.CharField(_("详细地址"), max_length=120, validators=[validate_display_name])
    is_default = models.BooleanField(_("默认地址"), default=False)

    class Meta:
        verbose_name = _("收货地址")
        verbose_name_plural = _("收货地址")
        ordering = ["-is_default", "-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="one_default_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_name} {self.full_text}"

    @property
    def region_text(self) -> str:
        parts = [self.province, self.city, self.county, self.township]
        return "".join(p.name for p in parts if p and p.name not in PLACEHOLDER_DIVISION_NAMES)

    @property
    def full_text(self) -> str:
        return self.region_text + self.detail

    @property
    def region_code(self) -> str:
        """The most specific division code: freight rules match it by prefix."""
        return self.township_id or self.county_id


# --- Freight ------------------------------------------------------------------------------


class ShippingTemplate(TimeStampedModel):
    """A store's freight rules: by piece or by weight, per-region rates, free threshold."""

    class Basis(models.TextChoices):
        PIECE = "piece", _("按件")
        WEIGHT = "weight", _("按重量(kg)")

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.CASCADE,
        related_name="shipping_templates",
        verbose_name=_("店铺"),
    )
    name = models.CharField(_("名称"), max_length=40)
    basis = models.CharField(_("计费方式"), max_length=10, choices=Basis.choices)
    # Default rates, for regions no rule names.
    first_unit = models.DecimalField(
        _("首件/首重"), **UNIT, default=1, validators=[MinValueValidator(Decimal("0.01"))]
    )
    first_fee = models.DecimalField(
        _("首费"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    extra_unit = models.DecimalField(
        _("续件/续重"), **UNIT, default=1, validators=[MinValueValidator(Decimal("0.01"))]
    )
    extra_fee = models.DecimalField(
        _("续费"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    free_threshold = models.DecimalField(
        _("满额包邮"), **MONEY, null=True, blank=True, help_text=_("商品金额达到此值免运费")
    )
    is_default = models.BooleanField(_("店铺默认模板"), default=True)

    class Meta:
        verbose_name = _("运费模板")
        verbose_name_plural = _("运费模板")
        constraints = [
            models.UniqueConstraint(
                fields=["store"], condition=Q(is_default=True), name="one_default_template"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ShippingRule(models.Model):
    """Rates for some regions (division codes, province or county level), or not served."""

    template = models.ForeignKey(
        ShippingTemplate, on_delete=models.CASCADE, related_name="rules", verbose_name=_("运费模板")
    )
    region_codes = models.JSONField(
        _("地区代码"),
        default=list,
        help_text=_("省（2 位）、市（4 位）或区县（6 位）行政区划代码，多个用逗号分隔"),
    )
    is_excluded = models.BooleanField(_("不配送"), default=False)
    first_unit = models.DecimalField(
        _("首件/首重"), **UNIT, default=1, validators=[MinValueValidator(Decimal("0.01"))]
    )
    first_fee = models.DecimalField(
        _("首费"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    extra_unit = models.DecimalField(
        _("续件/续重"), **UNIT, default=1, validators=[MinValueValidator(Decimal("0.01"))]
    )
    extra_fee = models.DecimalField(
        _("续费"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )

    class Meta:
        verbose_name = _("地区运费规则")
        verbose_name_plural = _("地区运费规则")

    def __str__(self) -> str:
        return ",".join(self.region_codes)


# --- Delivery methods (what a store offers and the shopper picks at checkout) ------------------
# The logistics app (above orders) ships through them; they live here because checkout reads
# them to price and validate an order.


class DeliveryMethod(models.TextChoices):
    EXPRESS = "express", _("快递")
    COUNTY = "county", _("县域配送")
    PICKUP = "pickup", _("社区自提")


class DeliveryOption(TimeStampedModel):
    """One delivery method a store offers. A store with no options offers express only."""

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.CASCADE,
        related_name="delivery_options",
        verbose_name=_("店铺"),
    )
    method = models.CharField(_("配送方式"), max_length=10, choices=DeliveryMethod.choices)
    is_enabled = models.BooleanField(_("启用"), default=True)
    # Chilled/frozen goods may only go by an option that keeps them cold.
    is_cold_chain = models.BooleanField(_("支持冷链"), default=False)
    # County delivery and pickup: flat fee per store order (express uses the freight template).
    fee = models.DecimalField(
        _("配送费"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    free_threshold = models.DecimalField(
        _("满额免配送费"), **MONEY, null=True, blank=True, help_text=_("商品金额达到此值免配送费")
    )
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("配送方式")
        verbose_name_plural = _("配送方式")
        constraints = [
            models.UniqueConstraint(fields=["store", "method"], name="uniq_store_delivery_method")
        ]

    def __str__(self) -> str:
        return self.get_method_display()


class DeliveryZone(TimeStampedModel):
    """Where a store's own county delivery goes (division-code prefixes) and at what fee."""

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.CASCADE,
        related_name="delivery_zones",
        verbose_name=_("店铺"),
    )
    name = models.CharField(_("名称"), max_length=40)
    region_codes = models.JSONField(
        _("地区代码"), default=list, help_text=_("区县（6 位）或乡镇（9 位）行政区划代码")
    )
    fee = models.DecimalField(
        _("配送费"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("县域配送区域")
        verbose_name_plural = _("县域配送区域")
        ordering = ["store", "name"]

    def __str__(self) -> str:
        return self.name


class DeliverySlot(TimeStampedModel):
    """A county-delivery time window. Orders placed before the cut-off go the same day,
    later ones the next day."""

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.CASCADE,
        related_name="delivery_slots",
        verbose_name=_("店铺"),
    )
    start_time = models.TimeField(_("开始"))
    end_time = models.TimeField(_("结束"))
    cutoff_time = models.TimeField(_("当日截单"), help_text=_("此时间前下单当日送达，之后次日"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("配送时段")
        verbose_name_plural = _("配送时段")
        ordering = ["store", "start_time"]

    def __str__(self) -> str:
        return f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"


class PickupPoint(TimeStampedModel):
    """A community pickup point (社区自提点): a partner shop managed by platform staff."""

    name = models.CharField(_("自提点名称"), max_length=60)
    shop_name = models.CharField(_("合作门店"), max_length=60)
    county_code = models.CharField(_("区县代码"), max_length=12)
    township_code = models.CharField(_("乡镇代码"), max_length=12, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    opening_hours = models.CharField(_("营业时间"), max_length=60)
    contact_name = models.CharField(_("联系人"), max_length=30)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    has_cold_storage = models.BooleanField(_("有冷藏柜"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    # The shop's staff who scan goods in and hand them over.
    clerks = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="pickup_points", verbose_name=_("店员")
    )

    class Meta:
        verbose_name = _("社区自提点")
        verbose_name_plural = _("社区自提点")
        ordering = ["county_code", "name"]

    def __str__(self) -> str:
        return self.name


# --- Cart ---------------------------------------------------------------------------------


class Cart(TimeStampedModel):
    """A guest's cart is keyed by session; a signed-in shopper's by user (merged at log-in)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("用户"),
    )
    session_key = models.CharField(
        max_length=64, null=True, blank=True, unique=True, verbose_name=_("会话")
    )

    class Meta:
        verbose_name = _("购物车")
        verbose_name_plural = _("购物车")

    def __str__(self) -> str:
        return f"cart#{self.pk}"


class CartLine(TimeStampedModel):
    cart = models.ForeignKey(
        Cart, on_delete=models.CASCADE, related_name="lines", verbose_name=_("购物车")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.CASCADE, related_name="+", verbose_name=_("规格")
    )
    quantity = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("数量")
    )

    class Meta:
        verbose_name = _("购物车商品")
        verbose_name_plural = _("购物车商品")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["cart", "sku"], name="uniq_cart_sku")]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.quantity}"


# --- Orders -------------------------------------------------------------------------------


class PaymentOrder(TimeStampedModel):
    """What the shopper pays once for one checkout; it covers one Order per store."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待支付")
        PAID = "paid", _("已支付")
        CANCELLED = "cancelled", _("已取消")

    class Method(models.TextChoices):
        ONLINE = "online", _("在线支付")
        CREDIT = "credit", _("账期支付")

    number = models.CharField(_("支付单号"), max_length=32, unique=True)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payment_orders",
        verbose_name=_("买家"),
    )
    amount = models.DecimalField(_("应付金额"), **MONEY)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    method = models.CharField(_("付款方式"), max_length=10, choices=Method.choices)
    # A repeated submit with the same key returns this payment order instead of a new one.
    idempotency_key = models.CharField(max_length=64, verbose_name=_("幂等键"))
    expires_at = models.DateTimeField(_("支付截止"), db_index=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("支付单")
        verbose_name_plural = _("支付单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "idempotency_key"], name="uniq_checkout_idempotency"
            )
        ]

    def __str__(self) -> str:
        return self.number


class Order(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("待付款")
        PAID = "paid", _("待发货")
        SHIPPED = "shipped", _("已发货")
        DELIVERED = "delivered", _("已送达")
        COMPLETED = "completed", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    TRANSITIONS = {
        Status.PENDING_PAYMENT: {Status.PAID, Status.CANCELLED},
        # paid → cancelled only when everything is refunded before shipping (交易关闭).
        Status.PAID: {Status.SHIPPED, Status.CANCELLED},
        Status.SHIPPED: {Status.DELIVERED, Status.COMPLETED},
        Status.DELIVERED: {Status.COMPLETED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
    }
    TRANSITION_ERROR_CODE = OrderErrorCode.INVALID_TRANSITION

    DeliveryMethod = DeliveryMethod

    number = models.CharField(_("订单号"), max_length=32, unique=True)
    payment_order = models.ForeignKey(
        PaymentOrder, on_delete=models.PROTECT, related_name="orders", verbose_name=_("支付单")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("买家"),
    )
    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="orders", verbose_name=_("店铺")
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING_PAYMENT,
        db_index=True,
    )
    # Snapshot of the address at checkout: {contact_name, contact_phone, division codes and
    # names (province/city/county/township), detail, full_text}.
    address = models.JSONField(_("收货地址"))
    delivery_method = models.CharField(
        _("配送方式"), max_length=20, choices=DeliveryMethod.choices, default=DeliveryMethod.EXPRESS
    )
    pickup_point = models.ForeignKey(
        PickupPoint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("自提点"),
    )
    # County delivery: the promised day and window (snapshot of the slot).
    delivery_date = models.DateField(_("配送日期"), null=True, blank=True)
    delivery_slot = models.CharField(_("配送时段"), max_length=20, blank=True)
    # Holds chilled or frozen goods: only cold-chain options and carriers may carry it.
    is_cold_chain = models.BooleanField(_("冷链"), default=False)
    goods_amount = models.DecimalField(_("商品金额"), **MONEY)
    freight_amount = models.DecimalField(_("运费"), **MONEY, default=ZERO)
    # A free-shipping coupon's share of this order's freight (total = goods − discount +
    # freight − this), with its code and who funds it ("platform" or "store:<id>").
    freight_discount_amount = models.DecimalField(_("运费减免"), **MONEY, default=ZERO)
    freight_discount_code = models.CharField(_("运费减免优惠"), max_length=40, blank=True)
    freight_discount_funder = models.CharField(_("运费减免出资方"), max_length=20, blank=True)
    discount_amount = models.DecimalField(_("优惠"), **MONEY, default=ZERO)
    total_amount = models.DecimalField(_("实付金额"), **MONEY)
    refunded_amount = models.DecimalField(_("已退款"), **MONEY, default=ZERO)
    commission_rate = models.DecimalField(_("平台佣金率"), max_digits=5, decimal_places=4)
    is_wholesale = models.BooleanField(_("批发订单"), default=False)
    buyer_organisation = models.ForeignKey(
        "wholesale.BuyerOrganisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("采购单位"),
    )
    buyer_note = models.CharField(
        _("买家留言"), max_length=200, blank=True, validators=[validate_visible_text]
    )
    # Promoter snapshot (distribution issue): who brought this sale, two levels at most.
    promoter_level1 = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    promoter_level2 = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A copy of the last parcel's carrier name and waybill number, set by order_ship when the
    # order becomes fully shipped, so order lists and the API show one without reading
    # logistics (a lower app); every parcel with its tracking is a logistics Shipment.
    carrier_name = models.CharField(_("快递公司"), max_length=40, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=40, blank=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "status", "-created_at"], name="order_buyer_idx"),
            models.Index(fields=["store", "status", "-created_at"], name="order_store_idx"),
            # The first page's "paid today / this week" figures (orders.selectors.
            # paid_order_figures) for staff and for one store: index-only range scans over paid
            # orders, instead of reading every order ever placed on each visit.
            models.Index(
                fields=["paid_at"],
                include=["status", "total_amount"],
                condition=Q(paid_at__isnull=False),
                name="order_paid_idx",
            ),
            models.Index(
                fields=["store", "paid_at"],
                include=["status", "total_amount"],
                condition=Q(paid_at__isnull=False),
                name="order_store_paid_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0) & Q(refunded_amount__lte=models.F("total_amount")),
                name="order_amounts_valid",
            )
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:order_detail", kwargs={"number": self.number})

    @property
    def freight_discount_platform_funded(self) -> bool:
        """The freight waiver is the platform's (settlement owes it to the store)."""
        return self.freight_discount_funder == PLATFORM_FUNDER


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("订单")
    )
    sku = models.ForeignKey(
        "catalog.Sku",
        on_delete=models.SET_NULL,
        null=True,
        related_name="order_lines",
        verbose_name=_("规格"),
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.SET_NULL,
        null=True,
        related_name="order_lines",
        verbose_name=_("商品"),
    )
    # Snapshot of what was bought, as the shopper saw it.
    title = models.CharField(_("商品名称"), max_length=120)
    spec = models.CharField(_("规格"), max_length=60)
    image = models.CharField(_("图片"), max_length=255, blank=True)
    unit_price = models.DecimalField(_("单价"), **MONEY)
    quantity = models.PositiveIntegerField(_("数量"), validators=[MinValueValidator(1)])
    line_amount = models.DecimalField(_("金额"), **MONEY)  # unit_price × quantity
    discount_amount = models.DecimalField(_("优惠"), **MONEY, default=ZERO)
    paid_amount = models.DecimalField(_("实付"), **MONEY)  # line_amount − discount share
    refunded_quantity = models.PositiveIntegerField(_("已退数量"), default=0)
    # Put into shipments so far (logistics); the order is shipped when every line is.
    shipped_quantity = models.PositiveIntegerField(_("已发数量"), default=0)
    refunded_amount = models.DecimalField(_("已退金额"), **MONEY, default=ZERO)
    # The lot the line was filled from, set at shipping (first-expiring active lot unless the
    # merchant picked another); a recall finds its buyers through it.
    lot = models.ForeignKey(
        "traceability.Lot",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_lines",
        verbose_name=_("批次"),
    )

    class Meta:
        verbose_name = _("订单商品")
        verbose_name_plural = _("订单商品")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.title} {self.spec} × {self.quantity}"


class OrderLineDiscount(models.Model):
    """One discount's share of one line, as pricing allocated it (pro rata, remainder on the
    largest line), with who funds it: settlement gives a store back the platform's shares."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="discounts")
    code = models.CharField(_("优惠"), max_length=40)  # "coupon:42", "promotion:7", "flash:3"
    label = models.CharField(_("名称"), max_length=60, blank=True)
    funder = models.CharField(_("出资方"), max_length=20)  # "platform" or "store:<id>"
    amount = models.DecimalField(_("金额"), **MONEY)

    class Meta:
        verbose_name = _("订单商品优惠")
        verbose_name_plural = _("订单商品优惠")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.code} {self.amount}"

    @property
    def is_platform_funded(self) -> bool:
        return self.funder == PLATFORM_FUNDER


class OrderEvent(StatusEvent):
    """Every state change of an order (and notable facts), with who, when and why."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("订单")
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("订单记录")
        verbose_name_plural = _("订单记录")
