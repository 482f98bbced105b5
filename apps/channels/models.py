"""Sales channels (矩阵推广): a merchant lists its SKUs on external platforms, publishes a feed
for them, and takes their orders in as ordinary Tianjian orders."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel

MONEY = {"max_digits": 12, "decimal_places": 2}
# Channel item ids and order numbers: what the big platforms use (digits, letters, - and _).
EXTERNAL_ID = RegexValidator(
    r"^[A-Za-z0-9_-]{1,40}$", _("只能包含字母、数字、- 和 _，最多 40 位。")
)


class Channel(models.Model):
    """An external platform. The six of the county are seeded by the migration; staff may add
    more (another partner site)."""

    class Kind(models.TextChoices):
        MARKETPLACE = "marketplace", _("电商平台")
        SOCIAL = "social", _("社交/内容电商")
        PARTNER = "partner", _("本地合作网站")

    code = models.SlugField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    # The account a channel's orders are placed for (the channel collected the money and knows
    # the shopper; Tianjian keeps the recipient as the order's address snapshot). Created on
    # the first order, never able to log in.
    buyer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("渠道买家账户"),
    )

    class Meta:
        verbose_name = _("销售渠道")
        verbose_name_plural = _("销售渠道")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class ChannelListing(TimeStampedModel):
    """One SKU of a store listed on one channel under the channel's item id, at a price that
    the channel's orders are charged (it may differ from the storefront price)."""

    store = models.ForeignKey(
        "stores.Store", on_delete=models.CASCADE, related_name="+", verbose_name=_("店铺")
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="listings", verbose_name=_("渠道")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.CASCADE, related_name="+", verbose_name=_("商品规格")
    )
    channel_item_id = models.CharField(_("渠道商品编号"), max_length=40, validators=[EXTERNAL_ID])
    channel_price = models.DecimalField(
        _("渠道价"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    is_active = models.BooleanField(_("在售"), default=True)

    class Meta:
        verbose_name = _("渠道商品")
        verbose_name_plural = _("渠道商品")
        ordering = ["channel__sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "sku"], name="uniq_channel_sku"),
            models.UniqueConstraint(
                fields=["store", "channel", "channel_item_id"], name="uniq_channel_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.channel_item_id}"


class ChannelOrder(models.Model):
    """A channel's order as it came in, and the Tianjian order it became. Unique per store on
    (channel, channel order number): a repeat returns the order already placed."""

    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("店铺")
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="orders", verbose_name=_("渠道")
    )
    channel_order_number = models.CharField(
        _("渠道订单号"), max_length=40, validators=[EXTERNAL_ID]
    )
    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="channel_order",
        verbose_name=_("平台订单"),
    )
    source = models.CharField(
        _("来源"),
        max_length=10,
        choices=[("api", _("接口")), ("csv", _("CSV 导入"))],
        default="api",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    created_at = models.DateTimeField(_("接入时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("渠道订单")
        verbose_name_plural = _("渠道订单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "channel", "channel_order_number"],
                name="uniq_channel_order_number",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.channel_order_number}"
