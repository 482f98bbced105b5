"""Carriers, shipments (parcels of an order's lines), tracking events from carriers, and the
cold chain's temperature readings.

Delivery options and pickup points live in the orders app, because checkout reads them.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import StatusEvent, TimeStampedModel
from apps.logistics.errors import LogisticsErrorCode


class Carrier(TimeStampedModel):
    """An express company, or the platform's own county fleet (is_own_fleet)."""

    code = models.SlugField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    # A full-match regular expression for its waybill numbers (upper-cased before matching).
    tracking_pattern = models.CharField(_("运单号格式(正则)"), max_length=200)
    is_cold_chain = models.BooleanField(_("冷链运输"), default=False)
    is_own_fleet = models.BooleanField(_("平台县域配送"), default=False)
    # The carrier's code at the Kuaidi100 aggregator ("shunfeng", "zhongtong" …).
    kuaidi100_code = models.CharField(_("快递100编码"), max_length=30, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("承运商")
        verbose_name_plural = _("承运商")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class TrackingFeed(TimeStampedModel):
    """A source of pushed tracking events (a carrier or an aggregator) and its signing secret."""

    class Adapter(models.TextChoices):
        GENERIC = "generic", _("通用 JSON（HMAC-SHA256）")
        KUAIDI100 = "kuaidi100", _("快递100 推送")

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    adapter = models.CharField(_("格式"), max_length=20, choices=Adapter.choices)
    secret = models.CharField(_("签名密钥"), max_length=128)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("轨迹推送来源")
        verbose_name_plural = _("轨迹推送来源")

    def __str__(self) -> str:
        return self.name


class Shipment(TimeStampedModel):
    """One parcel: some lines of one order, one carrier and waybill number."""

    class Status(models.TextChoices):
        CREATED = "created", _("待揽收")
        COLLECTED = "collected", _("已揽收")
        IN_TRANSIT = "in_transit", _("运输中")
        OUT_FOR_DELIVERY = "out_for_delivery", _("派送中")
        AT_PICKUP_POINT = "at_pickup_point", _("待自提")
        DELIVERED = "delivered", _("已签收")
        EXCEPTION = "exception", _("异常")
        RETURNED = "returned", _("已退回")

    # Allowed moves. Tracking may skip steps (a parcel can be delivered without an "out for
    # delivery" scan) but never goes back from a final state.
    TRANSITIONS = {
        Status.CREATED: {
            Status.COLLECTED,
            Status.IN_TRANSIT,
            Status.OUT_FOR_DELIVERY,
            Status.AT_PICKUP_POINT,
            Status.DELIVERED,
            Status.EXCEPTION,
            Status.RETURNED,
        },
        Status.COLLECTED: {
            Status.IN_TRANSIT,
            Status.OUT_FOR_DELIVERY,
            Status.AT_PICKUP_POINT,
            Status.DELIVERED,
            Status.EXCEPTION,
            Status.RETURNED,
        },
        Status.IN_TRANSIT: {
            Status.OUT_FOR_DELIVERY,
            Status.AT_PICKUP_POINT,
            Status.DELIVERED,
            Status.EXCEPTION,
            Status.RETURNED,
        },
        Status.OUT_FOR_DELIVERY: {
            Status.IN_TRANSIT,
            Status.AT_PICKUP_POINT,
            Status.DELIVERED,
            Status.EXCEPTION,
            Status.RETURNED,
        },
        Status.AT_PICKUP_POINT: {Status.DELIVERED, Status.EXCEPTION, Status.RETURNED},
        Status.EXCEPTION: {
            Status.COLLECTED,
            Status.IN_TRANSIT,
            Status.OUT_FOR_DELIVERY,
            Status.AT_PICKUP_POINT,
            Status.DELIVERED,
            Status.RETURNED,
        },
        Status.DELIVERED: set(),
        Status.RETURNED: set(),
    }
    TRANSITION_ERROR_CODE = LogisticsErrorCode.INVALID_TRANSITION
    FINAL_STATUSES = (Status.DELIVERED, Status.RETURNED)

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="shipments", verbose_name=_("订单")
    )
    # Denormalised from the order: every merchant query filters by it.
    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="shipments", verbose_name=_("店铺")
    )
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("承运商")
    )
    tracking_number = models.CharField(_("运单号"), max_length=40)
    delivery_method = models.CharField(_("配送方式"), max_length=20)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.CREATED, db_index=True
    )
    pickup_point = models.ForeignKey(
        "orders.PickupPoint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipments",
        verbose_name=_("自提点"),
    )
    # Six digits given to the shopper when the parcel reaches the point; cleared on hand-over.
    pickup_code = models.CharField(_("取件码"), max_length=8, blank=True)
    is_cold_chain = models.BooleanField(_("冷链"), default=False)
    collected_at = models.DateTimeField(_("揽收时间"), null=True, blank=True)
    arrived_at_point_at = models.DateTimeField(_("到达自提点时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("最新轨迹时间"), null=True, blank=True)
    # Flags for the merchant and staff; set by tracking, temperature readings and the overdue job.
    has_exception = models.BooleanField(_("有异常"), default=False, db_index=True)
    exception_note = models.CharField(_("异常说明"), max_length=200, blank=True)
    has_temperature_alert = models.BooleanField(_("温度超标"), default=False)
    is_overdue = models.BooleanField(_("超时"), default=False, db_index=True)
    overdue_reason = models.CharField(_("超时原因"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发货人"),
    )

    class Meta:
        verbose_name = _("包裹")
        verbose_name_plural = _("包裹")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"], name="uniq_carrier_tracking_number"
            )
        ]
        indexes = [
            models.Index(fields=["store", "status"], name="shipment_store_status_idx"),
            models.Index(fields=["tracking_number"], name="shipment_tracking_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="lines", verbose_name=_("包裹")
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        related_name="shipment_lines",
        verbose_name=_("订单商品"),
    )
    quantity = models.PositiveIntegerField(_("数量"), validators=[MinValueValidator(1)])
    # The lot these pieces were filled from: a line shipped in two parcels may use two lots,
    # while OrderLine.lot keeps only the latest.
    lot = models.ForeignKey(
        "traceability.Lot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipment_lines",
        verbose_name=_("批次"),
    )

    class Meta:
        verbose_name = _("包裹商品")
        verbose_name_plural = _("包裹商品")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_line} × {self.quantity}"


class ShipmentEvent(StatusEvent):
    """Every state change of a shipment (and notable facts), with who, when and why."""

    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="events", verbose_name=_("包裹")
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("包裹记录")
        verbose_name_plural = _("包裹记录")


class TrackingEvent(models.Model):
    """A scan reported by the carrier (webhook), imported (CSV) or typed in (manual)."""

    class Status(models.TextChoices):
        COLLECTED = "collected", _("已揽收")
        IN_TRANSIT = "in_transit", _("运输中")
        ARRIVED_AT_HUB = "arrived_at_hub", _("到达网点")
        OUT_FOR_DELIVERY = "out_for_delivery", _("派送中")
        AT_PICKUP_POINT = "at_pickup_point", _("到达自提点")
        DELIVERED = "delivered", _("已签收")
        EXCEPTION = "exception", _("异常")
        RETURNED = "returned", _("已退回")

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("承运商推送")
        CSV = "csv", _("CSV 导入")
        MANUAL = "manual", _("手工录入")
        SYSTEM = "system", _("系统")

    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="tracking", verbose_name=_("包裹")
    )
    occurred_at = models.DateTimeField(_("时间"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    location = models.CharField(_("地点"), max_length=100, blank=True)
    text = models.CharField(_("描述"), max_length=300, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    # Same scan reported twice (push retries, CSV re-imports) has the same key.
    dedup_key = models.CharField(max_length=64, verbose_name=_("去重键"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("物流轨迹")
        verbose_name_plural = _("物流轨迹")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "dedup_key"], name="uniq_tracking_dedup")
        ]
        indexes = [models.Index(fields=["shipment", "occurred_at"], name="tracking_time_idx")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_status_display()}"


class TemperatureReading(models.Model):
    """A cold-chain logger reading for a shipment; out of the goods' range flags it."""

    shipment = models.ForeignKey(
        Shipment,
        on_delete=models.CASCADE,
        related_name="temperature_readings",
        verbose_name=_("包裹"),
    )
    measured_at = models.DateTimeField(_("时间"))
    celsius = models.DecimalField(_("温度(°C)"), max_digits=5, decimal_places=1)
    is_out_of_range = models.BooleanField(_("超出范围"), default=False)
    source = models.CharField(_("来源"), max_length=10, default="csv")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("温度记录")
        verbose_name_plural = _("温度记录")
        ordering = ["measured_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "measured_at"], name="uniq_temperature_time"
            )
        ]
        indexes = [
            models.Index(
                fields=["shipment"], condition=Q(is_out_of_range=True), name="temperature_alert_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measured_at:%Y-%m-%d %H:%M} {self.celsius}°C"
