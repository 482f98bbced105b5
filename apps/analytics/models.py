"""Market quotes (行情), the aggregates the Celery jobs compute, and the record of each run.

Raw rows (PriceObservation) come from CSV imports or the synthetic generator; every other
table here is derived and may be dropped and rebuilt by `manage.py analytics_rebuild --full`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import AppendOnlyModel

PRICE = {"max_digits": 10, "decimal_places": 2}
RATIO = {"max_digits": 12, "decimal_places": 4, "null": True, "blank": True}


class Market(models.Model):
    """A wholesale market (批发市场) that publishes daily quotes."""

    name = models.CharField(_("市场"), max_length=60, unique=True)
    province = models.CharField(_("省份"), max_length=20)
    county = models.CharField(_("区县"), max_length=30, blank=True)
    is_synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        verbose_name = _("批发市场")
        verbose_name_plural = _("批发市场")
        ordering = ["province", "name"]

    def __str__(self) -> str:
        return self.name


class Commodity(models.Model):
    """A traded commodity (品种) with its three-level category and the unit of its prices."""

    name = models.CharField(_("品名"), max_length=40, unique=True)
    category_l1 = models.CharField(_("一级分类"), max_length=20)
    category_l2 = models.CharField(_("二级分类"), max_length=20, blank=True)
    category_l3 = models.CharField(_("三级分类"), max_length=20, blank=True)
    unit = models.CharField(_("计价单位"), max_length=10, default="元/公斤")
    # Merchants whose products sit in this shop category (or below it) see its prices and alerts.
    catalog_category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("对应商品类目"),
    )
    is_synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        verbose_name = _("品种")
        verbose_name_plural = _("品种")
        ordering = ["category_l1", "name"]

    def __str__(self) -> str:
        return self.name


class CommodityAlias(models.Model):
    """Another name a market uses for a commodity (大白菜 → 白菜); one alias, one commodity."""

    commodity = models.ForeignKey(Commodity, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(_("别名"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("品种别名")
        verbose_name_plural = _("品种别名")
        ordering = ["alias"]

    def __str__(self) -> str:
        return f"{self.alias} → {self.commodity_id}"


class PriceImport(models.Model):
    """One CSV import: what came in, what was added, and every refused row with its line."""

    file_name = models.CharField(_("文件名"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("导入人"),
    )
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    rows_total = models.PositiveIntegerField(_("数据行"), default=0)
    rows_added = models.PositiveIntegerField(_("新增"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("重复(已存在)"), default=0)
    # [{"line": 7, "message": "..."}], line numbers as a spreadsheet shows them (header = 1).
    errors = models.JSONField(_("错误"), default=list, blank=True)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("行情导入")
        verbose_name_plural = _("行情导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def rows_rejected(self) -> int:
        return len(self.errors)


class PriceObservation(models.Model):
    """One published quote (Xinfadi-style), its prices normalised to 元/公斤."""

    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="observations", verbose_name=_("市场")
    )
    commodity = models.ForeignKey(
        Commodity, on_delete=models.PROTECT, related_name="observations", verbose_name=_("品种")
    )
    spec = models.CharField(_("规格"), max_length=40, blank=True, default="")
    origin = models.CharField(_("产地"), max_length=40, blank=True, default="")
    date = models.DateField(_("日期"))
    low_price = models.DecimalField(_("最低价(元/公斤)"), **PRICE)
    avg_price = models.DecimalField(_("平均价(元/公斤)"), **PRICE)
    high_price = models.DecimalField(_("最高价(元/公斤)"), **PRICE)
    volume_kg = models.DecimalField(
        _("成交量(公斤)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # The unit the source used (元/斤...), kept for audit; the prices above are per 公斤.
    source_unit = models.CharField(_("原始单位"), max_length=10)
    price_import = models.ForeignKey(
        PriceImport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="observations",
        verbose_name=_("导入批次"),
    )
    is_synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        verbose_name = _("行情报价")
        verbose_name_plural = _("行情报价")
        ordering = ["-date", "market", "commodity"]
        constraints = [
            # Re-importing a file adds nothing: one quote per market, commodity, spec, origin, day.
            models.UniqueConstraint(
                fields=["market", "commodity", "spec", "origin", "date"],
                name="price_observation_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(low_price__gt=0)
                & models.Q(low_price__lte=models.F("avg_price"))
                & models.Q(avg_price__lte=models.F("high_price")),
                name="price_observation_prices_ordered",
            ),
        ]
        indexes = [models.Index(fields=["date", "commodity"], name="price_obs_date_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.market_id} {self.commodity_id} {self.avg_price}"


class Scope(models.TextChoices):
    MARKET = "market", _("市场")
    COUNTY = "county", _("区县")
    PROVINCE = "province", _("省")
    NATIONAL = "national", _("全国")


class PriceDaily(models.Model):
    """Daily prices of a commodity in one scope (a market, a county, a province, the nation).

    `area` names the scope's member: the market's name, the county, the province, or "全国".
    MA7 / MA30 are over calendar days ending on `date` and stay empty unless at least 60 % of
    those days have quotes; changes compare with t−1, t−7, t−30 and t−364 (same weekday);
    `zscore30` is (avg − MA30) / SD30 over the same 30 days.
    """

    # No database constraint or single-column index on the commodity: the job writes millions
    # of rows in one INSERT and a deferred foreign-key trigger per row cost more than the rest
    # (bench); the rows come from the quotes' own valid keys, Django still applies on_delete,
    # and the unique (commodity, scope, area, date) index serves look-ups by commodity.
    commodity = models.ForeignKey(
        Commodity,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    scope = models.CharField(_("范围"), max_length=10, choices=Scope.choices)
    area = models.CharField(_("地区/市场"), max_length=60)
    date = models.DateField(_("日期"))
    low_price = models.DecimalField(_("最低价"), **PRICE)
    high_price = models.DecimalField(_("最高价"), **PRICE)
    avg_price = models.DecimalField(_("平均价"), **PRICE)
    weighted_avg_price = models.DecimalField(_("加权均价"), **PRICE, null=True, blank=True)
    observations = models.PositiveIntegerField(_("报价数"))
    volume_kg = models.DecimalField(
        _("成交量(公斤)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    ma7 = models.DecimalField(_("7日均价"), **PRICE, null=True, blank=True)
    ma30 = models.DecimalField(_("30日均价"), **PRICE, null=True, blank=True)
    sd30 = models.DecimalField(_("30日标准差"), **RATIO)
    change_day = models.DecimalField(_("日环比"), **RATIO)
    change_week = models.DecimalField(_("周环比"), **RATIO)
    change_month = models.DecimalField(_("月环比"), **RATIO)
    change_year = models.DecimalField(_("同比"), **RATIO)
    zscore30 = models.DecimalField(_("30日Z值"), **RATIO)

    class Meta:
        verbose_name = _("每日价格")
        verbose_name_plural = _("每日价格")
        ordering = ["commodity", "scope", "area", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["commodity", "scope", "area", "date"], name="price_daily_unique"
            )
        ]
        indexes = [models.Index(fields=["date", "scope"], name="price_daily_date_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.commodity_id} {self.scope}:{self.area} {self.avg_price}"


class Period(models.TextChoices):
    WEEK = "week", _("周")
    XUN = "xun", _("旬")
    MONTH = "month", _("月")


class PricePeriod(models.Model):
    """Prices of a commodity in one scope over a week (Mon–Sun), a 旬 or a month.

    `avg_price` is the mean of the daily averages of the days with quotes; `change` compares it
    with the previous period of the same kind.
    """

    # As PriceDaily.commodity: no trigger or single-column index (the unique index leads with it).
    commodity = models.ForeignKey(
        Commodity,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    scope = models.CharField(_("范围"), max_length=10, choices=Scope.choices)
    area = models.CharField(_("地区/市场"), max_length=60)
    period = models.CharField(_("周期"), max_length=5, choices=Period.choices)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    low_price = models.DecimalField(_("最低价"), **PRICE)
    high_price = models.DecimalField(_("最高价"), **PRICE)
    avg_price = models.DecimalField(_("平均价"), **PRICE)
    days = models.PositiveSmallIntegerField(_("有报价天数"))
    change = models.DecimalField(_("环比"), **RATIO)

    class Meta:
        verbose_name = _("周期价格")
        verbose_name_plural = _("周期价格")
        ordering = ["commodity", "scope", "area", "period", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["commodity", "scope", "area", "period", "start"],
                name="price_period_unique",
            )
        ]
        # The incremental run deletes and re-reads the periods from a start on.
        indexes = [models.Index(fields=["start"], name="price_period_start_idx")]

    def __str__(self) -> str:
        return f"{self.commodity_id} {self.period} {self.start} {self.avg_price}"


class SalesCell(models.Model):
    """The keys and summable measures of a sales cell (SalesDaily, SalesMonthly)."""

    # No database constraints or single-column indexes on these derived keys: the job writes
    # half a million cells in one INSERT, and a foreign-key trigger and an index per key
    # several times its cost (bench); the rows come from the orders' own valid keys, Django
    # still applies on_delete, and the pages read by date or month (and store, date or month):
    # each model's two indexes. The monthly cells are rebuilt the same way.
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("店铺"),
    )
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("类目"),
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("商品"),
    )
    region_code = models.CharField(_("买家区县代码"), max_length=12, blank=True)
    region_name = models.CharField(_("买家区县"), max_length=40, blank=True)
    quantity = models.IntegerField(_("净销量"))
    gmv = models.DecimalField(_("净成交额"), max_digits=16, decimal_places=2)

    class Meta:
        abstract = True


class SalesDaily(SalesCell):
    """Own trade per paid day, store, category, product and buyer county, net of refunds.

    quantity = bought − refunded pieces; gmv = the lines' paid amounts less each order's
    refunds shared pro rata over its lines; orders and buyers are distinct counts in this cell.
    """

    date = models.DateField(_("日期"))
    orders = models.PositiveIntegerField(_("订单数"))
    buyers = models.PositiveIntegerField(_("买家数"))

    class Meta:
        verbose_name = _("每日销售")
        verbose_name_plural = _("每日销售")
        ordering = ["-date", "store"]
        permissions = [("view_figures", _("查看平台数据看板"))]
        indexes = [
            models.Index(fields=["date"], name="sales_daily_date_idx"),
            models.Index(fields=["store", "date"], name="sales_daily_store_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.store_id} {self.product_id} {self.gmv}"


class SalesMonthly(SalesCell):
    """The SalesDaily cells of a calendar month summed (built by the sales job with the daily
    cells, in the same transaction): the figures' rankings over long ranges read the whole
    months here and only the edge days from SalesDaily. Quantity and GMV only (distinct buyers
    do not sum); region_name is the cells' largest, as the rankings take it."""

    month = models.DateField(_("月份（首日）"))

    class Meta:
        verbose_name = _("每月销售")
        verbose_name_plural = _("每月销售")
        ordering = ["-month", "store"]
        indexes = [
            models.Index(fields=["month"], name="sales_monthly_month_idx"),
            models.Index(fields=["store", "month"], name="sales_monthly_store_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.store_id} {self.product_id} {self.gmv}"


class SalesDailyTotal(models.Model):
    """Per paid day and store (and, with store empty, the whole platform): distinct orders and
    buyers, which the cells above cannot sum."""

    date = models.DateField(_("日期"))
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("店铺"),
    )
    quantity = models.IntegerField(_("净销量"))
    gmv = models.DecimalField(_("净成交额"), max_digits=16, decimal_places=2)
    orders = models.PositiveIntegerField(_("订单数"))
    buyers = models.PositiveIntegerField(_("买家数"))
    # Buyers of the day who had paid an order on an earlier day (at this store; on the platform
    # for the platform row): the repeat-buyer rate of a period is Σ returning / Σ buyers.
    returning_buyers = models.PositiveIntegerField(_("回头客数"), default=0)
    # Net sales of the orders a promoter brought (the order's promoter_level1 snapshot).
    promoter_gmv = models.DecimalField(
        _("推广员带来的净成交额"), max_digits=16, decimal_places=2, default=0
    )
    promoter_orders = models.PositiveIntegerField(_("推广员带来的订单数"), default=0)
    # Orders paid this day with at least one after-sale claim (any status but withdrawn), and
    # the refunds on this day's orders (gmv + refund_amount = what was paid for the goods).
    aftersale_orders = models.PositiveIntegerField(_("发生售后的订单数"), default=0)
    refund_amount = models.DecimalField(_("退款金额"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("店铺每日销售")
        verbose_name_plural = _("店铺每日销售")
        ordering = ["-date", "store"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "store"], name="sales_daily_total_unique", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.store_id} {self.gmv}"


class SearchTerm(AppendOnlyModel):
    """One storefront search (append-only, one INSERT per search, written by the receiver of
    catalog's `search_performed`): the normalised term and who searched, nothing else. The
    demand job maps terms to categories (SearchTermCategory) and buyers to counties (their
    default address)."""

    # Forgetting a deleted account blanks its searches' user (on_delete=SET_NULL).
    APPEND_ONLY_UPDATABLE = ("user",)

    term = models.CharField(_("搜索词"), max_length=60)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("用户"),
    )
    created_at = models.DateTimeField(_("搜索时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("搜索词记录")
        verbose_name_plural = _("搜索词记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.term}"


class SearchTermCategory(models.Model):
    """The category a search term means: the most frequent category among the catalog
    search's best 20 results for it (empty when the search finds nothing). Filled by the
    demand job for new terms; a full run (`analytics_rebuild --full`) maps every term again."""

    term = models.CharField(_("搜索词"), max_length=60, unique=True)
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("类目"),
    )
    mapped_at = models.DateTimeField(_("映射时间"))

    class Meta:
        verbose_name = _("搜索词类目")
        verbose_name_plural = _("搜索词类目")
        ordering = ["term"]

    def __str__(self) -> str:
        return f"{self.term} → {self.category_id}"


class DemandMeasures(models.Model):
    """The demand measures of DemandDaily and its roll-ups (demand = the other three summed)."""

    paid_quantity = models.IntegerField(_("净销量"), default=0)
    wholesale_quantity = models.IntegerField(_("未付款批发需求量"), default=0)
    searches = models.IntegerField(_("搜索次数"), default=0)
    demand = models.IntegerField(_("需求量"), default=0)

    class Meta:
        abstract = True


class DemandDaily(DemandMeasures):
    """Demand for a category from buyers of one county on one day (DOMAIN.md): net pieces paid
    + pieces asked for on wholesale orders that were not (yet) paid + searches whose term means
    this category. `demand` is their sum; the forecasts are made from it.

    Wholesale requests: apps.wholesale has no request-for-quote object; a wholesale order is the
    B2B buyer's request. Paid ones are already in `paid_quantity`, so `wholesale_quantity`
    adds the pieces of wholesale orders placed that day and never paid. Searches come from
    SearchTerm; an anonymous search has no county (region_code "").
    """

    date = models.DateField(_("日期"))
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.CASCADE, related_name="+", verbose_name=_("类目")
    )
    region_code = models.CharField(_("买家区县代码"), max_length=12, blank=True)
    region_name = models.CharField(_("买家区县"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("每日需求")
        verbose_name_plural = _("每日需求")
        ordering = ["-date", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "category", "region_code"], name="demand_daily_unique"
            )
        ]
        indexes = [models.Index(fields=["category", "date"], name="demand_daily_cat_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.category_id} {self.region_code} {self.demand}"


class DemandCategoryDaily(DemandMeasures):
    """DemandDaily summed over buyer counties: per day × category (built by the demand job
    with the daily rows, in the same transaction). The daily demand chart and the demand API
    read it: a year is ~25 rows a day instead of one per category × county."""

    date = models.DateField(_("日期"))
    # A plain key, like the sales cells (derived rows, rebuilt in one INSERT).
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("类目"),
    )

    class Meta:
        verbose_name = _("每日类目需求")
        verbose_name_plural = _("每日类目需求")
        ordering = ["-date", "category"]
        constraints = [
            models.UniqueConstraint(fields=["date", "category"], name="demand_cat_daily_unique")
        ]
        indexes = [models.Index(fields=["category", "date"], name="demand_cat_daily_cat_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.category_id} {self.demand}"


class DemandMonthly(DemandMeasures):
    """The DemandDaily rows of a calendar month summed per category × buyer county (built by
    the demand job in the same transaction, from the first recomputed day's month): the demand
    ranking reads the whole months here and only the edge days from DemandDaily. region_name
    is the month's largest, as the ranking takes it."""

    month = models.DateField(_("月份（首日）"))
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("类目"),
    )
    region_code = models.CharField(_("买家区县代码"), max_length=12, blank=True)
    region_name = models.CharField(_("买家区县"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("每月需求")
        verbose_name_plural = _("每月需求")
        ordering = ["-month", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "category", "region_code"], name="demand_monthly_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.category_id} {self.region_code} {self.demand}"


class JobRun(models.Model):
    """One run of an aggregation job: when, what range, how many rows, and any error."""

    class Status(models.TextChoices):
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    job = models.CharField(_("任务"), max_length=40, db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    is_full = models.BooleanField(_("全量重建"), default=False)
    date_from = models.DateField(_("重算起始日"), null=True, blank=True)
    # What the next incremental run starts after: the highest observation id, or a time.
    watermark = models.CharField(_("水位"), max_length=40, blank=True)
    rows = models.PositiveIntegerField(_("写入行数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("任务运行记录")
        verbose_name_plural = _("任务运行记录")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class AlertThreshold(models.Model):
    """旬-change thresholds of a commodity group (DOMAIN.md: vegetables 10 / 15 %, pork 5 / 10 %,
    grain 2 / 5 %, eggs 3 / 5 %), editable by operations. `match` is a commodity's name, its
    second-level or its first-level category; the most specific match wins."""

    match = models.CharField(_("品名或分类"), max_length=20, unique=True)
    yellow_pct = models.DecimalField(_("黄色预警(%)"), max_digits=5, decimal_places=2)
    red_pct = models.DecimalField(_("红色预警(%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("预警阈值")
        verbose_name_plural = _("预警阈值")
        ordering = ["match"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(yellow_pct__gt=0)
                & models.Q(red_pct__gte=models.F("yellow_pct")),
                name="alert_threshold_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.match} {self.yellow_pct}/{self.red_pct}%"


class PriceAlert(models.Model):
    """A price signal computed by the price job: a spike (|z30| ≥ 3) or a 旬 change past its
    threshold. Derived: rebuilt with the prices."""

    class Kind(models.TextChoices):
        SPIKE = "spike", _("价格异动")
        XUN = "xun", _("旬环比")

    class Level(models.TextChoices):
        YELLOW = "yellow", _("黄色")
        RED = "red", _("红色")

    commodity = models.ForeignKey(
        Commodity, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("品种")
    )
    scope = models.CharField(_("范围"), max_length=10, choices=Scope.choices)
    area = models.CharField(_("地区/市场"), max_length=60)
    # The day of a spike; the first day of the 旬 of a 旬 change.
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    # The z-score of a spike, the change (0.15 = +15 %) of a 旬 signal.
    value = models.DecimalField(_("数值"), max_digits=12, decimal_places=4)
    price = models.DecimalField(_("价格"), **PRICE)

    class Meta:
        verbose_name = _("价格预警")
        verbose_name_plural = _("价格预警")
        ordering = ["-date", "commodity"]
        constraints = [
            models.UniqueConstraint(
                fields=["commodity", "scope", "area", "date", "kind"], name="price_alert_unique"
            )
        ]
        # The figures pages list the latest alerts: read backwards by date, not all sorted.
        indexes = [models.Index(fields=["date"], name="price_alert_date_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.commodity_id} {self.get_kind_display()} {self.value}"


class DemandForecast(models.Model):
    """Forecast daily demand (DemandDaily.demand) of a category in a buyer county, with its 80 %
    interval, made by the method that won the 28-day back-test for this series."""

    class Method(models.TextChoices):
        SEASONAL_NAIVE = "seasonal_naive", _("季节性朴素法 (m=7)")
        HOLT_WINTERS = "holt_winters", _("Holt-Winters 加法模型")

    category = models.ForeignKey(
        "catalog.Category", on_delete=models.CASCADE, related_name="+", verbose_name=_("类目")
    )
    region_code = models.CharField(_("买家区县代码"), max_length=12, blank=True)
    region_name = models.CharField(_("买家区县"), max_length=40, blank=True)
    date = models.DateField(_("日期"))
    quantity = models.DecimalField(_("预测销量"), max_digits=12, decimal_places=2)
    lower = models.DecimalField(_("80%区间下限"), max_digits=12, decimal_places=2)
    upper = models.DecimalField(_("80%区间上限"), max_digits=12, decimal_places=2)
    method = models.CharField(_("方法"), max_length=20, choices=Method.choices)
    mape = models.DecimalField(_("回测MAPE"), max_digits=10, decimal_places=4, null=True)
    made_on = models.DateField(_("预测日"))

    class Meta:
        verbose_name = _("需求预测")
        verbose_name_plural = _("需求预测")
        ordering = ["category", "region_code", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "region_code", "date"], name="demand_forecast_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_id} {self.region_code} {self.date} {self.quantity}"
