"""Traceability (质量追溯): who grew what where, what was applied, how it was tested and
certified, and an append-only, hash-chained log of what happened to each lot.

Modelled on GS1 EPCIS 2.0 / CBV (events, business steps, dispositions) and on the
承诺达标合格证 rules. Every row belongs to one store; stores.selectors scope every read.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import AppendOnlyModel, StatusEvent, TimeStampedModel
from apps.core.validators import SHORT_TEXT_MAX_LENGTH, long_text_validators
from apps.traceability.errors import TraceErrorCode

QUANTITY = {"max_digits": 12, "decimal_places": 3}
HASH_LENGTH = 64
GENESIS_HASH = "0" * HASH_LENGTH


class Unit(models.TextChoices):
    KILOGRAM = "kg", _("千克")
    JIN = "jin", _("斤")
    TONNE = "t", _("吨")
    BOX = "box", _("箱")
    BAG = "bag", _("袋")
    PIECE = "piece", _("个/只")
    HEAD = "head", _("头")
    DOZEN = "dozen", _("打")


class Party(TimeStampedModel):
    """A producer, co-operative, purchaser or the platform, as this store knows it."""

    class Kind(models.TextChoices):
        PRODUCER = "producer", _("生产者")
        COOPERATIVE = "cooperative", _("合作社")
        PURCHASER = "purchaser", _("收购者")
        PLATFORM = "platform", _("平台")

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="trace_parties",
        verbose_name=_("店铺"),
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称/姓名"), max_length=80)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        blank=True,
        help_text=_("企业、合作社填写；农户可不填"),
    )
    entity_code = models.CharField(
        _("主体身份码"),
        max_length=40,
        blank=True,
        help_text=_("国家农产品质量安全追溯平台的主体身份码，原样保存"),
    )
    contact_name = models.CharField(_("联系人"), max_length=30, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("追溯主体")
        verbose_name_plural = _("追溯主体")
        ordering = ["store_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="uniq_trace_party_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Location(TimeStampedModel):
    """A base, plot, packhouse, warehouse or market where things grow or happen."""

    class Kind(models.TextChoices):
        BASE = "base", _("生产基地")
        PLOT = "plot", _("地块/圈舍")
        PACKHOUSE = "packhouse", _("分拣包装车间")
        WAREHOUSE = "warehouse", _("仓库/冷库")
        MARKET = "market", _("市场/门店")

    # Kinds where inputs are applied and lots are harvested.
    GROWING_KINDS = (Kind.BASE, Kind.PLOT)

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="trace_locations",
        verbose_name=_("店铺"),
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=80)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("所属基地"),
    )
    division_code = models.CharField(_("行政区划代码"), max_length=12, help_text=_("县级"))
    division_name = models.CharField(_("行政区划"), max_length=80, blank=True, editable=False)
    address = models.CharField(_("详细地址"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("经度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    area_mu = models.DecimalField(
        _("面积(亩)"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("地点")
        verbose_name_plural = _("地点")
        ordering = ["store_id", "kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="uniq_trace_location_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class Lot(TimeStampedModel):
    """A batch of produce: harvested (or mixed/repacked) once, sold under one lot number."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在售")
        ON_HOLD = "on_hold", _("暂停销售")
        RECALLED = "recalled", _("已召回")
        EXPIRED = "expired", _("已过期")
        CONSUMED = "consumed", _("已售罄/已用完")

    # Allowed moves (services.lots.lot_change_status applies them). A recall must stay possible
    # after a lot has sold out or expired: that is when the buyers still hold the goods.
    TRANSITIONS = {
        Status.ACTIVE: {Status.ON_HOLD, Status.RECALLED, Status.EXPIRED, Status.CONSUMED},
        Status.ON_HOLD: {Status.ACTIVE, Status.RECALLED, Status.EXPIRED},
        Status.EXPIRED: {Status.RECALLED},
        Status.CONSUMED: {Status.RECALLED},
        Status.RECALLED: set(),
    }
    TRANSITION_ERROR_CODE = TraceErrorCode.INVALID_TRANSITION
    # Its StatusEvent rows are `status_changes`: in this app "event" means the EPCIS log.
    EVENTS_RELATED_NAME = "status_changes"
    # Statuses that stop a lot's SKUs from selling (unless another active lot supplies them).
    BLOCKING_STATUSES = (Status.ON_HOLD, Status.RECALLED)

    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="lots", verbose_name=_("店铺")
    )
    lot_number = models.CharField(_("批次号"), max_length=40)
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="lots", verbose_name=_("商品")
    )
    skus = models.ManyToManyField(
        "catalog.Sku",
        related_name="lots",
        blank=True,
        verbose_name=_("供货规格"),
        help_text=_("这个批次供应哪些规格"),
    )
    producer = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="lots", verbose_name=_("生产者")
    )
    plot = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lots",
        verbose_name=_("产地地块"),
    )
    origin_code = models.CharField(_("产地区划代码"), max_length=12, blank=True)
    origin_name = models.CharField(_("产地"), max_length=80, blank=True)
    harvest_date = models.DateField(_("采收/生产日期"))
    quantity = models.DecimalField(_("数量"), **QUANTITY, validators=[MinValueValidator(0)])
    unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices, default=Unit.KILOGRAM)
    expiry_date = models.DateField(
        _("保质期至"), null=True, blank=True, help_text=_("留空则按商品保质期推算")
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    status_reason = models.CharField(_("状态原因"), max_length=300, blank=True)
    source_lots = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="derived_lots",
        blank=True,
        verbose_name=_("来源批次"),
        help_text=_("混合、分装而来的批次"),
    )
    # Kept by services.lots.lot_safety_refresh; certificates re-check it live anyway.
    is_safety_flagged = models.BooleanField(_("安全间隔期预警"), default=False)
    safety_flag_reason = models.CharField(_("预警原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )

    class Meta:
        verbose_name = _("批次")
        verbose_name_plural = _("批次")
        ordering = ["-harvest_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "lot_number"], name="uniq_lot_number"),
        ]
        indexes = [models.Index(fields=["store", "status"], name="lot_store_status_idx")]
        permissions = [("recall_lot", _("召回批次"))]

    def __str__(self) -> str:
        return self.lot_number

    @property
    def is_blocking_sales(self) -> bool:
        return self.status in self.BLOCKING_STATUSES


class LotStatusChange(StatusEvent):
    """Every status move of a lot, with who did it and why.

    Named apart from TraceEvent: in this app "event" means the EPCIS log.
    """

    lot = models.ForeignKey(
        Lot, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("批次")
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("批次状态记录")
        verbose_name_plural = _("批次状态记录")


class InputApplication(models.Model):
    """农事记录: a pesticide, fertiliser or veterinary drug applied to a plot.

    Recorded once and never edited (a wrong record is answered by a new one and a note): the
    safety-interval rule and certificates rely on it.
    """

    class InputType(models.TextChoices):
        PESTICIDE = "pesticide", _("农药")
        FERTILISER = "fertiliser", _("肥料")
        VET_DRUG = "vet_drug", _("兽药")

    # Inputs whose residues a test has to cover (fertilisers leave none that are tested).
    RESIDUE_TYPES = (InputType.PESTICIDE, InputType.VET_DRUG)

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="trace_inputs",
        verbose_name=_("店铺"),
    )
    plot = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="input_applications",
        verbose_name=_("地块"),
    )
    input_type = models.CharField(_("投入品类型"), max_length=20, choices=InputType.choices)
    product_name = models.CharField(_("投入品名称"), max_length=80)
    active_ingredient = models.CharField(
        _("有效成分"), max_length=80, blank=True, help_text=_("如 吡虫啉；检测项目按它核对")
    )
    registration_number = models.CharField(
        _("登记证号/批准文号"), max_length=40, blank=True, help_text=_("农药、兽药必填")
    )
    dose = models.CharField(_("用量"), max_length=60, help_text=_("如 每亩 30 毫升"))
    applied_on = models.DateField(_("使用日期"))
    safety_interval_days = models.PositiveSmallIntegerField(
        _("安全间隔期(天)"), default=0, validators=[MaxValueValidator(365)]
    )
    operator = models.CharField(_("操作人"), max_length=30, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("农事记录")
        verbose_name_plural = _("农事记录")
        ordering = ["-applied_on", "-id"]
        indexes = [models.Index(fields=["plot", "applied_on"], name="input_plot_date_idx")]

    def __str__(self) -> str:
        return f"{self.applied_on} {self.product_name}"


class Inspection(models.Model):
    """A rapid (速测) or laboratory test of a lot's sample, with its items and report."""

    class Kind(models.TextChoices):
        RAPID = "rapid", _("快速检测")
        LAB = "lab", _("实验室检测")

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="trace_inspections",
        verbose_name=_("店铺"),
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("批次")
    )
    kind = models.CharField(_("检测方式"), max_length=10, choices=Kind.choices)
    inspected_on = models.DateField(_("检测日期"))
    lab_name = models.CharField(_("检测机构"), max_length=100, blank=True)
    report_number = models.CharField(_("报告编号"), max_length=60, blank=True)
    report_file = models.FileField(_("检测报告"), upload_to="trace/reports/%Y/%m/", blank=True)
    report_sha256 = models.CharField(
        max_length=HASH_LENGTH, blank=True, editable=False, verbose_name=_("报告摘要（SHA-256）")
    )
    is_passed = models.BooleanField(_("合格"), default=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检测记录")
        verbose_name_plural = _("检测记录")
        ordering = ["-inspected_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.inspected_on}"


class InspectionItem(models.Model):
    """One substance tested: result against its limit (mg/kg unless stated)."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="items", verbose_name=_("检测记录")
    )
    substance = models.CharField(_("检测项目"), max_length=80, help_text=_("如 毒死蜱"))
    result_value = models.DecimalField(
        _("结果"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    result_text = models.CharField(
        _("结果说明"), max_length=40, blank=True, help_text=_("如 未检出、阴性")
    )
    limit_value = models.DecimalField(
        _("限量"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("单位"), max_length=20, default="mg/kg")
    method = models.CharField(_("检测方法"), max_length=80, blank=True)
    is_passed = models.BooleanField(_("合格"))

    class Meta:
        verbose_name = _("检测项目")
        verbose_name_plural = _("检测项目")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.substance


class Certificate(models.Model):
    """承诺达标合格证: the producer's signed promise for a lot, issued once, never edited."""

    class Basis(models.TextChoices):
        QUALITY_CONTROL = "quality_control", _("内部质量控制")
        SELF_TEST = "self_test", _("自行检测")
        ENTRUSTED_TEST = "entrusted_test", _("委托检测")

    TEST_BASES = (Basis.SELF_TEST, Basis.ENTRUSTED_TEST)

    class Scope(models.TextChoices):
        PACKAGE = "package", _("按包装")
        VEHICLE = "vehicle", _("按车")
        BATCH = "batch", _("按批")

    COMMITMENT_TEXT = (
        "我承诺对生产销售的食用农产品：不使用禁用农药兽药、停用兽药和非法添加物；"
        "常规农药兽药残留不超标；对承诺的真实性负责。"
    )

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="trace_certificates",
        verbose_name=_("店铺"),
    )
    number = models.CharField(_("合格证编号"), max_length=40, unique=True)
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("批次")
    )
    issuer_name = models.CharField(_("开具主体"), max_length=80)
    product_name = models.CharField(_("食用农产品名称"), max_length=120)
    quantity = models.DecimalField(_("数量(重量)"), **QUANTITY)
    unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices)
    origin = models.CharField(_("产地"), max_length=120)
    producer_name = models.CharField(_("生产者"), max_length=80)
    phone = models.CharField(_("联系方式"), max_length=20)
    issued_on = models.DateField(_("开具日期"))
    commitment_text = models.TextField(
        _("承诺内容"),
        max_length=SHORT_TEXT_MAX_LENGTH,
        validators=long_text_validators(SHORT_TEXT_MAX_LENGTH),
    )
    basis = models.CharField(_("承诺依据"), max_length=20, choices=Basis.choices)
    scope = models.CharField(
        _("开具方式"), max_length=10, choices=Scope.choices, default=Scope.BATCH
    )
    inspections = models.ManyToManyField(
        Inspection, related_name="certificates", blank=True, verbose_name=_("依据的检测")
    )
    source_certificates = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="derived_certificates",
        blank=True,
        verbose_name=_("来源合格证"),
    )
    # The farm records the promise was made on, as they were at issue time.
    inputs_snapshot = models.JSONField(
        default=list, blank=True, editable=False, verbose_name=_("投入品记录快照")
    )
    retention_until = models.DateField(_("保存至"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签发人"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("承诺达标合格证")
        verbose_name_plural = _("承诺达标合格证")
        ordering = ["-issued_on", "-id"]

    def __str__(self) -> str:
        return self.number


class ChainRecord(AppendOnlyModel):
    """A row of the trace chain: the core append-only base with the chain's own error.

    Raw SQL can still change rows; services.chain.chain_verify is what detects that.
    """

    APPEND_ONLY_MESSAGE = _("追溯事件只能追加，不能修改或删除；请记录一条更正事件。")
    APPEND_ONLY_CODE = TraceErrorCode.EVENT_IMMUTABLE

    class Meta:
        abstract = True


class ChainHead(models.Model):
    """The last link of a store's event chain; its row lock serialises appends."""

    store = models.OneToOneField(
        "stores.Store",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="trace_chain_head",
        verbose_name=_("店铺"),
    )
    last_sequence = models.BigIntegerField(default=0, verbose_name=_("最新序号"))
    last_chain_hash = models.CharField(
        max_length=HASH_LENGTH, default=GENESIS_HASH, verbose_name=_("最新链哈希")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    class Meta:
        verbose_name = _("事件链头")
        verbose_name_plural = _("事件链头")

    def __str__(self) -> str:
        return f"{self.store_id}#{self.last_sequence}"


class TraceEvent(ChainRecord):
    """An EPCIS-style event. Append-only: a correction is a new event pointing at this one.

    `event_hash` is SHA-256 of the canonical JSON of the event (apps.traceability.hashing);
    `chain_hash` is SHA-256(previous chain_hash ‖ event_hash) along the store's chain.
    """

    class EventType(models.TextChoices):
        OBJECT = "object", _("对象事件")
        AGGREGATION = "aggregation", _("聚合事件")
        TRANSFORMATION = "transformation", _("转换事件")
        TRANSACTION = "transaction", _("交易事件")

    class Action(models.TextChoices):
        ADD = "ADD", _("新增")
        OBSERVE = "OBSERVE", _("观察")
        DELETE = "DELETE", _("删除")
        NONE = "", _("无")

    class BusinessStep(models.TextChoices):
        COMMISSIONING = "commissioning", _("采收入批")
        INSPECTING = "inspecting", _("检测/查验")
        PACKING = "packing", _("分拣包装")
        STORING = "storing", _("入库储存")
        SHIPPING = "shipping", _("发货运输")
        RECEIVING = "receiving", _("收货")
        RETAIL_SELLING = "retail_selling", _("零售")
        HOLDING = "holding", _("暂停/召回")
        DESTROYING = "destroying", _("销毁")

    class Disposition(models.TextChoices):
        ACTIVE = "active", _("正常")
        IN_PROGRESS = "in_progress", _("处理中")
        IN_TRANSIT = "in_transit", _("运输中")
        CONFORMANT = "conformant", _("合格")
        NON_CONFORMANT = "non_conformant", _("不合格")
        SELLABLE_ACCESSIBLE = "sellable_accessible", _("可售")
        NON_SELLABLE_OTHER = "non_sellable_other", _("暂停销售")
        RECALLED = "recalled", _("已召回")
        RETAIL_SOLD = "retail_sold", _("已售出")
        DESTROYED = "destroyed", _("已销毁")
        EXPIRED = "expired", _("已过期")

    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        related_name="trace_events",
        verbose_name=_("店铺"),
    )
    sequence = models.BigIntegerField(_("链上序号"))
    uuid = models.UUIDField(_("事件编号"), default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(_("事件类型"), max_length=20, choices=EventType.choices)
    action = models.CharField(_("动作"), max_length=10, choices=Action.choices, blank=True)
    business_step = models.CharField(_("业务步骤"), max_length=20, choices=BusinessStep.choices)
    disposition = models.CharField(_("状态"), max_length=30, choices=Disposition.choices)
    event_time = models.DateTimeField(_("发生时间"))
    recorded_at = models.DateTimeField(_("记录时间"))
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("地点"),
    )
    # The hash covers `actor_ref`, a snapshot; the FK may be cleared if the account goes.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_ref = models.CharField(_("操作人"), max_length=40)
    extra = models.JSONField(_("附加信息"), default=dict, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("更正的事件"),
    )
    event_hash = models.CharField(max_length=HASH_LENGTH, verbose_name=_("事件哈希"))
    previous_hash = models.CharField(max_length=HASH_LENGTH, verbose_name=_("上一事件哈希"))
    chain_hash = models.CharField(max_length=HASH_LENGTH, verbose_name=_("链哈希"))

    # Forgetting a deleted account (SET_NULL on `actor`) is the one in-place change allowed:
    # the hash covers the `actor_ref` snapshot, not the foreign key.
    APPEND_ONLY_UPDATABLE = ("actor",)

    class Meta:
        verbose_name = _("追溯事件")
        verbose_name_plural = _("追溯事件")
        ordering = ["store_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["store", "sequence"], name="uniq_trace_event_sequence"),
        ]
        indexes = [models.Index(fields=["store", "recorded_at"], name="trace_event_recorded_idx")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.get_business_step_display()}"


class TraceEventLot(ChainRecord):
    """A lot taking part in an event: the subject, or an input/output of a transformation."""

    class Role(models.TextChoices):
        SUBJECT = "subject", _("对象")
        INPUT = "input", _("投入")
        OUTPUT = "output", _("产出")

    event = models.ForeignKey(
        TraceEvent, on_delete=models.PROTECT, related_name="event_lots", verbose_name=_("事件")
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="event_links", verbose_name=_("批次")
    )
    role = models.CharField(
        max_length=10, choices=Role.choices, default=Role.SUBJECT, verbose_name=_("角色")
    )
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True, verbose_name=_("数量"))
    unit = models.CharField(max_length=10, choices=Unit.choices, blank=True, verbose_name=_("单位"))

    class Meta:
        verbose_name = _("事件批次")
        verbose_name_plural = _("事件批次")
        ordering = ["event_id", "role", "lot_id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "lot", "role"], name="uniq_event_lot_role"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}/{self.lot_id} {self.role}"


class ChainAnchor(models.Model):
    """The day's last chain hash, published on a public page so history cannot be rewritten.

    `store` empty = the platform-wide anchor over every store's head.
    """

    anchor_date = models.DateField(_("日期"))
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trace_anchors",
        verbose_name=_("店铺"),
    )
    last_sequence = models.BigIntegerField(_("最后序号"), default=0)
    chain_hash = models.CharField(_("链哈希"), max_length=HASH_LENGTH)
    event_count = models.BigIntegerField(_("事件数"), default=0)
    is_chain_valid = models.BooleanField(_("校验通过"), default=True)
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("每日锚点")
        verbose_name_plural = _("每日锚点")
        ordering = ["-anchor_date", "store_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["anchor_date", "store"],
                condition=Q(store__isnull=False),
                name="uniq_anchor_store_date",
            ),
            models.UniqueConstraint(
                fields=["anchor_date"],
                condition=Q(store__isnull=True),
                name="uniq_anchor_global_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.anchor_date} {self.store_id or '*'} {self.chain_hash[:12]}"


class TraceCodeBatch(models.Model):
    """A bulk run of per-package codes for one lot (printed as a sheet or a CSV)."""

    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("店铺")
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="code_batches", verbose_name=_("批次")
    )
    quantity = models.PositiveIntegerField(_("数量"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("追溯码批次")
        verbose_name_plural = _("追溯码批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lot} × {self.quantity}"


class TraceCode(models.Model):
    """A random public code (≥ 96 bits, base32) printed as a QR code for a lot or a package."""

    code = models.CharField(_("追溯码"), max_length=32, unique=True)
    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("店铺")
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="trace_codes", verbose_name=_("批次")
    )
    batch = models.ForeignKey(
        TraceCodeBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="codes",
        verbose_name=_("溯源码批次"),
    )
    # Empty for the lot's own code; 1, 2, … for per-package codes of the lot.
    package_number = models.PositiveIntegerField(_("包装序号"), null=True, blank=True)
    scan_count = models.PositiveIntegerField(_("扫码次数"), default=0)
    first_scanned_at = models.DateTimeField(_("首次扫码"), null=True, blank=True)
    last_scanned_at = models.DateTimeField(_("最近扫码"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("追溯码")
        verbose_name_plural = _("追溯码")
        ordering = ["lot_id", "package_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lot", "package_number"],
                condition=Q(package_number__isnull=False),
                name="uniq_trace_code_package",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_package_code(self) -> bool:
        return self.package_number is not None
