"""The discount rules, as pure functions over plain data (no query, no write).

`apps.promotions.selectors.offers_for_buyer` loads what a shopper may use (`Offers`); orders'
pricing home hands its priced lines over as `LineData`, and `discount_plan` answers with the
discounts to apply, in order, shaped like `apps.orders.pricing.DiscountLike` (structural typing:
promotions sits below orders and never imports it). Orders then spreads each one over its lines
with `allocate` (pro rata, remainder on the largest line), the same rule used here to measure a
threshold after an earlier discount, so both agree to the fen.

Stacking (the default, stated in docs/promotions.md):
1. limited-time prices first: each is the line's price cut, funded by the store;
2. then per store at most ONE store discount: the store's spend-and-save or one store coupon;
3. then at most ONE platform discount over the whole checkout: a platform spend-and-save or
   one platform coupon, its threshold measured on what the covered lines still cost after 1–2.
An exclusive store discount keeps the platform discount off that store's lines; an exclusive
platform coupon keeps store discounts off the stores it covers. A discount never exceeds what
its lines still cost, so no line goes below zero.

Best combination (default): every platform option (none, each platform promotion, each platform
coupon held) is tried; per store the best store discount is taken; the largest total saving
wins (ties: fewer coupons used, so the shopper keeps one for later).

Free-shipping coupons (免运费券) are a slot of their own: at most ONE per checkout, beside the
discounts above (they stack with spend-and-save and with goods coupons). One waives the freight
of the stores whose lines it covers (a platform one: every store in its scope; a store one:
that store), up to its `cap` in all (none: the whole freight), funded by its issuer. Its
threshold is measured on what the covered lines still cost after every goods discount. The
freight is known only once an address is chosen, so the plan carries the pick
(`ShippingWaiver`) and orders' pricing waives the amount (never more than the freight). The
default pick: the coupon covering the most stores, then without a cap, then the highest cap,
then the one expiring first.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from apps.core.money import CENT, allocate

ZERO = Decimal("0.00")
PLATFORM = "platform"
SHIPPING = "shipping"  # CouponTerms.kind of a free-shipping coupon


def funder_of(store_id: int | None) -> str:
    return PLATFORM if store_id is None else f"store:{store_id}"


@dataclass(frozen=True)
class LineData:
    """One buyable cart line as the rules see it (orders builds these from its priced lines)."""

    key: int
    store_id: int
    sku_id: int
    product_id: int
    category_id: int | None
    quantity: int
    unit_price: Decimal
    line_amount: Decimal


@dataclass(frozen=True)
class CouponTerms:
    """A coupon the shopper holds (one `UserCoupon`) with its template's rule."""

    user_coupon_id: int
    coupon_id: int
    name: str
    store_id: int | None  # None: a platform coupon
    kind: str  # "fixed" | "percent" | "shipping"
    amount: Decimal = ZERO
    percent_off: int = 0
    cap: Decimal | None = None
    threshold: Decimal = ZERO
    scope: str = "all"  # "all" | "categories" | "products"
    category_ids: frozenset[int] = frozenset()
    product_ids: frozenset[int] = frozenset()
    is_exclusive: bool = False
    valid_until: datetime | None = None

    @property
    def code(self) -> str:
        return f"coupon:{self.coupon_id}"

    @property
    def funder(self) -> str:
        return funder_of(self.store_id)

    @property
    def is_shipping(self) -> bool:
        return self.kind == SHIPPING


@dataclass(frozen=True)
class Tier:
    threshold: Decimal
    amount_off: Decimal = ZERO
    percent_off: int = 0


@dataclass(frozen=True)
class PromotionTerms:
    """A running spend-and-save: over one store's goods, or the whole platform's."""

    promotion_id: int
    name: str
    store_id: int | None
    kind: str  # "amount_off" | "percent_off"
    tiers: tuple[Tier, ...]
    is_exclusive: bool = False
    ends_at: datetime | None = None

    @property
    def code(self) -> str:
        return f"promotion:{self.promotion_id}"

    @property
    def funder(self) -> str:
        return funder_of(self.store_id)


