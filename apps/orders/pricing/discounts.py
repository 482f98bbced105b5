"""Step 2: line-level discounts. The promotions app plugs in here; today nothing is offered,
so `discounts_apply(lines, ())` returns the lines unchanged.

A discount is an amount taken off a set of lines (all lines, or the ones its scope covers),
funded by the platform or a store. It is spread over those lines by `allocate` (pro rata by
what is still payable on each line, remainder on the largest line, never below zero) and kept
on each line as an `Allocation`, so every line knows its paid amount to the fen.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from apps.core.money import allocate
from apps.orders.pricing.lines import Allocation, PricedLine


class DiscountLike(Protocol):
    """What a discount source hands to pricing. The promotions app (below orders, so it cannot
    import this module) returns values of this shape; Python's structural typing lets pricing
    take them without an upward import."""

    code: str  # e.g. "coupon:42" or "promotion:7": stored with each allocation
    funder: str  # "platform" or "store:<id>": settlement shows who paid
    amount: Decimal  # wanted off these lines (capped by what they still cost)
    line_keys: frozenset[int] | None  # cart line ids it covers; None = every line


@dataclass(frozen=True)
class Discount:
    code: str
    funder: str
    amount: Decimal
    line_keys: frozenset[int] | None = None


def discounts_apply(
    lines: Sequence[PricedLine], discounts: Iterable[DiscountLike] = ()
) -> list[PricedLine]:
    """Apply each discount in turn (the caller orders them: store promotion, then platform
    coupon); a later discount is spread over what earlier ones left payable."""
    lines = list(lines)
    for discount in discounts:
        covered = [
            i
            for i, line in enumerate(lines)
            if discount.line_keys is None or line.key in discount.line_keys
        ]
        shares = allocate(amount=discount.amount, weights=[lines[i].paid_amount for i in covered])
        for i, share in zip(covered, shares, strict=True):
            if share > 0:
                allocation = Allocation(code=discount.code, funder=discount.funder, amount=share)
                lines[i] = replace(lines[i], allocations=(*lines[i].allocations, allocation))
    return lines
