"""Reads of the analytics app for the dashboards, the 行情 pages and the API.

They read the aggregate tables only, never raw orders — except `figures_summary`, the orders
and sales at the top of the back office's first page, which asks orders' own selector (the
one the workbench's today and this week ask) so that page says one thing. Which stores'
figures a user sees is decided here once (`figures_store_ids`): platform staff with
analytics.view_figures see the whole platform, a merchant only the stores they belong to
(through apps.stores.selectors).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Exists, F, Max, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from apps.analytics.models import (
    Commodity,
    DemandCategoryDaily,
    DemandDaily,
    DemandForecast,
    Market,
    PriceAlert,
    PriceDaily,
    PriceObservation,
    SalesDaily,
    SalesDailyTotal,
    Scope,
)
from apps.catalog.models import Category, Product
from apps.core.money import to_money
from apps.orders.models import Order
from apps.orders.selectors import SalesFigures, paid_order_figures
from apps.stores.models import Store
from apps.stores.selectors import store_ids_for_user

FIGURES_PERMISSION = "analytics.view_figures"
GRAINS = ("day", "week", "month")
TOP_DIMENSIONS = ("category", "store", "product", "region")
NATIONAL = "全国"


def user_sees_platform_figures(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(FIGURES_PERMISSION))


def figures_store_ids(user) -> list[int] | None:
    """None: the whole platform (staff); otherwise the ids of the user's own stores."""
    if user_sees_platform_figures(user):
        return None
    return store_ids_for_user(user)


def user_may_see_figures(user) -> bool:
    return user_sees_platform_figures(user) or bool(store_ids_for_user(user))


def default_range(days: int = 30) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return today - dt.timedelta(days=days - 1), today


def figures_summary(*, user, date_from: dt.date) -> SalesFigures:
    """Orders paid since the start of `date_from` (Asia/Shanghai) and what they came to, for
    what `user` may see: `orders.selectors.paid_order_figures`, the selector the back office's
    workbench reads for today and this week, so the two halves of that page agree."""
    store_ids = figures_store_ids(user)
    orders = Order.objects.all()
    if store_ids is not None:
        orders = orders.filter(store_id__in=store_ids)
    since = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    return paid_order_figures(orders, since=since)


