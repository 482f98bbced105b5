"""Figures pages (staff: the platform; merchants: their own stores) and the public 行情 pages.

Thin: parse the query, call selectors, build charts (apps.analytics.charts), render. Every
chart can be downloaded as CSV with ?export=<chart key>.
"""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from apps.analytics import charts, selectors
from apps.analytics.models import Commodity, Scope
from apps.core.charts import csv_response

RANGES = (30, 90, 365)


def _choice(request: HttpRequest, name: str, allowed, default):
    value = request.GET.get(name, default)
    try:
        value = type(default)(value)
    except (TypeError, ValueError):
        return default
    return value if value in allowed else default


def _export_or_render(request, template: str, context: dict, chart_list: list) -> HttpResponse:
    export = request.GET.get("export")
    if export:
        for chart in chart_list:
            if chart.key == export:
                return csv_response(chart)
        raise Http404
    return render(request, template, context)


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    """The sales and price figures: the platform's for staff, a merchant's own otherwise."""
    user = request.user
    if not selectors.user_may_see_figures(user):
        raise PermissionDenied
    is_platform = selectors.user_sees_platform_figures(user)
    days = _choice(request, "days", RANGES, 30)
    grain = _choice(request, "grain", selectors.GRAINS, "day")
    date_from, date_to = selectors.default_range(days)
    points = selectors.sales_series(user=user, date_from=date_from, date_to=date_to, grain=grain)
    dimensions = [d for d in selectors.TOP_DIMENSIONS if is_platform or d != "store"]
    tops = selectors.sales_tops(
        user=user, dimensions=dimensions, date_from=date_from, date_to=date_to
    )
    chart_list = [
        charts.gmv_chart(points, grain=grain),
        charts.buyers_chart(points, grain=grain),
        *(charts.top_chart(tops[by], by=by) for by in dimensions),
    ]
    if is_platform:
        chart_list.insert(2, charts.rates_chart(points, grain=grain))
    category_id = request.GET.get("category")
    category_id = int(category_id) if (category_id or "").isdigit() else None
    chart_list.append(
        charts.demand_chart(
            selectors.demand_series(
                user=user, date_from=date_from, date_to=date_to, category_id=category_id
            ),
            title=_("每日需求（净销量 + 未付款批发需求 + 搜索次数）"),
        )
    )
    chart_list.append(
        charts.demand_top_chart(
            selectors.demand_top(user=user, date_from=date_from, date_to=date_to)
        )
    )
    commodities = selectors.commodities_for_user(user)
    commodities = list(commodities if commodities is not None else selectors.commodity_list())
    commodity = next(
        (c for c in commodities if str(c.pk) == request.GET.get("commodity")),
        commodities[0] if commodities else None,
    )
    if commodity is not None:
        chart_list.append(
            charts.price_chart(
                selectors.price_series(commodity=commodity, days=days),
                title=_("%(name)s 全国均价") % {"name": commodity.name},
                link=reverse("analytics:commodity", args=[commodity.pk]),
            )
        )
    forecast_rows, forecast_categories = selectors.forecast_series(
        user=user, category_id=category_id
    )
    chart_list.append(charts.forecast_chart(forecast_rows, title=_("未来 14 天需求预测（件）")))
    total = selectors.sales_point_total(points)
    totals = {
        "gmv": total.gmv if total else 0,
        "orders": total.orders if total else 0,
        "buyers": total.buyers if total else 0,
    }
    context = {
        "is_platform": is_platform,
        "days": days,
        "grain": grain,
        "ranges": RANGES,
        "grains": selectors.GRAINS,
        "date_from": date_from,
        "date_to": date_to,
        "charts": chart_list,
        "totals": totals,
        "average_order_value": (totals["gmv"] / totals["orders"]) if totals["orders"] else 0,
        "commodities": commodities,
        "forecast_categories": forecast_categories,
        "category_id": "" if category_id is None else str(category_id),
        "total": total,
        "commodity": commodity,
        "alerts": selectors.alerts_for_user(user=user, since=date_from),
        "query": urlencode({"days": days, "grain": grain}),
    }
    return _export_or_render(request, "analytics/figures.html", context, chart_list)


def market(request: HttpRequest) -> HttpResponse:
    """Public 行情: the latest prices of every commodity in a scope, and the day's movers."""
    areas = selectors.market_areas()
    scope = request.GET.get("scope", Scope.NATIONAL)
    area = request.GET.get("area", selectors.NATIONAL)
    if (scope, area) not in areas:
        scope, area = Scope.NATIONAL, selectors.NATIONAL
    quotes = selectors.quotes_latest(scope=scope, area=area)
    risers, fallers = selectors.movers(quotes)
    by_category: dict[str, list] = {}
    for quote in quotes:
        by_category.setdefault(quote.commodity.category_l1, []).append(quote)
    context = {
        "areas": areas,
        "scope": scope,
        "area": area,
        "by_category": by_category,
        "day": quotes[0].date if quotes else None,
        "risers": risers,
        "fallers": fallers,
        "has_synthetic": bool(quotes) and selectors.has_synthetic_quotes(),
    }
    return render(request, "analytics/market.html", context)


def commodity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Public: one commodity's daily low / average / high with MA7 and MA30 over 30–365 days."""
    commodity = get_object_or_404(Commodity, pk=pk)
    days = _choice(request, "days", RANGES, 90)
    rows = selectors.price_series(commodity=commodity, days=days)
    chart = charts.price_chart(
        rows, title=_("%(name)s 全国日均价（元/公斤）") % {"name": commodity.name}
    )
    context = {
        "commodity": commodity,
        "days": days,
        "ranges": RANGES,
        "chart": chart,
        "latest": rows[-1] if rows else None,
        "has_synthetic": selectors.has_synthetic_quotes(commodity=commodity),
        "today": timezone.localdate(),
        "since": timezone.localdate() - dt.timedelta(days=days),
        "query": urlencode({"days": days}),
    }
    return _export_or_render(request, "analytics/commodity.html", context, [chart])
