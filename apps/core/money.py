"""Money is Decimal CNY with two places; this is the one place that rounds it."""

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(*, amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `amount` over lines in proportion to `weights` (their amounts), to the fen.

    Each share is rounded down, then the fens left over go to the largest line (ties: the
    first); a share never exceeds its line's weight, so no line goes below zero (what does not
    fit on the largest line moves on to the next largest). `amount` above the sum of `weights`
    is capped at it; the shares always add up to the (capped) amount exactly.

    The one allocation rule: orders' pricing (discounts over cart lines) and promotions (a
    threshold measured after an earlier discount) both call it, so they agree to the fen.
    """
    zero = Decimal("0.00")
    total = sum(weights, zero)
    if amount <= 0 or total <= 0:
        return [zero for _weight in weights]
    amount = min(amount, total)
    shares = [(amount * w / total).quantize(CENT, rounding=ROUND_DOWN) for w in weights]
    remainder = amount - sum(shares, zero)
    by_size = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    for i in by_size:
        if remainder <= 0:
            break
        room = weights[i] - shares[i]
        extra = min(room, remainder)
        shares[i] += extra
        remainder -= extra
    return shares
