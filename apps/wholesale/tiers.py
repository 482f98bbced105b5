"""The wholesale tier rule, pure: which unit price a quantity reaches.

It lives here, not in orders' pricing home, because the wholesale product pages (a lower app)
show the same price breaks; orders' pricing (`apps.orders.pricing.unit_price`) calls it, so the
table a buyer reads and the price checkout charges come from one function.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol


class Tier(Protocol):
    """A `WholesaleTier` row or any value with these two attributes."""

    min_quantity: int
    unit_price: Decimal


def tier_unit_price(*, retail_price: Decimal, tiers: Iterable[Tier], quantity: int) -> Decimal:
    """The lowest tier price the quantity reaches; never dearer than retail."""
    price = retail_price
    for tier in tiers:
        if quantity >= tier.min_quantity and tier.unit_price < price:
            price = tier.unit_price
    return price
