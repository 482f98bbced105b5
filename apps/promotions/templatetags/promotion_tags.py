"""Promotion tags and countdowns on storefront pages without the catalog knowing promotions.

`{% load promotion_tags %}`, then on a product page `{% flash_price sku %}` (the running
limited-time price with a countdown) and on a product card `{% promotion_badges product %}`
(限时价 / 满减). What is running is read once (2 queries, then cached for 30 s), whatever the
number of cards; saving a promotion in the admin clears the cache.
"""

from django import template
from django.utils import timezone

from apps.promotions.selectors import flash_prices_for_skus, running_index_cached

register = template.Library()

_INDEX_ATTR = "_promotions_running_index"


def running_index_for_request(request):
    """The running index, read once per request."""
    if request is None:
        return running_index_cached()
    if not hasattr(request, _INDEX_ATTR):
        setattr(request, _INDEX_ATTR, running_index_cached())
    return getattr(request, _INDEX_ATTR)


def _index(context):
    return running_index_for_request(context.get("request"))


@register.inclusion_tag("promotions/tags/badges.html", takes_context=True)
def promotion_badges(context, product) -> dict:
    index = _index(context)
    return {
        "has_flash": product.pk in index.flash_product_ids,
        "has_spend_and_save": index.platform_wide or product.store_id in index.store_ids,
    }


@register.inclusion_tag("promotions/tags/flash_price.html", takes_context=True)
def flash_price(context, sku) -> dict:
    if sku is None or sku.pk not in _index(context).flash_sku_ids:
        return {"flash": None}
    flash = flash_prices_for_skus(sku_ids=[sku.pk]).get(sku.pk)
    return {"flash": flash, "sku": sku, "now": timezone.now()}