@dataclass(frozen=True)
class FlashTerms:
    """A running limited-time price; `pieces_left` is what this shopper may still buy at it
    (promo stock left and per-user limit, the smaller; None: no limit)."""

    flash_id: int
    sku_id: int
    store_id: int
    price: Decimal
    pieces_left: int | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class Offers:
    coupons: tuple[CouponTerms, ...] = ()
    promotions: tuple[PromotionTerms, ...] = ()
    flash: tuple[FlashTerms, ...] = ()


@dataclass(frozen=True)
class PromoDiscount:
    """One discount for pricing (`DiscountLike`: code, funder, amount, line_keys) plus what
    the pages show and checkout takes (the coupon used, the flash pieces sold)."""

    code: str
    funder: str
    amount: Decimal
    line_keys: frozenset[int] | None
    label: str = ""
    kind: str = ""  # "flash" | "promotion" | "coupon"
    user_coupon_id: int | None = None
    flash_id: int | None = None
    flash_quantity: int = 0

    @property
    def is_platform_funded(self) -> bool:
        return self.funder == PLATFORM


@dataclass(frozen=True)
class CouponOption:
    """A held coupon in the checkout's picker: what it would save now, or why not."""

    terms: CouponTerms
    amount: Decimal = ZERO
    reason: str = ""
    is_chosen: bool = False

    @property
    def is_usable(self) -> bool:
        return not self.reason


@dataclass(frozen=True)
class ShippingWaiver:
    """The free-shipping coupon picked for a checkout (the `FreightDiscountLike` shape of
    orders' pricing): it waives the freight of `store_ids`, up to `cap` in all (None: all
    of it), funded by `funder`; pricing computes the amount once the freight is quoted."""

    terms: CouponTerms
    store_ids: frozenset[int]

    @property
    def code(self) -> str:
        return self.terms.code

    @property
    def funder(self) -> str:
        return self.terms.funder

    @property
    def cap(self) -> Decimal | None:
        return self.terms.cap

    @property
    def label(self) -> str:
        return self.terms.name

    @property
    def user_coupon_id(self) -> int:
        return self.terms.user_coupon_id

    @property
    def is_platform_funded(self) -> bool:
        return self.funder == PLATFORM


@dataclass(frozen=True)
class DiscountPlan:
    discounts: tuple[PromoDiscount, ...] = ()
    coupon_options: tuple[CouponOption, ...] = ()
    errors: tuple[str, ...] = ()
    is_auto: bool = True
    shipping: ShippingWaiver | None = None  # the free-shipping coupon picked, if any

    @property
    def amount(self) -> Decimal:
        return sum((d.amount for d in self.discounts), ZERO)

    @property
    def user_coupon_ids(self) -> list[int]:
        ids = [d.user_coupon_id for d in self.discounts if d.user_coupon_id]
        return [*ids, self.shipping.user_coupon_id] if self.shipping else ids

    @property
    def flash_uses(self) -> list[tuple[int, int]]:
        return [(d.flash_id, d.flash_quantity) for d in self.discounts if d.flash_id]

    def amount_by_funder(self) -> dict[str, Decimal]:
        sums: dict[str, Decimal] = {}
        for d in self.discounts:
            sums[d.funder] = sums.get(d.funder, ZERO) + d.amount
        return sums


# --- Amounts -------------------------------------------------------------------------------


def _percent(base: Decimal, percent_off: int) -> Decimal:
    # Rounded down: a percentage never gives away a fen more than its rate.
    return (base * percent_off / 100).quantize(CENT, rounding=ROUND_DOWN)


def coupon_lines(terms: CouponTerms, lines: Iterable[LineData]) -> list[LineData]:
    """The lines a coupon covers: its store's (a platform coupon: every store's), in scope."""
    covered = []
    for line in lines:
        if terms.store_id is not None and line.store_id != terms.store_id:
            continue
        if terms.scope == "categories" and line.category_id not in terms.category_ids:
            continue
        if terms.scope == "products" and line.product_id not in terms.product_ids:
            continue
        covered.append(line)
    return covered


