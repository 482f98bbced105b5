from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.core.validators import DESCRIPTION_MAX_LENGTH, long_text_validators, validate_display_name

MONEY = {"max_digits": 12, "decimal_places": 2}


class Category(TimeStampedModel):
    """A node of the category tree (two levels in the demo, deeper allowed)."""

    name = models.CharField(_("名称"), max_length=40, validators=[validate_display_name])
    slug = models.SlugField(_("标识"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级分类"),
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("商品分类")
        verbose_name_plural = _("商品分类")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="uniq_category_name_in_parent")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:category", kwargs={"slug": self.slug})


class Storage(models.TextChoices):
    AMBIENT = "ambient", _("常温")
    CHILLED = "chilled", _("冷藏")
    FROZEN = "frozen", _("冷冻")


class Certification(models.TextChoices):
    GREEN_FOOD = "green_food", _("绿色食品")
    ORGANIC = "organic", _("有机产品")
    GEO_INDICATION = "geo_indication", _("地理标志")
    POLLUTION_FREE = "pollution_free", _("无公害农产品")


class WeightedSearchVector(Func):
    """The product's search vector: the terms of title, category, detail and store name with
    the weights A, B, C and D ('simple' configuration), so that one query can ask where a word
    matched. Elsewhere than PostgreSQL (SQLite: search matches with LIKE and never reads it)
    just the terms."""

    output_field = SearchVectorField()

    def as_postgresql(self, compiler, connection, **extra):
        parts, params = [], []
        for weight, expression in zip("ABCD", self.get_source_expressions(), strict=True):
            sql, expression_params = compiler.compile(expression)
            parts.append(
                f"setweight(to_tsvector('simple'::regconfig, COALESCE({sql}, '')), '{weight}')"
            )
            params += expression_params
        return " || ".join(parts), params

    def as_sql(self, compiler, connection, **extra):
        compiled = [compiler.compile(e) for e in self.get_source_expressions()]
        return " || ".join(sql for sql, _ in compiled), [p for _, ps in compiled for p in ps]


class Product(TimeStampedModel):
    """SPU: what a shopper thinks of as one product; its specs are Skus."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ON_SALE = "on_sale", _("在售")
        OFF_SALE = "off_sale", _("已下架")

    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="products", verbose_name=_("店铺")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("分类")
    )
    title = models.CharField(_("商品名称"), max_length=120, validators=[validate_display_name])
    subtitle = models.CharField(
        _("卖点"), max_length=200, blank=True, validators=[validate_display_name]
    )
    description = models.TextField(
        _("详情"),
        max_length=DESCRIPTION_MAX_LENGTH,
        blank=True,
        validators=long_text_validators(DESCRIPTION_MAX_LENGTH),
    )
    origin_code = models.CharField(
        _("产地区划代码"), max_length=12, blank=True, help_text=_("县级行政区划代码")
    )
    origin_name = models.CharField(
        _("产地"), max_length=80, blank=True, validators=[validate_display_name]
    )
    shelf_life_days = models.PositiveIntegerField(_("保质期(天)"), null=True, blank=True)
    storage = models.CharField(
        _("储存方式"), max_length=10, choices=Storage.choices, default=Storage.AMBIENT
    )
    # Cold-chain range for shipments' temperature readings; empty means the storage's default
    # (settings.COLD_CHAIN_RANGES).
    temperature_min = models.DecimalField(
        _("最低温度(°C)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    temperature_max = models.DecimalField(
        _("最高温度(°C)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    grade = models.CharField(_("等级"), max_length=20, blank=True)
    certifications = models.JSONField(_("认证"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    is_brokerage_enabled = models.BooleanField(_("参与分销"), default=False)
    # Denormalised for sorting and filtering listings; kept by services.product_refresh_price.
    price_min = models.DecimalField(_("最低价"), **MONEY, default=Decimal("0.00"))
    sales_count = models.PositiveIntegerField(_("销量"), default=0)
    published_at = models.DateTimeField(_("上架时间"), null=True, blank=True)
    # Search terms (apps/catalog/search.py, services/search.py): all of them, and per part of
    # the product; search_vector weights the parts and is what PostgreSQL matches and ranks.
    search_document = models.TextField(default="", blank=True, editable=False)
    search_title = models.TextField(default="", blank=True, editable=False)
    search_category = models.TextField(default="", blank=True, editable=False)
    search_detail = models.TextField(default="", blank=True, editable=False)
    search_store = models.TextField(default="", blank=True, editable=False)
    # Stored, so that matching reads it instead of re-parsing each document (GIN recheck).
    search_vector = models.GeneratedField(
        expression=WeightedSearchVector(
            "search_title", "search_category", "search_detail", "search_store"
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    is_search_stale = models.BooleanField(default=True, editable=False)

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["-published_at", "-id"]
        indexes = [
            # Category listings: their count, their facets (store, origin) and the ids of a
            # page (newest first) are read from the index alone, never from the table.
            models.Index(
                fields=["status", "category", "-published_at", "-id"],
                include=["store", "origin_code", "origin_name"],
                name="product_cat_cover_idx",
            ),
            models.Index(fields=["store", "status"], name="product_store_idx"),
            # The default "newest" order of home, store and listing pages.
            models.Index(fields=["status", "-published_at", "-id"], name="product_newest_idx"),
            models.Index(fields=["status", "price_min"], name="product_price_idx"),
            models.Index(fields=["status", "-sales_count"], name="product_sales_idx"),
            # "More from this store" under a product: a store's best sellers, top 4.
            models.Index(
                fields=["store", "status", "-sales_count", "-id"], name="product_store_sales_idx"
            ),
            models.Index(
                fields=["is_search_stale"],
                condition=Q(is_search_stale=True),
                name="product_stale_idx",
            ),
            GinIndex(fields=["search_vector"], name="product_search_gin"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog:product_detail", kwargs={"pk": self.pk})

    @property
    def certification_labels(self) -> list[str]:
        labels = dict(Certification.choices)
        return [str(labels[c]) for c in self.certifications if c in labels]


class Sku(TimeStampedModel):
    """One spec of a product (e.g. 5kg/袋) with its own price and stock."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="skus", verbose_name=_("商品")
    )
    spec = models.CharField(_("规格"), max_length=60, validators=[validate_display_name])
    retail_price = models.DecimalField(
        _("零售价"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    cost_price = models.DecimalField(
        _("成本价"), **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    weight_grams = models.PositiveIntegerField(_("重量(克)"), default=0)
    barcode = models.CharField(_("条码"), max_length=32, blank=True)
    stock = models.PositiveIntegerField(_("库存"), default=0)
    # The merchant's workbench lists the SKU under 库存不足 once what is left to sell is at or
    # below this (0: never warn).
    low_stock_threshold = models.PositiveIntegerField(
        _("库存预警值"),
        default=10,
        help_text=_("可售库存不高于此数时，在工作台提醒补货；0 表示不提醒。"),
    )
    # Held by unpaid orders (orders issue); available = stock - reserved.
    reserved = models.PositiveIntegerField(_("已预留"), default=0, editable=False)
    min_wholesale_quantity = models.PositiveIntegerField(_("批发起订量"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    # Set by traceability while a recall or hold covers the SKU and no other active lot
    # supplies it: the storefront shows 暂停销售 and nothing sells.
    is_held = models.BooleanField(_("因批次召回暂停销售"), default=False, editable=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("规格(SKU)")
        verbose_name_plural = _("规格(SKU)")
        ordering = ["sort_order", "id"]
        indexes = [
            # The few held SKUs, for search leaving out products held entirely.
            models.Index(fields=["product"], condition=Q(is_held=True), name="sku_held_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["product", "spec"], name="uniq_sku_spec"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("stock")), name="sku_reserved_lte_stock"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} {self.spec}"

    @property
    def available(self) -> int:
        return max(self.stock - self.reserved, 0)

    @property
    def has_stock(self) -> bool:
        return self.available > 0

    @property
    def is_sellable(self) -> bool:
        """In stock and not held by a lot recall (what the buy button needs)."""
        return self.has_stock and not self.is_held


class WholesaleTier(models.Model):
    """Wholesale price from a minimum quantity up (used by the orders issue)."""

    sku = models.ForeignKey(
        Sku, on_delete=models.CASCADE, related_name="wholesale_tiers", verbose_name=_("规格")
    )
    min_quantity = models.PositiveIntegerField(_("起批量"), validators=[MinValueValidator(2)])
    unit_price = models.DecimalField(
        _("批发单价"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        verbose_name = _("批发阶梯价")
        verbose_name_plural = _("批发阶梯价")
        ordering = ["min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "min_quantity"], name="uniq_tier_quantity")
        ]

    def __str__(self) -> str:
        return f"≥{self.min_quantity}: ¥{self.unit_price}"


class ProductImage(models.Model):
    """A validated, EXIF-free image with its thumbnail made once at upload."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("商品")
    )
    image = models.ImageField(_("图片"), upload_to="products/%Y/%m/")
    thumbnail = models.ImageField(_("缩略图"), upload_to="products/thumbs/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("宽度（像素）"))
    height = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("高度（像素）"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("商品图片")
        verbose_name_plural = _("商品图片")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.image.name


class SearchSynonym(TimeStampedModel):
    """Words a shopper may use for the same produce (土豆 马铃薯 洋芋), applied at query time.

    Staff edit them in the admin; an edit takes effect on the next search, no reindexing.
    """

    words = models.CharField(
        _("同义词"),
        max_length=300,
        help_text=_("用空格或逗号分隔，如：土豆 马铃薯 洋芋。繁体会转换为简体。"),
    )
    one_way = models.BooleanField(
        _("单向"),
        default=False,
        help_text=_(
            "勾选后只有第一个词会扩展到其余的词（如 橙子 → 脐橙 冰糖橙），"
            "反过来搜索其余的词不会扩展到第一个词。"
        ),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("搜索同义词")
        verbose_name_plural = _("搜索同义词")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.words
