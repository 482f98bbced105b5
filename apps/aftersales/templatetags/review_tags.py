"""Product ratings and reviews for pages owned by other apps (the catalog cannot import us).

    {% load review_tags %}
    {% product_rating product %}              average + count
    {% product_reviews product limit=5 %}     latest visible reviews with photos and replies

Both tags on one page share one query (two when there are reviews with photos to fetch).
"""

from decimal import ROUND_HALF_UP, Decimal

from django import template

from apps.aftersales.selectors import product_review_summary

register = template.Library()

DEFAULT_LIMIT = 5
MAX_LIMIT = 20


def _summary(product, limit: int) -> tuple[dict, list]:
    """Rating and latest reviews, fetched once per product object and limit."""
    cached = getattr(product, "_aftersales_reviews", None)
    if cached is None or cached[0] != limit:
        cached = (limit, *product_review_summary(product_id=product.pk, limit=limit))
        product._aftersales_reviews = cached
    return cached[1], cached[2]


@register.inclusion_tag("aftersales/_product_rating.html")
def product_rating(product):
    rating, _reviews = _summary(product, DEFAULT_LIMIT)
    return {"product": product, "rating": rating}


@register.inclusion_tag("aftersales/_product_reviews.html")
def product_reviews(product, limit: int = DEFAULT_LIMIT):
    limit = max(1, min(int(limit), MAX_LIMIT))
    rating, reviews = _summary(product, limit)
    return {"product": product, "rating": rating, "reviews": reviews}


@register.filter
def stars(rating) -> str:
    """★★★★☆ for a rating from 0 to 5 (rounded to whole stars)."""
    if rating in (None, ""):
        return ""
    filled = int(Decimal(str(rating)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    filled = max(0, min(filled, 5))
    return "★" * filled + "☆" * (5 - filled)
