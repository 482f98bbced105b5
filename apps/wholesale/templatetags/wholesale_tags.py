"""Wholesale prices on storefront pages without the catalog knowing about wholesale.

`{% load wholesale_tags %}` then `{% wholesale_buyer as is_buyer %}` and
`{% wholesale_prices sku %}`. The request user's organisation is looked up once per request
(one query) and the tiers come from the SKU's prefetched `wholesale_tiers`, so a page makes
the same number of queries whatever the number of SKUs.
"""

from decimal import Decimal, InvalidOperation

from django import template

from apps.core.money import to_money
from apps.wholesale.models import BuyerOrganisation
from apps.wholesale.selectors import verified_organisation_for_user, wholesale_offer

register = template.Library()

_CACHE_ATTR = "_wholesale_verified_organisation"


def _verified_organisation(context) -> BuyerOrganisation | None:
    request = context.get("request")
    if request is None:
        return None
    if not hasattr(request, _CACHE_ATTR):
        setattr(request, _CACHE_ATTR, verified_organisation_for_user(user=request.user))
    return getattr(request, _CACHE_ATTR)


@register.simple_tag(takes_context=True)
def wholesale_buyer(context) -> bool:
    """Whether the request user belongs to a verified buyer organisation."""
    return _verified_organisation(context) is not None


@register.inclusion_tag("wholesale/tags/prices.html", takes_context=True)
def wholesale_prices(context, sku) -> dict:
    """Tier prices and minimum order quantity of `sku`; renders nothing for non-buyers."""
    organisation = _verified_organisation(context)
    offer = wholesale_offer(sku=sku, organisation=organisation) if sku is not None else None
    return {"offer": offer}


@register.filter
def signed_money(value) -> str:
    """A ledger amount with its sign: +¥1200.00 owed more, −¥300.00 owed less."""
    try:
        amount = to_money(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if amount < 0:
        return f"−¥{-amount}"
    return f"+¥{amount}" if amount > 0 else "¥0.00"


@register.filter
def money(value) -> str:
    try:
        amount = to_money(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return f"−¥{-amount}" if amount < 0 else f"¥{amount}"
