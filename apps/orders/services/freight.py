"""Freight (运费) per store order, from the store's default shipping template.

A store without a template ships free: small farms often include postage in the price, and a
missing template must not block checkout. Rules match the address by division-code prefix and
the most specific (longest) matching code wins, so a store can exclude a province and still
serve one county in it at its own rate.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.orders.errors import OrderErrorCode
from apps.orders.models import ZERO, Address, ShippingRule, ShippingTemplate
from apps.stores.models import Store

GRAMS_PER_KG = Decimal(1000)


@dataclass(frozen=True)
class FreightLine:
    """What freight needs to know of a line: its weight, count and goods amount."""

    weight_grams: int
    quantity: int
    amount: Decimal


def region_code_normalize(code: str) -> str:
    """Padded 6-digit province/city codes (110000, 110100) become their 2/4-digit prefix."""
    code = (code or "").strip()
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


def template_for_store(store: Store) -> ShippingTemplate | None:
    """The store's default template with its rules (cached on the store object)."""
    if not hasattr(store, "_shipping_template"):
        store._shipping_template = (
            ShippingTemplate.objects.filter(store=store, is_default=True)
            .prefetch_related("rules")
            .first()
        )
    return store._shipping_template


def _matching_rule(template: ShippingTemplate, region_code: str) -> ShippingRule | None:
    best: tuple[int, ShippingRule] | None = None
    for rule in template.rules.all():
        for raw in rule.region_codes:
            code = region_code_normalize(str(raw))
            if code and region_code.startswith(code) and (best is None or len(code) > best[0]):
                best = (len(code), rule)
    return best[1] if best else None


def _fee(rates, units: Decimal) -> Decimal:
    fee = rates.first_fee
    if units > rates.first_unit and rates.extra_unit > 0:
        steps = math.ceil((units - rates.first_unit) / rates.extra_unit)
        fee += rates.extra_fee * steps
    return to_money(fee)


def freight_quote(*, store: Store, lines: Iterable[FreightLine], address: Address) -> Decimal:
    """Freight for one store's lines to `address`; raises when the store does not deliver there."""
    template = template_for_store(store)
    if template is None:
        return ZERO
    lines = list(lines)
    rule = _matching_rule(template, address.region_code)
    if rule is not None and rule.is_excluded:
        raise ApplicationError(
            _("「%(store)s」暂不配送到%(region)s，请更换收货地址或移除该店铺的商品。")
            % {"store": store.name, "region": address.region_text},
            code=OrderErrorCode.NOT_DELIVERABLE,
            fields={"address": _("该地址不在店铺配送范围内。")},
        )
    goods_amount = sum((line.amount for line in lines), ZERO)
    if template.free_threshold is not None and goods_amount >= template.free_threshold:
        return ZERO
    if template.basis == ShippingTemplate.Basis.WEIGHT:
        grams = sum(line.weight_grams * line.quantity for line in lines)
        units = Decimal(grams) / GRAMS_PER_KG
    else:
        units = Decimal(sum(line.quantity for line in lines))
    return _fee(rule or template, units)
