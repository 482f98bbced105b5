"""The analytics charts, built from selectors' rows with the shared helper apps.core.charts."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.analytics.models import PriceDaily
from apps.analytics.selectors import SalesPoint
from apps.core.charts import Chart, Series

GRAIN_LABELS = {
    "day": gettext_lazy("日期"),
    "week": gettext_lazy("周（周一）"),
    "month": gettext_lazy("月份"),
}


def _period_label(point: SalesPoint, grain: str) -> str:
    return point.period.strftime("%Y-%m") if grain == "month" else point.period.isoformat()


def gmv_chart(points: list[SalesPoint], *, grain: str, link: str = "") -> Chart:
    return Chart(
        key="gmv",
        title=_("成交额与订单数"),
        x_label=GRAIN_LABELS[grain],
        x=[_period_label(p, grain) for p in points],
        series=[
            Series(_("成交额(元)"), [p.gmv for p in points]),
            Series(_("订单数"), [p.orders for p in points], kind="bar"),
        ],
        link=link,
    )


def buyers_chart(points: list[SalesPoint], *, grain: str) -> Chart:
    return Chart(
        key="buyers",
        title=_("买家数与客单价"),
        x_label=GRAIN_LABELS[grain],
        x=[_period_label(p, grain) for p in points],
        series=[
            Series(_("买家数"), [p.buyers for p in points], kind="bar"),
            Series(_("客单价(元)"), [p.average_order_value for p in points]),
        ],
    )


TOP_TITLES = {
    "category": gettext_lazy("热销类目"),
    "store": gettext_lazy("热销店铺"),
    "product": gettext_lazy("热销商品"),
    "region": gettext_lazy("买家地区"),
}


def top_chart(rows: list[dict], *, by: str) -> Chart:
    return Chart(
        key=f"top-{by}",
        title=TOP_TITLES[by],
        x_label=TOP_TITLES[by],
        x=[row["name"] for row in rows],
        series=[
            Series(_("成交额(元)"), [row["gmv"] for row in rows], kind="bar"),
            Series(_("净销量"), [row["quantity"] for row in rows], kind="bar"),
        ],
        horizontal=True,
    )


def price_chart(rows: list[PriceDaily], *, title: str, link: str = "") -> Chart:
    return Chart(
        key="price",
        title=title,
        x_label=_("日期"),
        x=[row.date.isoformat() for row in rows],
        series=[
            Series(_("最低价"), [row.low_price for row in rows], dashed=True),
            Series(_("平均价"), [row.avg_price for row in rows]),
            Series(_("最高价"), [row.high_price for row in rows], dashed=True),
            Series(_("7日均价"), [row.ma7 for row in rows]),
            Series(_("30日均价"), [row.ma30 for row in rows]),
        ],
        unit=_("元/公斤"),
        link=link,
    )


def forecast_chart(rows: list[dict], *, title: str) -> Chart:
    return Chart(
        key="forecast",
        title=title,
        x_label=_("日期"),
        x=[row["date"].isoformat() for row in rows],
        series=[
            Series(_("预测销量"), [row["quantity"] for row in rows]),
            Series(_("80%区间下限"), [row["lower"] for row in rows], dashed=True),
            Series(_("80%区间上限"), [row["upper"] for row in rows], dashed=True),
        ],
    )


def rates_chart(points: list[SalesPoint], *, grain: str, link: str = "") -> Chart:
    """The staff rates per period, in per cent (a period without orders shows a gap)."""
    return Chart(
        key="rates",
        title=_("复购率、推广员销售占比、售后率"),
        x_label=GRAIN_LABELS[grain],
        x=[_period_label(p, grain) for p in points],
        series=[
            Series(_("复购率(%)"), [p.repeat_buyer_rate for p in points]),
            Series(_("推广员销售占比(%)"), [p.promoter_share for p in points]),
            Series(_("售后率(%)"), [p.aftersale_rate for p in points]),
            Series(_("退款率(%)"), [p.refund_rate for p in points], dashed=True),
        ],
        unit="%",
        link=link,
    )


def demand_chart(rows: list[dict], *, title: str) -> Chart:
    return Chart(
        key="demand",
        title=title,
        x_label=_("日期"),
        x=[row["date"].isoformat() for row in rows],
        series=[
            Series(_("需求量"), [row["demand"] for row in rows]),
            Series(_("净销量"), [row["paid"] for row in rows], kind="bar"),
            Series(_("未付款批发需求"), [row["wholesale"] for row in rows], kind="bar"),
            Series(_("搜索次数"), [row["searches"] for row in rows], kind="bar"),
        ],
    )


def demand_top_chart(rows: list[dict]) -> Chart:
    return Chart(
        key="top-demand",
        title=_("需求最旺的类目与地区"),
        x_label=_("类目 · 买家区县"),
        x=[f"{row['category_name']} · {row['region'] or _('未知地区')}" for row in rows],
        series=[
            Series(_("需求量"), [row["demand"] for row in rows], kind="bar"),
            Series(_("净销量"), [row["paid"] for row in rows], kind="bar"),
            Series(_("未付款批发需求"), [row["wholesale"] for row in rows], kind="bar"),
            Series(_("搜索次数"), [row["searches"] for row in rows], kind="bar"),
        ],
        horizontal=True,
    )
