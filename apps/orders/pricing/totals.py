"""Step 4: what each store order and the whole checkout cost."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from apps.orders.pricing.freight import FreightLine
from apps.orders.pricing.lines import ZERO, PricedLine


@dataclass(frozen=True)
class StoreTotals:
    """One store order (拆单): goods − discount + freight = total."""

    store_id: int
    goods_amount: Decimal = ZERO
    discount_amount: Decimal = ZERO
    freight_amount: Decimal = ZERO

    @property
    def total_amount(self) -> Decimal:
        return self.goods_amount - self.discount_amount + self.freight_amount


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
    *, lines: Sequence[PricedLine], freights: Mapping[int, Decimal | None] | None = None
) -> PricedCart:
    """Totals per store from priced (and discounted) lines and each store's delivery fee
    (None or missing: not quoted yet, counted as 0). A store with a fee and no lines still
    gets a row."""
    freights = freights or {}
    store_ids = list(dict.fromkeys([*(line.store_id for line in lines), *freights]))
    stores = {}
    for store_id in store_ids:
        own = [line for line in lines if line.store_id == store_id]
        stores[store_id] = StoreTotals(
            store_id=store_id,
            goods_amount=sum((line.line_amount for line in own), ZERO),
            discount_amount=sum((line.discount_amount for line in own), ZERO),
            freight_amount=freights.get(store_id) or ZERO,
        )
    return PricedCart(lines=tuple(lines), stores=stores)
