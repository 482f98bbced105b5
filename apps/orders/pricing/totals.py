"""Step 4: what each store order and the whole checkout cost (with the freight a
free-shipping coupon waives, step 3½)."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from apps.core.money import allocate
from apps.orders.pricing.freight import FreightLine
from apps.orders.pricing.lines import ZERO, PricedLine


class FreightDiscountLike(Protocol):
    """A free-shipping coupon as pricing sees it (promotions' `ShippingWaiver`)."""

    code: str  # "coupon:<id>"
    funder: str  # "platform" or "store:<id>"
    store_ids: frozenset[int]  # the stores whose freight it waives
    cap: Decimal | None  # at most this much in all; None: the whole freight


def freight_waive(
    freights: Mapping[int, Decimal | None], waiver: FreightDiscountLike | None
) -> dict[int, Decimal]:
    """What `waiver` takes off each covered store's freight: all of it, or its cap spread
    over those freights pro rata (remainder on the largest); never more than a freight, so
    freight never goes negative. Unquoted freight (None) waives nothing yet."""
    if waiver is None:
        return {}
    covered = [sid for sid in freights if sid in waiver.store_ids and (freights[sid] or ZERO) > 0]
    fees = [freights[sid] for sid in covered]
    total = sum(fees, ZERO)
    amount = total if waiver.cap is None else min(waiver.cap, total)
    return dict(zip(covered, allocate(amount=amount, weights=fees), strict=True))


@dataclass(frozen=True)
class StoreTotals:
    """One store order (拆单): goods − discount + freight − freight waived = total."""

    store_id: int
    goods_amount: Decimal = ZERO
    discount_amount: Decimal = ZERO
    freight_amount: Decimal = ZERO
    freight_discount_amount: Decimal = ZERO  # waived by a free-shipping coupon
    freight_discount_code: str = ""
    freight_discount_funder: str = ""

    @property
    def freight_payable(self) -> Decimal:
        return self.freight_amount - self.freight_discount_amount

    @property
    def total_amount(self) -> Decimal:
        return self.goods_amount - self.discount_amount + self.freight_payable


@dataclass(frozen=True)
class PricedCart:
    lines: tuple[PricedLine, ...] = ()
    stores: dict[int, StoreTotals] = field(default_factory=dict)

    def store(self, store_id: int) -> StoreTotals:
        return self.stores.get(store_id) or StoreTotals(store_id=store_id)

    def lines_of(self, store_id: int) -> list[PricedLine]:
        return [line for line in self.lines if line.store_id == store_id]

    @property
    def goods_amount(self) -> Decimal:
        return sum((s.goods_amount for s in self.stores.values()), ZERO)

    @property
    def discount_amount(self) -> Decimal:
        return sum((s.discount_amount for s in self.stores.values()), ZERO)

    @property
    def freight_amount(self) -> Decimal:
        return sum((s.freight_amount for s in self.stores.values()), ZERO)

    @property
    def freight_discount_amount(self) -> Decimal:
        return sum((s.freight_discount_amount for s in self.stores.values()), ZERO)

    @property
    def total_amount(self) -> Decimal:
        """The payment order's amount: the sum of the store orders' totals, to the fen."""
        return sum((s.total_amount for s in self.stores.values()), ZERO)


def freight_lines(lines: Iterable[PricedLine]) -> list[FreightLine]:
    """What freight and delivery fees read of priced lines. Thresholds (free shipping from an
    amount) compare the goods amount before discounts."""
    return [
        FreightLine(
            weight_grams=line.line.weight_grams, quantity=line.quantity, amount=line.line_amount
        )
        for line in lines
    ]


def cart_totals(
    *,
    lines: Sequence[PricedLine],
    freights: Mapping[int, Decimal | None] | None = None,
    freight_discount: FreightDiscountLike | None = None,
) -> PricedCart:
    """Totals per store from priced (and discounted) lines and each store's delivery fee
    (None or missing: not quoted yet, counted as 0), less what a free-shipping coupon waives.
    A store with a fee and no lines still gets a row."""
    freights = freights or {}
    store_ids = list(dict.fromkeys([*(line.store_id for line in lines), *freights]))
    waived = freight_waive({sid: freights.get(sid) for sid in store_ids}, freight_discount)
    stores = {}
    for store_id in store_ids:
        own = [line for line in lines if line.store_id == store_id]
        off = waived.get(store_id, ZERO)
        stores[store_id] = StoreTotals(
            store_id=store_id,
            goods_amount=sum((line.line_amount for line in own), ZERO),
            discount_amount=sum((line.discount_amount for line in own), ZERO),
            freight_amount=freights.get(store_id) or ZERO,
            freight_discount_amount=off,
            freight_discount_code=freight_discount.code if off else "",
            freight_discount_funder=freight_discount.funder if off else "",
        )
    return PricedCart(lines=tuple(lines), stores=stores)