def percent(part, whole) -> Decimal | None:
    """part / whole in per cent to 2 places (half up); None when the whole is nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class SalesPoint:
    period: dt.date
    quantity: int
    gmv: Decimal
    orders: int
    buyers: int
    returning_buyers: int = 0
    promoter_gmv: Decimal = Decimal("0.00")
    aftersale_orders: int = 0
    refund_amount: Decimal = Decimal("0.00")

    @property
    def average_order_value(self) -> Decimal:
        return to_money(self.gmv / self.orders) if self.orders else Decimal("0.00")

    # The staff rates, in per cent. Buyers of a period are the sum of its daily distinct
    # buyers, so the repeat-buyer rate is Σ returning buyers / Σ buyers of its days.
    @property
    def repeat_buyer_rate(self) -> Decimal | None:
        return percent(self.returning_buyers, self.buyers)

    @property
    def promoter_share(self) -> Decimal | None:
        """Net sales of promoter-brought orders over net sales."""
        return percent(self.promoter_gmv, self.gmv)

    @property
    def aftersale_rate(self) -> Decimal | None:
        """Orders with an after-sale claim (not withdrawn) over orders, by the paid day."""
        return percent(self.aftersale_orders, self.orders)

    @property
    def refund_rate(self) -> Decimal | None:
        """Refunds over what was paid for the goods (net sales + refunds)."""
        return percent(self.refund_amount, self.gmv + self.refund_amount)


def sales_point_total(points: list[SalesPoint]) -> SalesPoint | None:
    """The points of a range summed into one (its period: the first point's)."""
    if not points:
        return None
    return SalesPoint(
        period=points[0].period,
        quantity=sum(p.quantity for p in points),
        gmv=sum((p.gmv for p in points), start=Decimal("0.00")),
        orders=sum(p.orders for p in points),
        buyers=sum(p.buyers for p in points),
        returning_buyers=sum(p.returning_buyers for p in points),
        promoter_gmv=sum((p.promoter_gmv for p in points), start=Decimal("0.00")),
        aftersale_orders=sum(p.aftersale_orders for p in points),
        refund_amount=sum((p.refund_amount for p in points), start=Decimal("0.00")),
    )


def sales_series(
    *, user, date_from: dt.date, date_to: dt.date, grain: str = "day"
) -> list[SalesPoint]:
    """GMV, orders, buyers and pieces per day / week / month, for what `user` may see.

    Buyers of a week or month (and of several stores) are the sum of the daily distinct buyers.
    """
    store_ids = figures_store_ids(user)
    rows = SalesDailyTotal.objects.filter(date__gte=date_from, date__lte=date_to)
    if store_ids is None:
        rows = rows.filter(store__isnull=True)
    else:
        rows = rows.filter(store_id__in=store_ids)
    period = {"day": F("date"), "week": TruncWeek("date"), "month": TruncMonth("date")}[grain]
    rows = (
        rows.annotate(period=period)
        .values("period")
        .annotate(
            quantity_sum=Sum("quantity"),
            gmv_sum=Sum("gmv"),
            orders_sum=Sum("orders"),
            buyers_sum=Sum("buyers"),
            returning_sum=Sum("returning_buyers"),
            promoter_sum=Sum("promoter_gmv"),
            aftersale_sum=Sum("aftersale_orders"),
            refund_sum=Sum("refund_amount"),
        )
        .order_by("period")
    )
    return [
        SalesPoint(
            period=row["period"] if isinstance(row["period"], dt.date) else row["period"].date(),
            quantity=row["quantity_sum"],
            gmv=to_money(row["gmv_sum"]),
            orders=row["orders_sum"],
            buyers=row["buyers_sum"],
            returning_buyers=row["returning_sum"],
            promoter_gmv=to_money(row["promoter_sum"]),
            aftersale_orders=row["aftersale_sum"],
            refund_amount=to_money(row["refund_sum"]),
        )
        for row in rows
    ]


def sales_cells_for_user(*, user) -> QuerySet[SalesDaily]:
    store_ids = figures_store_ids(user)
    cells = SalesDaily.objects.all()
    return cells if store_ids is None else cells.filter(store_id__in=store_ids)


# Ranked by key over the cells first; the names of the few winners are read afterwards (joining
# every cell of a year to its product for a name cost more than the ranking itself).
_TOP_KEYS = {
    "category": ("category_id", Category, "name"),
    "store": ("store_id", Store, "name"),
    "product": ("product_id", Product, "title"),
    "region": ("region_code", None, "region_name"),
}


def _month_after(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def rollup_split(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date] | None:
    """The whole calendar months inside date_from … date_to as (first month, end) — `end` the
    day after the last whole month — or None when the range holds no whole month. The days
    before the first and from `end` on are the range's edge days."""
    first = date_from if date_from.day == 1 else _month_after(date_from)
    after = date_to + dt.timedelta(days=1)
    end = after if after.day == 1 else date_to.replace(day=1)
    return (first, end) if first < end else None


_CELL_COLUMNS = "store_id, category_id, product_id, region_code, region_name, gmv, quantity"


def _rollup_rows_sql(
    *, daily: str, monthly: str, columns: str, date_from: dt.date, date_to: dt.date, own: str
) -> tuple[str, dict]:
    """The rows of the range as SQL: the whole months from the monthly roll-up table, the edge
    days from the daily table (the same sums: the roll-up is the daily rows of its months
    summed). Sales cells (SalesMonthly/SalesDaily) and demand (DemandMonthly/DemandDaily)."""
    split = rollup_split(date_from, date_to)
    if split is None:
        sql = f"""
            SELECT {columns} FROM {daily}
            WHERE date >= %(date_from)s AND date <= %(date_to)s {own}"""
        return sql, {"date_from": date_from, "date_to": date_to}
    first, end = split
    sql = f"""
        SELECT {columns} FROM {monthly}
        WHERE month >= %(first)s AND month < %(end)s {own}
        UNION ALL
        SELECT {columns} FROM {daily}
        WHERE date >= %(date_from)s AND date < %(first)s {own}
        UNION ALL
        SELECT {columns} FROM {daily}
        WHERE date >= %(end)s AND date <= %(date_to)s {own}"""
    return sql, {"date_from": date_from, "date_to": date_to, "first": first, "end": end}


def sales_tops(
    *, user, dimensions, date_from: dt.date, date_to: dt.date, limit: int = 10
) -> dict[str, list[dict]]:
    """The best-selling categories / stores / products / buyer counties by GMV (ties by key),
    for each of `dimensions`: one pass over the cells (GROUPING SETS, one set per dimension,
    ranked inside each set), then the few winners' names. On PostgreSQL the whole months of
    the range are read from the monthly roll-up (SalesMonthly), the edge days from the daily
    cells, their rows first summed per combination of the keys (~1,000 at the bench size
    instead of ~32,000 rows for 365 days) so that the grouping sets hash few rows."""
    store_ids = figures_store_ids(user)
    if connection.vendor == "postgresql":
        rows = _sales_tops_grouping_sets(
            dimensions=dimensions,
            store_ids=store_ids,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
        )
    else:
        # The embedded SQLite default has no GROUPING SETS: a GROUP BY per dimension, ranked
        # the same way (GMV descending, ties by key, NULL keys last as PostgreSQL sorts them).
        cells = SalesDaily.objects.filter(date__gte=date_from, date__lte=date_to)
        if store_ids is not None:
            cells = cells.filter(store_id__in=store_ids)
        rows = {}
        for by in dimensions:
            key = _TOP_KEYS[by][0]
            ranked = (
                cells.values(key)
                .annotate(region_name=Max("region_name"), gmv=Sum("gmv"), quantity=Sum("quantity"))
                .order_by("-gmv", F(key).asc(nulls_last=True))[:limit]
            )
            rows[by] = [{"key": row[key], "name": row["region_name"], **row} for row in ranked]
    result = {}
    for by in dimensions:
        key, model, label = _TOP_KEYS[by]
        if model is not None:
            found = dict(
                model.objects.filter(
                    pk__in=[r["key"] for r in rows[by] if r["key"] is not None]
                ).values_list("pk", label)
            )
            for row in rows[by]:
                row["name"] = found.get(row["key"])
        result[by] = [
            {
                "key": row["key"],
                "name": row["name"] or "—",
                "gmv": to_money(row["gmv"]),
                "quantity": row["quantity"],
            }
            for row in rows[by]
        ]
    return result


def _sales_tops_grouping_sets(
    *, dimensions, store_ids, date_from: dt.date, date_to: dt.date, limit: int
) -> dict[str, list[dict]]:
    keys = [_TOP_KEYS[by][0] for by in dimensions]
    own = ""
    if store_ids is not None:
        own = "AND store_id = ANY(%(store_ids)s)"
    cells, params = _rollup_rows_sql(
        daily="analytics_salesdaily",
        monthly="analytics_salesmonthly",
        columns=_CELL_COLUMNS,
        date_from=date_from,
        date_to=date_to,
        own=own,
    )
    params["limit"] = limit
    if store_ids is not None:
        params["store_ids"] = list(store_ids)
    columns = ", ".join(keys)
    sql = f"""
        SELECT * FROM (
            SELECT GROUPING({columns}) AS grouping_set, {columns},
                   MAX(region_name) AS region_name, SUM(gmv) AS gmv, SUM(quantity) AS quantity,
                   ROW_NUMBER() OVER (PARTITION BY GROUPING({columns})
                                      ORDER BY SUM(gmv) DESC, {columns}) AS rank
            FROM (
                SELECT {columns}, MAX(region_name) AS region_name, SUM(gmv) AS gmv,
                       SUM(quantity) AS quantity
                FROM ({cells}) cells
                GROUP BY {columns}
            ) combined
            GROUP BY GROUPING SETS ({", ".join(f"({key})" for key in keys)})
        ) ranked
        WHERE rank <= %(limit)s
        ORDER BY grouping_set, rank
    """
    # GROUPING(k1, …, kn) has bit n−1−i clear for the set of ki only.
    set_of = {
        (2 ** len(keys) - 1) ^ (1 << (len(keys) - 1 - i)): by for i, by in enumerate(dimensions)
    }
    rows: dict[str, list[dict]] = {by: [] for by in dimensions}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            by = set_of[row["grouping_set"]]
            key, _model, _label = _TOP_KEYS[by]
            rows[by].append({"key": row[key], "name": row["region_name"], **row})
    return rows


def sales_top(
    *, user, by: str, date_from: dt.date, date_to: dt.date, limit: int = 10
) -> list[dict]:
    """The best-selling categories / stores / products / buyer counties by GMV."""
    return sales_tops(
        user=user, dimensions=[by], date_from=date_from, date_to=date_to, limit=limit
    )[by]


def commodities_for_user(user) -> QuerySet[Commodity] | None:
    """Commodities matching a merchant's products (their categories or the parents of those);
    None for staff (all of them)."""
    store_ids = figures_store_ids(user)
    if store_ids is None:
        return None
    category_ids = set(
        Product.objects.filter(store_id__in=store_ids).values_list("category_id", flat=True)
    )
    parent_ids = set(
        Category.objects.filter(id__in=category_ids, parent__isnull=False).values_list(
            "parent_id", flat=True
        )
    )
    return Commodity.objects.filter(catalog_category_id__in=category_ids | parent_ids)


def alerts_for_user(*, user, since: dt.date, limit: int = 50) -> list[PriceAlert]:
    """National and provincial alerts since `since`: all for staff, a merchant's commodities."""
    alerts = PriceAlert.objects.filter(
        date__gte=since, scope__in=[Scope.NATIONAL, Scope.PROVINCE]
    ).select_related("commodity")
    commodities = commodities_for_user(user)
    if commodities is not None:
        alerts = alerts.filter(commodity__in=commodities)
    return list(alerts.order_by("-date", "-level", "commodity__name")[:limit])


# --- market quotes (public) ------------------------------------------------------------------


def commodity_list() -> QuerySet[Commodity]:
    return Commodity.objects.order_by("category_l1", "name")


def price_series(
    *, commodity: Commodity, days: int, scope: str = Scope.NATIONAL, area: str = NATIONAL
) -> list[PriceDaily]:
    """The last `days` days of one commodity's daily prices (up to its latest quote)."""
    rows = PriceDaily.objects.filter(commodity=commodity, scope=scope, area=area)
    latest = rows.aggregate(latest=Max("date"))["latest"]
    if latest is None:
        return []
    return list(rows.filter(date__gt=latest - dt.timedelta(days=days)).order_by("date"))


def quotes_latest(*, scope: str = Scope.NATIONAL, area: str = NATIONAL) -> list[PriceDaily]:
    """Every commodity's price on the latest day with quotes in this scope."""
    rows = PriceDaily.objects.filter(scope=scope, area=area)
    latest = rows.aggregate(latest=Max("date"))["latest"]
    if latest is None:
        return []
    return list(
        rows.filter(date=latest)
        .select_related("commodity")
        .order_by("commodity__category_l1", "commodity__name")
    )


def movers(quotes: list[PriceDaily], *, limit: int = 5) -> tuple[list, list]:
    """Risers and fallers of the day among `quotes` (by day-on-day change)."""
    changed = [q for q in quotes if q.change_day is not None]
    risers = sorted((q for q in changed if q.change_day > 0), key=lambda q: -q.change_day)
    fallers = sorted((q for q in changed if q.change_day < 0), key=lambda q: q.change_day)
    return risers[:limit], fallers[:limit]


def market_areas() -> list[tuple[str, str]]:
    """(scope, area) pairs that have prices, for the quote page's scope picker: the nation, and
    the provinces and markets of the markets with quotes (the price job gives each of them
    rows). From the few markets, not a DISTINCT over millions of daily prices."""
    markets = list(
        Market.objects.filter(
            Exists(PriceObservation.objects.filter(market_id=OuterRef("pk")))
        ).values_list("province", "name")
    )
    if not markets:
        return []
    areas = {(Scope.NATIONAL.value, NATIONAL)}
    areas |= {(Scope.PROVINCE.value, province) for province, _name in markets}
    areas |= {(Scope.MARKET.value, name) for _province, name in markets}
    return sorted(areas)


def has_synthetic_quotes(*, commodity: Commodity | None = None) -> bool:
    """True when synthetic quotes feed the prices on show (the page then says so)."""
    if commodity is None:
        return Market.objects.filter(is_synthetic=True).exists()
    return PriceObservation.objects.filter(commodity=commodity, is_synthetic=True).exists()


def forecast_series(*, user, category_id: int | None = None) -> tuple[list[dict], list]:
    """Forecast demand per day summed over buyer counties, for one category (or all).

    A merchant sees the forecasts of their own products' categories only. Returns the rows and
    the categories that have forecasts (for the picker).
    """
    forecasts = DemandForecast.objects.all()
    store_ids = figures_store_ids(user)
    if store_ids is not None:
        own = Product.objects.filter(store_id__in=store_ids).values("category_id")
        forecasts = forecasts.filter(category_id__in=own)
    categories = list(
        Category.objects.filter(id__in=forecasts.values("category_id")).order_by("name")
    )
    if category_id is not None:
        forecasts = forecasts.filter(category_id=category_id)
    rows = list(
        forecasts.values("date")
        .annotate(quantity=Sum("quantity"), lower=Sum("lower"), upper=Sum("upper"))
        .order_by("date")
    )
    return rows, categories


def demand_series(
    *, user, date_from: dt.date, date_to: dt.date, category_id: int | None = None
) -> list[dict]:
    """Daily demand and its parts (paid pieces, unpaid wholesale requests, searches), summed
    over buyer counties, for one category (or all); a merchant's own categories only. Read
    from the per-day × category roll-up the demand job keeps (DemandCategoryDaily: the daily
    rows summed over counties), not from a row per county."""
    rows = DemandCategoryDaily.objects.filter(date__gte=date_from, date__lte=date_to)
    store_ids = figures_store_ids(user)
    if store_ids is not None:
        own = Product.objects.filter(store_id__in=store_ids).values("category_id")
        rows = rows.filter(category_id__in=own)
    if category_id is not None:
        rows = rows.filter(category_id=category_id)
    return list(
        rows.values("date")
        .annotate(
            paid=Sum("paid_quantity"),
            wholesale=Sum("wholesale_quantity"),
            searches=Sum("searches"),
            demand=Sum("demand"),
        )
        .order_by("date")
    )


_DEMAND_COLUMNS = (
    "category_id, region_code, region_name, paid_quantity, wholesale_quantity, searches, demand"
)


def demand_top(*, user, date_from: dt.date, date_to: dt.date, limit: int = 10) -> list[dict]:
    """The categories × buyer counties most in demand over the range (demand descending, ties
    by category and county). On PostgreSQL the whole months of the range are read from the
    monthly roll-up (DemandMonthly), the edge days from DemandDaily: the same sums."""
    store_ids = figures_store_ids(user)
    if connection.vendor == "postgresql":
        rows = _demand_top_rollup(
            store_ids=store_ids, date_from=date_from, date_to=date_to, limit=limit
        )
    else:
        cells = DemandDaily.objects.filter(date__gte=date_from, date__lte=date_to)
        if store_ids is not None:
            own = Product.objects.filter(store_id__in=store_ids).values("category_id")
            cells = cells.filter(category_id__in=own)
        rows = list(
            cells.values("category_id", "region_code")
            .annotate(
                region=Max("region_name"),
                paid=Sum("paid_quantity"),
                wholesale=Sum("wholesale_quantity"),
                searches=Sum("searches"),
                demand=Sum("demand"),
            )
            .order_by("-demand", "category_id", "region_code")[:limit]
        )
    names = dict(
        Category.objects.filter(pk__in=[r["category_id"] for r in rows]).values_list("pk", "name")
    )
    for row in rows:
        row["category_name"] = names.get(row["category_id"], "—")
    return rows


def _demand_top_rollup(
    *, store_ids, date_from: dt.date, date_to: dt.date, limit: int
) -> list[dict]:
    own = ""
    if store_ids is not None:
        own = """AND category_id IN (
            SELECT category_id FROM catalog_product WHERE store_id = ANY(%(store_ids)s))"""
    rows_sql, params = _rollup_rows_sql(
        daily="analytics_demanddaily",
        monthly="analytics_demandmonthly",
        columns=_DEMAND_COLUMNS,
        date_from=date_from,
        date_to=date_to,
        own=own,
    )
    params["limit"] = limit
    if store_ids is not None:
        params["store_ids"] = list(store_ids)
    sql = f"""
        SELECT category_id, region_code, MAX(region_name) AS region,
               SUM(paid_quantity) AS paid, SUM(wholesale_quantity) AS wholesale,
               SUM(searches) AS searches, SUM(demand) AS demand
        FROM ({rows_sql}) demand_rows
        GROUP BY category_id, region_code
        ORDER BY demand DESC, category_id, region_code
        LIMIT %(limit)s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
