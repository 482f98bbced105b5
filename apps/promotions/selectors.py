"""Reads of promotions: what a shopper may use on a cart (`Offers` for the pure rules), the
coupon centre, my coupons, and the store-scoped lists of the back office."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from apps.core.prepared import PreparedQuery
from apps.promotions.models import (
    Coupon,
    FlashPrice,
    FlashPurchase,
    Promotion,
    PromotionTier,
    Scope,
    UserCoupon,
)
from apps.promotions.rules import (
    CouponTerms,
    FlashTerms,
    LineData,
    Offers,
    PromotionTerms,
    Tier,
)
from apps.stores.selectors import scope_to_user_stores, user_can_manage_all_stores

# --- For pricing ---------------------------------------------------------------------------


def _scope_ids(coupons: Iterable[Coupon]) -> tuple[dict, dict]:
    """Category and product ids of the scoped coupons (queried only when there are some)."""
    categories: dict[int, set[int]] = defaultdict(set)
    products: dict[int, set[int]] = defaultdict(set)
    by_category = [c.pk for c in coupons if c.scope == Scope.CATEGORIES]
    by_product = [c.pk for c in coupons if c.scope == Scope.PRODUCTS]
    if by_category:
        through = Coupon.categories.through.objects.filter(coupon_id__in=by_category)
        for coupon_id, category_id in through.values_list("coupon_id", "category_id"):
            categories[coupon_id].add(category_id)
    if by_product:
        through = Coupon.products.through.objects.filter(coupon_id__in=by_product)
        for coupon_id, product_id in through.values_list("coupon_id", "product_id"):
            products[coupon_id].add(product_id)
    return categories, products


def coupon_terms(holding: UserCoupon, categories=None, products=None) -> CouponTerms:
    coupon = holding.coupon
    return CouponTerms(
        user_coupon_id=holding.pk,
        coupon_id=coupon.pk,
        name=coupon.name,
        store_id=coupon.store_id,
        kind=coupon.kind,
        amount=coupon.amount,
        percent_off=coupon.percent_off,
        cap=coupon.cap,
        threshold=coupon.threshold,
        scope=coupon.scope,
        category_ids=frozenset((categories or {}).get(coupon.pk, ())),
        product_ids=frozenset((products or {}).get(coupon.pk, ())),
        is_exclusive=coupon.is_exclusive,
        valid_until=coupon.valid_until,
    )


USABLE_COUPONS = PreparedQuery(
    lambda p: (
        UserCoupon.objects.filter(
            user_id=p.user,
            status=UserCoupon.Status.AVAILABLE,
            coupon__is_active=True,
            coupon__valid_from__lte=p.now,
            coupon__valid_until__gt=p.now,
        )
        .select_related("coupon")
        .order_by("coupon__valid_until", "pk")
    )
)


def usable_coupons(
    *, user_id: int | None, now: datetime, is_new_customer: Callable[[], bool]
) -> list:
    """The shopper's unused coupons valid now (new-customer ones only for a new customer)."""
    if user_id is None:
        return []
    holdings = USABLE_COUPONS.run(user=user_id, now=now)
    if any(h.coupon.is_new_customer_only for h in holdings) and not is_new_customer():
        holdings = [h for h in holdings if not h.coupon.is_new_customer_only]
    return holdings


RUNNING_PROMOTION_TIERS = PreparedQuery(
    lambda p: (
        PromotionTier.objects.filter(
            promotion__is_active=True,
            promotion__starts_at__lte=p.now,
            promotion__ends_at__gt=p.now,
        )
        .filter(Q(promotion__store__isnull=True) | Q(p.isin("promotion__store_id", "stores")))
        .select_related("promotion")
        .order_by("promotion_id", "threshold")
    )
)


def running_promotions(*, store_ids: Iterable[int], now: datetime) -> list[PromotionTerms]:
    """Spend-and-save offers running now for these stores and the platform (1 query)."""
    tiers = RUNNING_PROMOTION_TIERS.run(now=now, stores=list(store_ids))
    by_promotion: dict[int, list[PromotionTier]] = defaultdict(list)
    for tier in tiers:
        by_promotion[tier.promotion_id].append(tier)
    return [
        PromotionTerms(
            promotion_id=promotion_id,
            name=rows[0].promotion.name,
            store_id=rows[0].promotion.store_id,
            kind=rows[0].promotion.kind,
            tiers=tuple(
                Tier(threshold=t.threshold, amount_off=t.amount_off, percent_off=t.percent_off)
                for t in rows
            ),
            is_exclusive=rows[0].promotion.is_exclusive,
            ends_at=rows[0].promotion.ends_at,
        )
        for promotion_id, rows in by_promotion.items()
    ]


