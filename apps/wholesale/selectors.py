"""Reads of the wholesale app.

What checkout asks (who is a verified buyer, which price applies, credit left) and what the
buyer's pages and the API show (ledger, statements), always scoped to the user's organisation.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from apps.catalog.models import Sku, WholesaleTier
from apps.catalog.selectors import products_sellable
from apps.core.money import to_money
from apps.core.prepared import PreparedQuery
from apps.wholesale.models import (
    BuyerOrganisation,
    BuyerOrganisationEvent,
    BuyerStatement,
    CreditEntry,
)
from apps.wholesale.periods import month_bounds
from apps.wholesale.tiers import tier_unit_price

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CreditSummary:
    limit: Decimal
    owed: Decimal
    available: Decimal


@dataclass(frozen=True)
class PriceBreak:
    """From `from_quantity` up to `to_quantity` (None: and more) each unit costs `unit_price`."""

    from_quantity: int
    to_quantity: int | None
    unit_price: Decimal
    is_retail: bool


@dataclass(frozen=True)
class WholesaleOffer:
    """What a verified buyer sees of one SKU: its retail price, minimum, tiers and the
    resulting price per quantity range (exactly what sku_unit_price will charge)."""

    sku: Sku
    retail_price: Decimal
    min_quantity: int
    tiers: list[WholesaleTier]
    price_breaks: list[PriceBreak]


def buyer_organisation_for_user(*, user) -> BuyerOrganisation | None:
    """The user's organisation (any status), in one query; None for anonymous users."""
    if not user or not user.is_authenticated:
        return None
    found = BUYER_ORGANISATION.run(user=user.pk)
    return found[0] if found else None


BUYER_ORGANISATION = PreparedQuery(
    lambda p: BuyerOrganisation.objects.filter(members__user_id=p.user).order_by("pk")[:1]
)


def verified_organisation_for_user(*, user) -> BuyerOrganisation | None:
    organisation = buyer_organisation_for_user(user=user)
    return organisation if organisation and organisation.is_verified else None


def sku_tiers(*, sku: Sku) -> list[WholesaleTier]:
    """The SKU's tiers by ascending minimum quantity, from the prefetch when there is one."""
    return sorted(sku.wholesale_tiers.all(), key=lambda tier: tier.min_quantity)


def sku_unit_price(*, sku: Sku, quantity: int, organisation: BuyerOrganisation | None) -> Decimal:
    """Retail price, or the best wholesale tier the quantity reaches for a verified buyer.

    Tiers must be prefetched (`wholesale_tiers`) by the caller for list use.
    """
    if organisation is None or not organisation.is_verified:
        return sku.retail_price
    return tier_unit_price(
        retail_price=sku.retail_price, tiers=sku.wholesale_tiers.all(), quantity=quantity
    )


def sku_min_quantity(*, sku: Sku, organisation: BuyerOrganisation | None) -> int:
    """Verified buyers must order at least the SKU's wholesale minimum (when one is set)."""
    if organisation is None or not organisation.is_verified:
        return 1
    return max(sku.min_wholesale_quantity, 1)


def wholesale_offer(*, sku: Sku, organisation: BuyerOrganisation | None) -> WholesaleOffer | None:
    """Tiers and minimum of a SKU for a verified buyer; None for everyone else."""
    if organisation is None or not organisation.is_verified:
        return None
    min_quantity = sku_min_quantity(sku=sku, organisation=organisation)
    tiers = sku_tiers(sku=sku)
    return WholesaleOffer(
        sku=sku,
        retail_price=sku.retail_price,
        min_quantity=min_quantity,
        tiers=tiers,
        price_breaks=_price_breaks(sku, organisation, min_quantity, tiers),
    )


def _price_breaks(
    sku: Sku, organisation: BuyerOrganisation, min_quantity: int, tiers: list[WholesaleTier]
) -> list[PriceBreak]:
    # Prices only change where a tier starts, so sku_unit_price at each start (and at the
    # minimum) gives the whole table; ranges with the same price are merged.
    starts = sorted(
        {min_quantity, *(t.min_quantity for t in tiers if t.min_quantity > min_quantity)}
    )
    rows: list[tuple[int, Decimal]] = []
    for start in starts:
        price = sku_unit_price(sku=sku, quantity=start, organisation=organisation)
        if not rows or rows[-1][1] != price:
            rows.append((start, price))
    return [
        PriceBreak(
            from_quantity=start,
            to_quantity=rows[i + 1][0] - 1 if i + 1 < len(rows) else None,
            unit_price=price,
            is_retail=price == sku.retail_price,
        )
        for i, (start, price) in enumerate(rows)
    ]


def skus_for_wholesale_prices(*, sku_ids: list[int]) -> list[Sku]:
    """Active SKUs of sellable products among `sku_ids`, with their tiers (2 queries)."""
    return list(
        Sku.objects.filter(
            pk__in=sku_ids, is_active=True, product__in=products_sellable().values("pk")
        )
        .prefetch_related(
            Prefetch("wholesale_tiers", queryset=WholesaleTier.objects.order_by("min_quantity"))
        )
        .order_by("pk")
    )


def credit_balance(*, organisation: BuyerOrganisation) -> Decimal:
    """What the organisation owes now: the sum of its credit ledger."""
    total = CreditEntry.objects.filter(organisation=organisation).aggregate(s=Sum("amount"))["s"]
    return to_money(total or ZERO)  # SQLite returns sums unquantized (50 for 50.00)


def credit_available(*, organisation: BuyerOrganisation) -> Decimal:
    return max(organisation.credit_limit - credit_balance(organisation=organisation), ZERO)


def credit_summary(*, organisation: BuyerOrganisation) -> CreditSummary:
    owed = credit_balance(organisation=organisation)
    return CreditSummary(
        limit=organisation.credit_limit,
        owed=owed,
        available=max(organisation.credit_limit - owed, ZERO),
    )


def credit_entry_list_for_organisation(*, organisation: BuyerOrganisation) -> QuerySet[CreditEntry]:
    """The ledger, newest first (what the buyer reads)."""
    return CreditEntry.objects.filter(organisation=organisation).order_by("-created_at", "-id")


def buyer_statement_list_for_organisation(
    *, organisation: BuyerOrganisation | None
) -> QuerySet[BuyerStatement]:
    if organisation is None:
        return BuyerStatement.objects.none()
    return BuyerStatement.objects.filter(organisation=organisation).order_by("-period_start")


def buyer_statement_get_for_user(*, user, pk: int) -> BuyerStatement | None:
    """A statement of the user's own organisation; another organisation's is not found."""
    organisation = buyer_organisation_for_user(user=user)
    if organisation is None:
        return None
    return (
        BuyerStatement.objects.select_related("organisation")
        .filter(organisation=organisation, pk=pk)
        .first()
    )


def buyer_statement_entries(*, statement: BuyerStatement) -> QuerySet[CreditEntry]:
    """The ledger entries a statement sums, oldest first (as printed)."""
    start, end, _last = month_bounds(statement.period_start)
    return CreditEntry.objects.filter(
        organisation_id=statement.organisation_id, created_at__gte=start, created_at__lt=end
    ).order_by("created_at", "id")


def buyer_organisation_events(
    *, organisation: BuyerOrganisation
) -> QuerySet[BuyerOrganisationEvent]:
    return organisation.events.order_by("-created_at", "-id")
