"""Freight (运费) of one store order by its shipping template, pure.

A store without a template ships free: small farms often include postage in the price, and a
missing template must not block checkout. Rules match the address by division-code prefix and
the most specific (longest) matching code wins, so a store can exclude a province and still
serve one county in it at its own rate. The template is loaded by
`apps.orders.selectors.freight_template_for_store` and handed in as plain data.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.orders.errors import OrderErrorCode
from apps.orders.pricing.lines import ZERO

GRAMS_PER_KG = Decimal(1000)
BASIS_WEIGHT = "weight"  # ShippingTemplate.Basis.WEIGHT; anything else counts pieces


@dataclass(frozen=True)
class FreightLine:
    """What freight needs to know of a line: its weight, count and goods amount."""

    weight_grams: int
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class FreightRates:
    first_unit: Decimal
    first_fee: Decimal
    extra_unit: Decimal
    extra_fee: Decimal


@dataclass(frozen=True)
class FreightRule:
    """Rates for some regions (division codes), or `is_excluded`: not served."""

    region_codes: tuple[str, ...]
    rates: FreightRates
    is_excluded: bool = False


@dataclass(frozen=True)
class FreightTemplate:
    basis: str  # "piece" or "weight"
    rates: FreightRates  # for regions no rule names
    free_threshold: Decimal | None = None  # goods amount from which freight is free
    rules: tuple[FreightRule, ...] = ()


@dataclass(frozen=True)
class Destination:
    """Where the goods go: the most specific division code (township, else county) and its
    name for messages."""

    region_code: str
    region_text: str


def region_code_normalize(code: str) -> str:
    """Padded 6-digit province/city codes (110000, 110100) become their 2/4-digit prefix."""
    code = (code or "").strip()
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


def longest_prefix_match(items: Iterable, region_code: str, codes_of) -> object | None:
    """The item one of whose codes (`codes_of(item)`) is the longest prefix of `region_code`."""
    best: tuple[int, object] | None = None
    for item in items:
        for raw in codes_of(item) or ():
            code = region_code_normalize(str(raw))
            if code and region_code.startswith(code) and (best is None or len(code) > best[0]):
                best = (len(code), item)
    return best[1] if best else None


def _fee(rates: FreightRates, units: Decimal) -> Decimal:
    fee = rates.first_fee
    if units > rates.first_unit and rates.extra_unit > 0:
        steps = math.ceil((units - rates.first_unit) / rates.extra_unit)
        fee += rates.extra_fee * steps
    return to_money(fee)


def freight_fee(
    *,
    template: FreightTemplate | None,
    lines: Sequence[FreightLine],
    destination: Destination,
    store_name: str,
) -> Decimal:
    """Freight for one store's lines to `destination`; raises when the store does not deliver
    there (`orders_not_deliverable`, even above the free threshold)."""
    if template is None:
        return ZERO
    rule = longest_prefix_match(template.rules, destination.region_code, lambda r: r.region_codes)
    if rule is not None and rule.is_excluded:
        raise ApplicationError(
            _("「%(store)s」暂不配送到%(region)s，请更换收货地址或移除该店铺的商品。")
            % {"store": store_name, "region": destination.region_text},
            code=OrderErrorCode.NOT_DELIVERABLE,
            fields={"address": _("该地址不在店铺配送范围内。")},
        )
    goods_amount = sum((line.amount for line in lines), ZERO)
    if template.free_threshold is not None and goods_amount >= template.free_threshold:
        return ZERO
    if template.basis == BASIS_WEIGHT:
        grams = sum(line.weight_grams * line.quantity for line in lines)
        units = Decimal(grams) / GRAMS_PER_KG
    else:
        units = Decimal(sum(line.quantity for line in lines))
    return _fee(rule.rates if rule is not None else template.rates, units)