def coupon_amount(
    terms: CouponTerms, lines: Sequence[LineData], payable: Mapping[int, Decimal]
) -> tuple[Decimal, frozenset[int], str]:
    """What `terms` takes off `lines` whose amounts still payable are `payable` (by key):
    (amount, covered keys, "") or (0, keys, the reason it does not apply)."""
    covered = coupon_lines(terms, lines)
    keys = frozenset(line.key for line in covered)
    if not covered:
        return ZERO, keys, _("购物车中没有该券适用的商品")
    base = sum((payable[key] for key in keys), ZERO)
    if base < terms.threshold or base <= ZERO:
        return (
            ZERO,
            keys,
            _("适用商品还差 ¥%(short)s 可用（满 ¥%(threshold)s，已减其他优惠后计算）")
            % {
                "short": terms.threshold - base,
                "threshold": terms.threshold,
            },
        )
    if terms.kind == "percent":
        amount = _percent(base, terms.percent_off)
        if terms.cap is not None:
            amount = min(amount, terms.cap)
    else:
        amount = terms.amount
    return min(amount, base), keys, ""


def promotion_lines(terms: PromotionTerms, lines: Iterable[LineData]) -> list[LineData]:
    return [line for line in lines if terms.store_id is None or line.store_id == terms.store_id]


def promotion_amount(
    terms: PromotionTerms, lines: Sequence[LineData], payable: Mapping[int, Decimal]
) -> tuple[Decimal, frozenset[int]]:
    """The best tier the covered lines reach (0 when none)."""
    keys = frozenset(line.key for line in promotion_lines(terms, lines))
    base = sum((payable[key] for key in keys), ZERO)
    reached = [tier for tier in terms.tiers if base >= tier.threshold and base > ZERO]
    if not reached:
        return ZERO, keys
    tier = max(reached, key=lambda t: t.threshold)
    amount = _percent(base, tier.percent_off) if terms.kind == "percent_off" else tier.amount_off
    return min(amount, base), keys


def flash_discounts(lines: Sequence[LineData], flash: Iterable[FlashTerms]) -> list[PromoDiscount]:
    """Each line whose SKU has a running limited-time price below its unit price: the cut on
    as many pieces as the shopper may still buy at it (the rest at the normal price)."""
    best: dict[int, FlashTerms] = {}
    for terms in flash:
        if terms.sku_id not in best or terms.price < best[terms.sku_id].price:
            best[terms.sku_id] = terms
    discounts = []
    for line in lines:
        terms = best.get(line.sku_id)
        if terms is None or terms.price >= line.unit_price:
            continue
        pieces = (
            line.quantity if terms.pieces_left is None else min(line.quantity, terms.pieces_left)
        )
        if pieces <= 0:
            continue
        discounts.append(
            PromoDiscount(
                code=f"flash:{terms.flash_id}",
                funder=funder_of(line.store_id),
                amount=min((line.unit_price - terms.price) * pieces, line.line_amount),
                line_keys=frozenset({line.key}),
                label=_("限时价"),
                kind="flash",
                flash_id=terms.flash_id,
                flash_quantity=pieces,
            )
        )
    return discounts


def payable_after(
    payable: Mapping[int, Decimal], discounts: Iterable[PromoDiscount]
) -> dict[int, Decimal]:
    """What each line still costs after `discounts`, spread exactly as orders' pricing does
    (`allocate` by what is still payable, in turn)."""
    left = dict(payable)
    for discount in discounts:
        keys = [k for k in left if discount.line_keys is None or k in discount.line_keys]
        for key, share in zip(
            keys, allocate(amount=discount.amount, weights=[left[k] for k in keys]), strict=True
        ):
            left[key] -= share
    return left


# --- Choosing ------------------------------------------------------------------------------


