"""Step 1: the price of each line (unit price incl. wholesale tiers, line amount)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from apps.core.money import to_money
from apps.wholesale.tiers import tier_unit_price

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PriceTier:
    """From `min_quantity` pieces on, a verified wholesale buyer pays `unit_price` each."""

    min_quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class LineInput:
    """What pricing needs of one cart line, loaded by a selector (`line_input_for`)."""

    key: int  # the cart line's id: how a discount names the lines it covers
    store_id: int
    sku_id: int
    product_id: int
    quantity: int
    retail_price: Decimal
    tiers: tuple[PriceTier, ...] = ()
    weight_grams: int = 0
    category_id: int | None = None  # what a category-scoped coupon reads


@dataclass(frozen=True)
class Allocation:
    """One discount's share of one line, with who pays for it (platform or a store)."""

    code: str
    funder: str
    amount: Decimal


@dataclass(frozen=True)
class PricedLine:
    line: LineInput
    unit_price: Decimal
    line_amount: Decimal
    allocations: tuple[Allocation, ...] = field(default=())

    @property
    def key(self) -> int:
        return self.line.key

    @property
    def store_id(self) -> int:
        return self.line.store_id

    @property
    def quantity(self) -> int:
        return self.line.quantity

    @property
    def discount_amount(self) -> Decimal:
        return sum((a.amount for a in self.allocations), ZERO)

    @property
    def paid_amount(self) -> Decimal:
        """What refunds, commissions and settlement read: the line after its discounts."""
        return self.line_amount - self.discount_amount


def unit_price(
    *, retail_price: Decimal, tiers: Sequence[PriceTier], quantity: int, is_wholesale: bool
) -> Decimal:
    """Retail, or for a verified wholesale buyer the best tier the quantity reaches."""
    if not is_wholesale:
        return retail_price
    return tier_unit_price(retail_price=retail_price, tiers=tiers, quantity=quantity)


def line_amount(*, unit_price: Decimal, quantity: int) -> Decimal:
    return to_money(unit_price * quantity)


def line_price(line: LineInput, *, is_wholesale: bool) -> PricedLine:
    price = unit_price(
        retail_price=line.retail_price,
        tiers=line.tiers,
        quantity=line.quantity,
        is_wholesale=is_wholesale,
    )
    return PricedLine(
        line=line,
        unit_price=price,
        line_amount=line_amount(unit_price=price, quantity=line.quantity),
    )


def lines_price(lines: Sequence[LineInput], *, is_wholesale: bool) -> list[PricedLine]:
    return [line_price(line, is_wholesale=is_wholesale) for line in lines]