# Compiled once (apps.core.prepared): checkout's and the cart's pricing run it.
RUNNING_FLASH_PRICES = PreparedQuery(
    lambda p: FlashPrice.objects.filter(
        p.isin("sku_id", "skus"), is_active=True, starts_at__lte=p.now, ends_at__gt=p.now
    ).order_by("price", "pk")
)


def running_flash_prices(*, sku_ids: Iterable[int], now: datetime) -> list[FlashPrice]:
    """The flash prices running now for these SKUs, cheapest first (no SKUs: no query)."""
    ids = list(sku_ids)
    return RUNNING_FLASH_PRICES.run(skus=ids, now=now) if ids else []


def flash_bought(*, user_id: int | None, flash_ids: Sequence[int]) -> dict[int, int]:
    """Pieces this shopper bought at each flash price (cancelled checkouts given back)."""
    if not flash_ids or user_id is None:
        return {}
    rows = (
        FlashPurchase.objects.filter(
            user_id=user_id, flash_price_id__in=flash_ids, is_returned=False
        )
        .values("flash_price_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {row["flash_price_id"]: row["total"] for row in rows}


def flash_terms(
    flashes: Sequence[FlashPrice],
    *,
    user_id: int | None,
    store_of_sku: dict[int, int],
    is_new_customer: Callable[[], bool],
) -> list[FlashTerms]:
    limited = [f.pk for f in flashes if f.per_user_limit]
    bought = flash_bought(user_id=user_id, flash_ids=limited)
    terms = []
    for flash in flashes:
        if flash.is_new_customer_only and not (user_id is not None and is_new_customer()):
            continue
        left = None
        if flash.promo_stock is not None:
            left = max(flash.promo_stock - flash.sold, 0)
        if flash.per_user_limit:
            if user_id is None:
                mine = flash.per_user_limit
            else:
                mine = max(flash.per_user_limit - bought.get(flash.pk, 0), 0)
            left = mine if left is None else min(left, mine)
        terms.append(
            FlashTerms(
                flash_id=flash.pk,
                sku_id=flash.sku_id,
                store_id=store_of_sku[flash.sku_id],
                price=flash.price,
                pieces_left=left,
                ends_at=flash.ends_at,
            )
        )
    return terms


def offers_for_buyer(
    *,
    user_id: int | None,
    lines: Sequence[LineData],
    is_new_customer: Callable[[], bool],
    now: datetime | None = None,
) -> Offers:
    """Everything the shopper may use on these lines now, as plain data for
    `rules.discount_plan` (3 queries; more only for scoped coupons or per-user flash limits).
    `is_new_customer` is asked only when a new-customer offer is among them (orders knows)."""
    if not lines:
        return Offers()
    now = now or timezone.now()
    holdings = usable_coupons(user_id=user_id, now=now, is_new_customer=is_new_customer)
    categories, products = _scope_ids(h.coupon for h in holdings)
    store_of_sku = {line.sku_id: line.store_id for line in lines}
    flashes = running_flash_prices(sku_ids=store_of_sku, now=now)
    return Offers(
        coupons=tuple(coupon_terms(h, categories, products) for h in holdings),
        promotions=tuple(running_promotions(store_ids=set(store_of_sku.values()), now=now)),
        flash=tuple(
            flash_terms(
                flashes,
                user_id=user_id,
                store_of_sku=store_of_sku,
                is_new_customer=is_new_customer,
            )
        ),
    )


# --- Shopper pages -------------------------------------------------------------------------


def coupons_claimable(*, now: datetime | None = None) -> QuerySet[Coupon]:
    """The coupon centre (领券中心): active claimable coupons not yet over, with stock left."""
    now = now or timezone.now()
    return (
        Coupon.objects.filter(
            is_active=True,
            distribution=Coupon.Distribution.CLAIM,
            valid_from__lte=now,
            valid_until__gt=now,
        )
        .filter(Q(total_quantity__isnull=True) | Q(issued_count__lt=F("total_quantity")))
        .select_related("store")
        .order_by("valid_until", "pk")
    )


@dataclass(frozen=True)
class CouponTab:
    key: str
    label: str


COUPON_TABS = [
    CouponTab("available", gettext_lazy("未使用")),
    CouponTab("used", gettext_lazy("已使用")),
    CouponTab("expired", gettext_lazy("已过期")),
]


def user_coupons_for_user(*, user, tab: str = "available", now=None) -> QuerySet[UserCoupon]:
    """我的优惠券: one tab of the shopper's coupons (expired = unused and past its end)."""
    now = now or timezone.now()
    rows = UserCoupon.objects.filter(user=user).select_related("coupon__store")
    if tab == "used":
        return rows.filter(status=UserCoupon.Status.USED).order_by("-used_at")
    unused = rows.filter(status=UserCoupon.Status.AVAILABLE)
    if tab == "expired":
        return unused.filter(coupon__valid_until__lte=now).order_by("-coupon__valid_until")
    return unused.filter(coupon__valid_until__gt=now).order_by("coupon__valid_until", "pk")


def claimed_counts(*, user, coupon_ids: Iterable[int]) -> dict[int, int]:
    if user is None or not user.is_authenticated:
        return {}
    rows = (
        UserCoupon.objects.filter(user=user, coupon_id__in=list(coupon_ids))
        .values_list("coupon_id")
        .order_by()
    )
    counts: dict[int, int] = defaultdict(int)
    for (coupon_id,) in rows:
        counts[coupon_id] += 1
    return counts


def flash_prices_for_skus(*, sku_ids: Iterable[int], now=None) -> dict[int, FlashPrice]:
    """The running flash price (the lowest) of each SKU: listings and product pages show it
    with a countdown to `ends_at`."""
    now = now or timezone.now()
    best: dict[int, FlashPrice] = {}
    for flash in running_flash_prices(sku_ids=sku_ids, now=now):
        best.setdefault(flash.sku_id, flash)
    return best


# --- Back office (tenant-scoped) -------------------------------------------------------------


def coupons_for_user(*, user) -> QuerySet[Coupon]:
    """Staff: every coupon; a merchant: only its own stores' (never the platform's)."""
    if user_can_manage_all_stores(user):
        return Coupon.objects.select_related("store")
    return scope_to_user_stores(Coupon.objects.select_related("store"), user)


def promotions_for_user(*, user) -> QuerySet[Promotion]:
    if user_can_manage_all_stores(user):
        return Promotion.objects.select_related("store")
    return scope_to_user_stores(Promotion.objects.select_related("store"), user)


def flash_prices_for_user(*, user) -> QuerySet[FlashPrice]:
    rows = FlashPrice.objects.select_related("sku__product__store")
    return scope_to_user_stores(rows, user, store_field="sku__product__store")


@dataclass(frozen=True)
class RunningIndex:
    """What is running now, for badges: products and SKUs with a limited-time price, stores
    with a spend-and-save offer, and whether a platform-wide one runs."""

    flash_product_ids: frozenset[int] = frozenset()
    flash_sku_ids: frozenset[int] = frozenset()
    store_ids: frozenset[int] = frozenset()
    platform_wide: bool = False


def running_promotion_index(*, now=None) -> RunningIndex:
    """2 queries, whatever the page shows."""
    now = now or timezone.now()
    flashes = list(
        FlashPrice.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now).values_list(
            "sku_id", "sku__product_id"
        )
    )
    stores = set(
        Promotion.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now)
        .values_list("store_id", flat=True)
        .distinct()
    )
    return RunningIndex(
        flash_product_ids=frozenset(product_id for _sku, product_id in flashes),
        flash_sku_ids=frozenset(sku_id for sku_id, _product in flashes),
        store_ids=frozenset(s for s in stores if s is not None),
        platform_wide=None in stores,
    )


INDEX_CACHE_KEY = "promotions:running-index"
# Badges may lag a start or an end by this much; prices never do (pricing reads the rows).
INDEX_CACHE_SECONDS = 30


def running_index_cached() -> RunningIndex:
    index = cache.get(INDEX_CACHE_KEY)
    if index is None:
        index = running_promotion_index()
        cache.set(INDEX_CACHE_KEY, index, INDEX_CACHE_SECONDS)
    return index


def running_index_forget() -> None:
    """After a promotion or flash price is saved, the badges read afresh."""
    cache.delete(INDEX_CACHE_KEY)