@dataclass
class _Candidate:
    terms: CouponTerms | PromotionTerms
    amount: Decimal = ZERO
    keys: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_coupon(self) -> bool:
        return isinstance(self.terms, CouponTerms)

    def discount(self) -> PromoDiscount:
        terms = self.terms
        if isinstance(terms, CouponTerms):
            return PromoDiscount(
                code=terms.code,
                funder=terms.funder,
                amount=self.amount,
                line_keys=self.keys,
                label=terms.name,
                kind="coupon",
                user_coupon_id=terms.user_coupon_id,
            )
        return PromoDiscount(
            code=terms.code,
            funder=terms.funder,
            amount=self.amount,
            line_keys=self.keys,
            label=terms.name,
            kind="promotion",
        )


def _evaluate(
    terms, lines: Sequence[LineData], payable: Mapping[int, Decimal]
) -> tuple[_Candidate, str]:
    if isinstance(terms, CouponTerms):
        amount, keys, reason = coupon_amount(terms, lines, payable)
        return _Candidate(terms, amount, keys), reason
    amount, keys = promotion_amount(terms, lines, payable)
    return _Candidate(terms, amount, keys), "" if amount > 0 else _("未达到活动门槛")


def _store_picks(
    lines: Sequence[LineData],
    payable: Mapping[int, Decimal],
    store_terms: Mapping[int, list],
    blocked_stores: frozenset[int],
) -> list[_Candidate]:
    """Per store (cart order) the store discount that saves most (ties: a promotion before a
    coupon, so the coupon stays for later)."""
    picks = []
    for store_id, candidates in store_terms.items():
        if store_id in blocked_stores:
            continue
        own = [line for line in lines if line.store_id == store_id]
        evaluated = [_evaluate(terms, own, payable)[0] for terms in candidates]
        evaluated = [c for c in evaluated if c.amount > 0]
        if evaluated:
            picks.append(max(evaluated, key=lambda c: (c.amount, not c.is_coupon)))
    return picks


def _combination(
    lines: Sequence[LineData],
    payable: Mapping[int, Decimal],
    platform_terms,
    store_terms: Mapping[int, list],
) -> tuple[list[_Candidate], str]:
    """Store discounts, then `platform_terms` (or none) over what they leave; exclusivity
    applied. Returns the candidates in the order they apply and the platform one's reason."""
    blocked: frozenset[int] = frozenset()
    if platform_terms is not None and platform_terms.is_exclusive:
        scope = (
            coupon_lines(platform_terms, lines)
            if isinstance(platform_terms, CouponTerms)
            else promotion_lines(platform_terms, lines)
        )
        blocked = frozenset(line.store_id for line in scope)
    picks = _store_picks(lines, payable, store_terms, blocked)
    if platform_terms is None:
        return picks, ""
    after = payable_after(payable, [c.discount() for c in picks])
    shut = {
        line.store_id for c in picks if c.terms.is_exclusive for line in lines if line.key in c.keys
    }
    open_lines = [line for line in lines if line.store_id not in shut]
    platform, reason = _evaluate(platform_terms, open_lines, after)
    if platform.amount > 0:
        picks.append(platform)
    return picks, reason


