"""Reads of after-sales and reviews, and what an order line may still be claimed for.

Buyers reach only their own after-sales; merchants only their stores' (stores.selectors);
the public sees only visible reviews.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, Prefetch, QuerySet, Sum, Window
from django.utils import timezone

from apps.accounts.models import User
from apps.aftersales.models import AfterSale, AfterSaleEvent, AfterSaleLine, Review, ReviewPhoto
from apps.core.money import to_money
from apps.orders.models import Order, OrderLine
from apps.stores.selectors import scope_to_user_stores

ZERO = Decimal("0.00")

# Orders money has been paid for and not all returned: the only ones an after-sale may cover.
ELIGIBLE_ORDER_STATUSES = frozenset(
    {
        Order.Status.PAID,
        Order.Status.SHIPPED,
        Order.Status.DELIVERED,
        Order.Status.COMPLETED,
    }
)


@dataclass(frozen=True)
class LineAllowance:
    """What is left to claim on one order line: units and money.

    Units already refunded or in an open after-sale are spoken for. The money for `q` more
    units is the paid amount's share of units k+1 … k+q, with shares rounded cumulatively
    (round(paid·(k+q)/n) − round(paid·k/n)): claiming every unit, in any split, adds up to the
    paid amount exactly, to the fen.
    """

    line: OrderLine
    claimed_quantity: int
    open_quantity: int
    remaining_amount: Decimal

    @property
    def claimable_quantity(self) -> int:
        return max(self.line.quantity - self.claimed_quantity, 0)

    @property
    def is_open(self) -> bool:
        return self.open_quantity > 0

    def max_amount(self, quantity: int) -> Decimal:
        if quantity <= 0:
            return ZERO
        paid, bought = self.line.paid_amount, self.line.quantity
        start = self.claimed_quantity
        end = min(start + quantity, bought)
        share = to_money(paid * end / bought) - to_money(paid * start / bought)
        return max(min(share, self.remaining_amount), ZERO)

    @property
    def max_amount_all(self) -> Decimal:
        return self.max_amount(self.claimable_quantity)


def order_line_allowances(
    *, order: Order, exclude_aftersale_id: int | None = None
) -> dict[int, LineAllowance]:
    """Allowance of every line of `order`, keyed by line id (2 queries).

    `exclude_aftersale_id` leaves one after-sale's own claims out (re-checking it on escalation).
    """
    open_claims = AfterSaleLine.objects.filter(order_line__order=order, is_open=True)
    if exclude_aftersale_id is not None:
        open_claims = open_claims.exclude(aftersale_id=exclude_aftersale_id)
    claimed = {
        row["order_line_id"]: (row["quantity"], row["amount"])
        for row in open_claims.values("order_line_id")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"))
        .order_by()
    }
    allowances = {}
    for line in OrderLine.objects.filter(order=order).order_by("id"):
        open_quantity, open_amount = claimed.get(line.pk, (0, ZERO))
        allowances[line.pk] = LineAllowance(
            line=line,
            claimed_quantity=line.refunded_quantity + open_quantity,
            open_quantity=open_quantity,
            remaining_amount=line.paid_amount - line.refunded_amount - open_amount,
        )
    return allowances


def order_get_for_aftersale(*, user: User, number: str) -> Order | None:
    """The signed-in buyer's own order by number (anyone else's is simply not found)."""
    if not user.is_authenticated or not number:
        return None
    return Order.objects.filter(buyer=user, number=number).select_related("store").first()


def order_line_get_for_buyer(*, user: User, pk: int) -> OrderLine | None:
    if not user.is_authenticated:
        return None
    return OrderLine.objects.filter(pk=pk, order__buyer=user).select_related("order").first()


def order_is_eligible_for_aftersale(order: Order) -> bool:
    return order.status in ELIGIBLE_ORDER_STATUSES


# --- After-sales --------------------------------------------------------------------------


def _with_lines(queryset: QuerySet[AfterSale]) -> QuerySet[AfterSale]:
    return queryset.select_related("order", "store").prefetch_related(
        Prefetch("lines", queryset=AfterSaleLine.objects.select_related("order_line"))
    )


def _with_details(queryset: QuerySet[AfterSale]) -> QuerySet[AfterSale]:
    return _with_lines(queryset).prefetch_related(
        "photos",
        Prefetch("events", queryset=AfterSaleEvent.objects.select_related("actor")),
    )


def aftersale_list_for_buyer(*, user: User, status: str | None = None) -> QuerySet[AfterSale]:
    if not user.is_authenticated:
        return AfterSale.objects.none()
    queryset = AfterSale.objects.filter(buyer=user)
    if status:
        queryset = queryset.filter(status=status)
    return _with_lines(queryset).order_by("-created_at", "-id")


def aftersale_get_for_buyer(*, user: User, number: str) -> AfterSale | None:
    if not user.is_authenticated:
        return None
    return _with_details(AfterSale.objects.filter(buyer=user, number=number)).first()


def aftersale_list_for_merchant(*, user: User, status: str | None = None) -> QuerySet[AfterSale]:
    queryset = scope_to_user_stores(AfterSale.objects.all(), user)
    if status:
        queryset = queryset.filter(status=status)
    return _with_lines(queryset.select_related("buyer")).order_by("-created_at", "-id")


def aftersale_get_for_merchant(*, user: User, number: str) -> AfterSale | None:
    queryset = scope_to_user_stores(AfterSale.objects.filter(number=number), user)
    return _with_details(queryset.select_related("buyer")).first()


# --- Reviews ------------------------------------------------------------------------------


def _visible_reviews(product_id: int) -> QuerySet[Review]:
    return Review.objects.filter(product_id=product_id, is_visible=True)


def _rating(average, count: int) -> dict:
    return {
        "average": Decimal(str(average)).quantize(Decimal("0.1")) if average is not None else None,
        "count": count,
    }


def product_rating(*, product_id: int) -> dict:
    """Average (one decimal, None without reviews) and count of a product's visible reviews."""
    row = _visible_reviews(product_id).aggregate(average=Avg("rating"), count=Count("id"))
    return _rating(row["average"], row["count"])


