"""Template tags other apps' pages use to show parcels without importing logistics.

`{% load logistics_tags %}{% order_shipments order %}` renders the order's parcels with
their tracking timeline (a fixed number of queries, see selectors.order_parcels).
"""

from django import template

from apps.logistics.selectors import order_parcels

register = template.Library()


@register.inclusion_tag("logistics/_order_shipments.html")
def order_shipments(order) -> dict:
    return {"order": order, "parcels": order_parcels(order)}