def discount_plan(
    *,
    lines: Sequence[LineData],
    offers: Offers,
    chosen_coupon_ids: Iterable[int] | None = None,
) -> DiscountPlan:
    """The discounts for these lines, in the order they apply. `chosen_coupon_ids` None: the
    best combination; otherwise exactly these held coupons (an empty list: none), each
    checked, with a message for any that cannot be used (it is then left out)."""
    if not lines:
        return DiscountPlan()
    shipping_held = tuple(c for c in offers.coupons if c.is_shipping)
    chosen_shipping: set[int] | None = None
    if shipping_held:
        offers = replace(offers, coupons=tuple(c for c in offers.coupons if not c.is_shipping))
        if chosen_coupon_ids is not None:
            chosen = set(chosen_coupon_ids)
            chosen_shipping = chosen & {c.user_coupon_id for c in shipping_held}
            chosen_coupon_ids = chosen - chosen_shipping
    payable = {line.key: line.line_amount for line in lines}
    flash = flash_discounts(lines, offers.flash)
    payable = payable_after(payable, flash)
    store_ids = list(dict.fromkeys(line.store_id for line in lines))
    store_promotions = {
        sid: [p for p in offers.promotions if p.store_id == sid] for sid in store_ids
    }
    platform_promotions = [p for p in offers.promotions if p.store_id is None]
    errors: list[str] = []
    if chosen_coupon_ids is None:
        store_terms = {
            sid: [*store_promotions[sid], *(c for c in offers.coupons if c.store_id == sid)]
            for sid in store_ids
        }
        platform_options = [None, *platform_promotions]
        platform_options += [c for c in offers.coupons if c.store_id is None]
        best: tuple | None = None
        for option in platform_options:
            picks, _reason = _combination(lines, payable, option, store_terms)
            total = sum((c.amount for c in picks), ZERO)
            coupons_used = sum(1 for c in picks if c.is_coupon)
            if best is None or (total, -coupons_used) > (best[0], -best[1]):
                best = (total, coupons_used, picks)
        picks = best[2] if best else []
    else:
        picks, errors = _chosen(lines, payable, offers, set(chosen_coupon_ids), store_promotions)
    discounts = (*flash, *(c.discount() for c in picks))
    options = _options(lines, payable, offers, discounts)
    waiver = None
    if shipping_held:
        left = payable_after(payable, [d for d in discounts if d.kind != "flash"])
        waiver, shipping_options, shipping_errors = _shipping(
            lines, left, shipping_held, chosen_shipping
        )
        options = tuple(
            sorted(
                (*options, *shipping_options),
                key=lambda o: (not o.is_chosen, not o.is_usable, -o.amount),
            )
        )
        errors.extend(shipping_errors)
    return DiscountPlan(
        discounts=discounts,
        coupon_options=options,
        errors=tuple(errors),
        is_auto=chosen_coupon_ids is None,
        shipping=waiver,
    )


def shipping_stores(
    terms: CouponTerms, lines: Sequence[LineData], payable: Mapping[int, Decimal]
) -> tuple[frozenset[int], str]:
    """The stores whose freight a free-shipping coupon waives here, or why it does not apply
    (its threshold measured on what its lines still cost after the goods discounts)."""
    covered = coupon_lines(terms, lines)
    if not covered:
        return frozenset(), _("购物车中没有该券适用的商品")
    base = sum((payable[line.key] for line in covered), ZERO)
    if base < terms.threshold:
        return frozenset(), _(
            "适用商品还差 ¥%(short)s 可用（满 ¥%(threshold)s，已减其他优惠后计算）"
        ) % {"short": terms.threshold - base, "threshold": terms.threshold}
    return frozenset(line.store_id for line in covered), ""


def _shipping(lines, payable, held: Sequence[CouponTerms], chosen: set[int] | None):
    """(the waiver, the picker's options, errors of the shopper's own pick). One free-shipping
    coupon per checkout; `chosen` None: the default pick (see the module's docstring)."""
    usable: list[ShippingWaiver] = []
    reasons: dict[int, str] = {}
    for terms in held:
        store_ids, reason = shipping_stores(terms, lines, payable)
        if reason:
            reasons[terms.user_coupon_id] = reason
        else:
            usable.append(ShippingWaiver(terms=terms, store_ids=store_ids))
    errors: list[str] = []
    waiver = None
    if chosen is None:
        if usable:
            waiver = max(
                usable,
                key=lambda w: (
                    len(w.store_ids),
                    w.cap is None,
                    w.cap or ZERO,
                    -(w.terms.valid_until.timestamp() if w.terms.valid_until else 0),
                ),
            )
    else:
        by_id = {t.user_coupon_id: t for t in held}
        picked = sorted(chosen)
        for extra in picked[1:]:
            errors.append(
                _("「%(name)s」：每单只能使用一张免运费券。") % {"name": by_id[extra].name}
            )
        if picked:
            first = picked[0]
            if first in reasons:
                errors.append(
                    _("「%(name)s」：%(reason)s")
                    % {"name": by_id[first].name, "reason": reasons[first]}
                )
            else:
                waiver = next(w for w in usable if w.user_coupon_id == first)
    options = tuple(
        CouponOption(
            terms=terms,
            reason=reasons.get(terms.user_coupon_id, ""),
            is_chosen=waiver is not None and waiver.user_coupon_id == terms.user_coupon_id,
        )
        for terms in held
    )
    return waiver, options, errors


