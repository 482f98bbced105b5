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


@register.inclusion_tag("traceability/_sku_trace_panel.html")
def sku_trace_panel(sku) -> dict:
    """溯源 on the product page (catalog's template loads this tag, so catalog imports nothing
    of traceability): the active lot supplying `sku`, in one query, or nothing."""
    from apps.traceability.selectors import lot_summary_for_sku, trace_url

    lot = lot_summary_for_sku(sku_id=sku.pk) if sku is not None else None
    return {"lot": lot, "url": trace_url(lot.trace_code) if lot and lot.trace_code else ""}