def product_review_summary(*, product_id: int, limit: int) -> tuple[dict, list[Review]]:
    """The rating and the latest `limit` reviews in one query (+1 for photos when any).

    Window aggregates are computed over every visible review before LIMIT applies, so each
    row carries the product's count and average.
    """
    reviews = list(
        review_list_for_product(product_id=product_id).annotate(
            visible_count=Window(Count("id")), visible_average=Window(Avg("rating"))
        )[:limit]
    )
    if not reviews:
        return _rating(None, 0), []
    return _rating(reviews[0].visible_average, reviews[0].visible_count), reviews


def review_list_for_product(*, product_id: int) -> QuerySet[Review]:
    """Visible reviews, newest first, with buyer, spec and photos (2 queries per page)."""
    return (
        _visible_reviews(product_id)
        .select_related("buyer", "order_line")
        .prefetch_related(Prefetch("photos", queryset=ReviewPhoto.objects.order_by("id")))
        .order_by("-created_at", "-id")
    )


def review_list_for_buyer(*, user: User) -> QuerySet[Review]:
    if not user.is_authenticated:
        return Review.objects.none()
    return (
        Review.objects.filter(buyer=user)
        .select_related("product", "order_line", "buyer")
        .prefetch_related("photos")
        .order_by("-created_at", "-id")
    )


def review_list_for_merchant(*, user: User, has_reply: bool | None = None) -> QuerySet[Review]:
    queryset = scope_to_user_stores(Review.objects.all(), user)
    if has_reply is not None:
        queryset = queryset.filter(replied_at__isnull=not has_reply)
    return (
        queryset.select_related("buyer", "product", "order_line")
        .prefetch_related("photos")
        .order_by("-created_at", "-id")
    )


def review_get_for_merchant(*, user: User, pk: int) -> Review | None:
    return review_list_for_merchant(user=user).filter(pk=pk).first()


def order_lines_for_review(*, order: Order) -> list[OrderLine]:
    """The lines of an order, each with its review (or None) and its photos (2 queries)."""
    return list(
        OrderLine.objects.filter(order=order)
        .select_related("review__buyer", "product")
        .prefetch_related("review__photos")
        .order_by("id")
    )


# --- the merchant's response deadline (services/lapse.py states the rule) ------------------


def response_hours() -> int:
    return settings.AFTERSALE_RESPONSE_HOURS


def aftersale_response_deadline(aftersale: AfterSale) -> datetime:
    """When a request still unanswered is approved by the platform."""
    return aftersale.created_at + timedelta(hours=response_hours())


def aftersales_awaiting_merchant(queryset: QuerySet[AfterSale]) -> QuerySet[AfterSale]:
    """Requests waiting for the store's answer, the most urgent first."""
    return queryset.filter(status=AfterSale.Status.REQUESTED).order_by("created_at", "id")


def aftersales_lapsed(
    queryset: QuerySet[AfterSale], *, now: datetime | None = None
) -> QuerySet[AfterSale]:
    """Requests whose response deadline has passed."""
    cutoff = (now or timezone.now()) - timedelta(hours=response_hours())
    return aftersales_awaiting_merchant(queryset).filter(created_at__lte=cutoff)