def _chosen(lines, payable, offers: Offers, chosen: set[int], store_promotions):
    """The shopper's own pick: their chosen coupons (one per store, one platform), the
    spend-and-save offers beside them as the rules allow."""
    errors = []
    held = {c.user_coupon_id: c for c in offers.coupons}
    for missing in sorted(chosen - set(held)):
        errors.append(
            _("优惠券 %(id)s 不可用（不存在、已使用、已过期或不属于您）。") % {"id": missing}
        )
    picked = [held[i] for i in sorted(chosen & set(held))]
    store_ids = list(store_promotions)
    by_store: dict[int | None, list[CouponTerms]] = {}
    for terms in picked:
        by_store.setdefault(terms.store_id, []).append(terms)
    for terms_list in by_store.values():
        for extra in terms_list[1:]:
            errors.append(_("「%(name)s」不能与同类优惠券叠加使用。") % {"name": extra.name})
    store_terms = {}
    for sid in store_ids:
        own_coupon = by_store.get(sid, [])[:1]
        store_terms[sid] = own_coupon or store_promotions[sid]
    for sid, coupons in by_store.items():
        if sid is not None and sid not in store_promotions:
            errors.append(
                _("「%(name)s」：%(reason)s")
                % {"name": coupons[0].name, "reason": _("购物车中没有该券适用的商品")}
            )
    platform_coupon = by_store.get(None, [])[:1]
    platform_options = platform_coupon or [
        None,
        *(p for p in offers.promotions if p.store_id is None),
    ]
    best = None
    for option in platform_options:
        picks, reason = _combination(lines, payable, option, store_terms)
        if platform_coupon and reason:
            errors.append(_("「%(name)s」：%(reason)s") % {"name": option.name, "reason": reason})
        total = sum((c.amount for c in picks), ZERO)
        if best is None or total > best[0]:
            best = (total, picks)
    picks = best[1]
    used = {c.terms.user_coupon_id for c in picks if c.is_coupon}
    for sid in store_ids:
        for terms in by_store.get(sid, [])[:1]:
            if terms.user_coupon_id not in used:
                own = [line for line in lines if line.store_id == sid]
                _c, reason = _evaluate(terms, own, payable)
                errors.append(
                    _("「%(name)s」：%(reason)s")
                    % {"name": terms.name, "reason": reason or _("与所选平台优惠不能同享")}
                )
    return picks, errors


def _options(lines, payable, offers: Offers, discounts) -> tuple[CouponOption, ...]:
    """Every held coupon for the picker: store coupons measured on their store's lines after
    limited-time prices, platform coupons after the store discounts of the plan."""
    used = {d.user_coupon_id for d in discounts if d.user_coupon_id}
    store_discounts = [d for d in discounts if d.kind != "flash" and d.funder != PLATFORM]
    after_store = payable_after(payable, store_discounts)
    options = []
    for terms in offers.coupons:
        base = payable if terms.store_id is not None else after_store
        candidate, reason = _evaluate(terms, lines, base)
        options.append(
            CouponOption(
                terms=terms,
                amount=candidate.amount,
                reason=reason,
                is_chosen=terms.user_coupon_id in used,
            )
        )
    options.sort(key=lambda o: (not o.is_chosen, not o.is_usable, -o.amount))
    return tuple(options)
