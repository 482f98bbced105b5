"""Pure commission arithmetic (no ORM): the base of a line and what one level earns on it."""

from decimal import Decimal

from apps.core.money import to_money

ZERO = Decimal("0.00")


def commission_base(
    *,
    kind: str,
    paid_amount: Decimal,
    line_amount: Decimal,
    quantity: int,
    cost_price: Decimal | None,
) -> Decimal:
    """The amount a rate applies to.

    "paid": the line's paid amount (after its discounts; freight is never on a line);
    "sale_price": price × quantity before discounts; "profit": paid − cost × quantity, where
    the SKU has a cost price (otherwise the paid amount), never below zero.
    """
    if kind == "sale_price":
        return to_money(line_amount)
    if kind == "profit" and cost_price is not None:
        return max(ZERO, to_money(paid_amount - cost_price * quantity))
    return to_money(paid_amount)


def commission_amount(
    *,
    base: Decimal,
    quantity: int,
    rate: Decimal | None,
    fixed_per_piece: Decimal | None,
) -> Decimal:
    """A fixed amount per piece takes precedence over the rate (%); never more than the base."""
    if fixed_per_piece is not None:
        return min(to_money(fixed_per_piece * quantity), to_money(base))
    if rate is None:
        return ZERO
    return to_money(base * rate / 100)


def commission_after_refund(
    *, amount: Decimal, paid_amount: Decimal, refunded_amount: Decimal
) -> Decimal:
    """What a commission is worth after part of its line was refunded: pro rata to the paid
    amount the buyer kept (rounded to the fen), zero when all of it went back."""
    if paid_amount <= 0 or refunded_amount >= paid_amount:
        return ZERO
    return to_money(amount * (paid_amount - refunded_amount) / paid_amount)
