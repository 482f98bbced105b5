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
    gmv = sum((p.gmv for p in points), start=0)
    orders = sum(p.orders for p in points)
    return {
        "show": True,
        "is_platform": selectors.user_sees_platform_figures(user),
        "gmv": gmv,
        "orders": orders,
        "buyers": sum(p.buyers for p in points),
        "average_order_value": gmv / orders if orders else 0,
        "chart": charts.gmv_chart(points, grain="day", link=reverse("analytics:figures")),
        "alerts": selectors.alerts_for_user(user=user, since=date_from, limit=5),
    }
