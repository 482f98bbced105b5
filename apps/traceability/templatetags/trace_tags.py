from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def qty(value) -> str:
    """12.500 → 12.5, 1000.000 → 1000: quantities as people write them."""
    if value is None or value == "":
        return ""
    number = Decimal(value)
    if number == number.to_integral():
        return f"{number:.0f}"
    return format(number.normalize(), "f")


@register.filter
def short_hash(value: str, length: int = 12) -> str:
    return (value or "")[: int(length)]
