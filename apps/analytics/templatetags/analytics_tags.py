"""The figures summary on the back office's first page (staff: platform; merchant: own store)."""

from django import template
from django.urls import reverse

from apps.analytics import charts, selectors

register = template.Library()


@register.inclusion_tag("analytics/includes/admin_summary.html", takes_context=True)
def analytics_summary(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not selectors.user_may_see_figures(user):
        return {"show": False}
    date_from, date_to = selectors.default_range(30)
    points = selectors.sales_series(user=user, date_from=date_from, date_to=date_to)
    total = selectors.sales_point_total(points)
    # Orders and sales from the selector the workbench below reads too; the chart, buyers
    # and rates from the aggregation job's tables.
    summary = selectors.figures_summary(user=user, date_from=date_from)
    gmv, orders = summary.amount, summary.orders
    is_platform = selectors.user_sees_platform_figures(user)
    figures = reverse("analytics:figures")
    summary_charts = [charts.gmv_chart(points, grain="day", link=figures)]
    if is_platform:
        summary_charts.append(
            charts.rates_chart(points, grain="day", link=f"{figures}#chart-rates")
        )
    return {
        "show": True,
        "is_platform": is_platform,
        "gmv": gmv,
        "orders": orders,
        "buyers": total.buyers if total else 0,
        "average_order_value": gmv / orders if orders else 0,
        "total": total,
        "charts": summary_charts,
        "alerts": selectors.alerts_for_user(user=user, since=date_from, limit=5),
    }
