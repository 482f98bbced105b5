"""Reads for the promoter centre, the admin and the API (they own the joins and sums)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.core.money import to_money
from apps.distribution.models import (
    ZERO,
    CommissionRecord,
    DistributionConfig,
    Promoter,
    ReferralBinding,
    Withdrawal,
)
from apps.orders.models import Order


def share_url(path: str, code: str) -> str:
    """A share link: any storefront path with the promoter's code (`?ref=`)."""
    return f"{settings.SITE_URL}{path}?ref={code}"


@dataclass(frozen=True)
class ShareState:
    """What the share button of a product or store page shows a signed-in user."""

    is_enabled: bool  # distribution switched on (the newest configuration)
    code: str | None  # the user's promoter code when the promoter is active, else None


def share_state_for_user(*, user_id: int) -> ShareState:
    """One query: the newest configuration's switch and the user's active promoter code, as
    two subqueries on the user's own row (product pages allow one query for this)."""
    enabled = DistributionConfig.objects.order_by("-created_at", "-id").values("is_enabled")[:1]
    code = Promoter.objects.filter(user=OuterRef("pk"), status=Promoter.Status.ACTIVE).values(
        "code"
    )[:1]
    row = (
        User.objects.filter(pk=user_id)
        .annotate(enabled=Subquery(enabled), code=Subquery(code))
        .values("enabled", "code")
        .first()
    )
    if row is None:
        return ShareState(is_enabled=False, code=None)
    default = DistributionConfig._meta.get_field("is_enabled").default
    is_enabled = default if row["enabled"] is None else row["enabled"]
    return ShareState(is_enabled=is_enabled, code=row["code"] if is_enabled else None)


def promoter_get_by_code(*, code: str) -> Promoter | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 12:
        return None
    return Promoter.objects.select_related("user").filter(code=code).first()


def promoter_for_user(*, user) -> Promoter | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Promoter.objects.select_related("grade").filter(user=user).first()


def user_paid_spend(*, user) -> Decimal:
    """What the user has paid and kept: paid orders minus refunds (cancelled ones net 0)."""
    total = Order.objects.filter(buyer=user, paid_at__isnull=False).aggregate(
        paid=Sum("total_amount"), refunded=Sum("refunded_amount")
    )
    return to_money((total["paid"] or ZERO) - (total["refunded"] or ZERO))


def active_upline(*, user_id: int, now=None) -> Promoter | None:
    """The user's current level-1 upline if the binding is in force and the promoter active."""
    now = now or timezone.now()
    binding = (
        ReferralBinding.objects.select_related("promoter", "promoter__grade")
        .filter(user_id=user_id, promoter__status=Promoter.Status.ACTIVE)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    return binding.promoter if binding else None


def team_user_ids(*, promoter: Promoter) -> tuple[QuerySet, QuerySet]:
    """(level-1 members, level-2 members) as user-id querysets."""
    level1 = ReferralBinding.objects.filter(promoter=promoter).values("user_id")
    level2 = ReferralBinding.objects.filter(promoter__user_id__in=level1).values("user_id")
    return level1, level2


# --- the promoter centre -------------------------------------------------------------------


SUMMARY_CACHE_SECONDS = 300


def _summary_key(promoter_id: int, day) -> str:
    return f"distribution:summary:{promoter_id}:{day.isoformat()}"


def promoter_summary_forget(*, promoter_ids) -> None:
    """Drop the cached sums of these promoters once the current transaction commits (the
    commission and withdrawal services call it whenever a record or payout changes)."""
    day = timezone.localdate()
    keys = [_summary_key(pk, day) for pk in set(promoter_ids)]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))


def promoter_summary(*, promoter: Promoter, now=None) -> dict[str, Decimal | int]:
    """Frozen, available balance, withdrawn and total earned; today's and this month's
    expected earnings; team sizes. A fixed handful of queries whatever the team size.

    The sums over the commission records (one aggregate, an index-only scan of the
    promoter's rows, but 100,000 rows for a big promoter) are cached per promoter and day
    and dropped by every service that changes them (`promoter_summary_forget`); the balance
    is the promoter row's and the team sizes are counted each time."""
    now = timezone.localtime(now or timezone.now())
    key = _summary_key(promoter.pk, now.date())
    sums = cache.get(key)
    if sums is None:
        sums = _promoter_sums(promoter=promoter, now=now)
        cache.set(key, sums, SUMMARY_CACHE_SECONDS)
    level1, level2 = team_user_ids(promoter=promoter)
    return {
        "balance": promoter.balance,
        **sums,
        "team_level1": level1.count(),
        "team_level2": level2.count(),
    }


def _promoter_sums(*, promoter: Promoter, now) -> dict[str, Decimal]:
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    net = F("amount") - F("reversed_amount")
    live = ~Q(status=CommissionRecord.Status.CANCELLED)
    sums = CommissionRecord.objects.filter(promoter=promoter).aggregate(
        frozen=Sum(net, filter=Q(status=CommissionRecord.Status.FROZEN)),
        total=Sum(net, filter=live),
        today=Sum(net, filter=live & Q(created_at__gte=day_start)),
        month=Sum(net, filter=live & Q(created_at__gte=month_start)),
    )
    withdrawn = Withdrawal.objects.filter(
        promoter=promoter, status=Withdrawal.Status.PAID
    ).aggregate(total=Sum("amount"))["total"]
    return {
        "frozen": to_money(sums["frozen"] or ZERO),
        "total": to_money(sums["total"] or ZERO),
        "today": to_money(sums["today"] or ZERO),
        "month": to_money(sums["month"] or ZERO),
        "withdrawn": to_money(withdrawn or ZERO),
    }


def commission_list_for_promoter(*, promoter: Promoter) -> QuerySet[CommissionRecord]:
    """The promoter's records with the order's number, store and line title — never the buyer."""
    return (
        CommissionRecord.objects.filter(promoter=promoter)
        .select_related("order", "line", "store")
        .only(
            "id",
            "level",
            "amount",
            "reversed_amount",
            "status",
            "created_at",
            "available_at",
            "order__number",
            "order__status",
            "line__title",
            "line__spec",
            "line__paid_amount",
            "store__name",
        )
        .order_by("-created_at", "-id")
    )


def team_members(*, promoter: Promoter, level: int) -> QuerySet[ReferralBinding]:
    level1, _level2 = team_user_ids(promoter=promoter)
    if level == 1:
        bindings = ReferralBinding.objects.filter(promoter=promoter)
    else:
        bindings = ReferralBinding.objects.filter(promoter__user_id__in=level1)
    return bindings.select_related("user").order_by("-bound_at", "-id")


def withdrawal_list_for_promoter(*, promoter: Promoter) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(promoter=promoter).order_by("-created_at", "-id")


def promoter_ranking(*, by: str, limit: int = 10) -> list[Promoter]:
    """Top active promoters by commission earned (not cancelled) or by invitations."""
    promoters = Promoter.objects.filter(status=Promoter.Status.ACTIVE).select_related("user")
    if by == "invitations":
        promoters = promoters.annotate(score=Count("bindings"))
    else:
        promoters = promoters.annotate(
            score=Sum(
                F("commission_records__amount") - F("commission_records__reversed_amount"),
                filter=~Q(commission_records__status=CommissionRecord.Status.CANCELLED),
            )
        )
    return list(promoters.filter(score__gt=0).order_by("-score", "pk")[:limit])


def mask_name(name: str) -> str:
    """Team pages and rankings show people as 王** — never a full name or contact."""
    name = str(name or "")
    return (name[:1] + "**") if name else "**"


def promoter_sales_by_product() -> QuerySet:
    """Staff report: per product, the sales promoters brought (from level-1 records, so each
    line counts once) and all commission on them, cancelled records left out."""
    net = F("amount") - F("reversed_amount")
    first = Q(level=1)
    return (
        CommissionRecord.objects.exclude(status=CommissionRecord.Status.CANCELLED)
        .values("line__product_id", "line__title", "store__name")
        .annotate(
            orders=Count("order", distinct=True, filter=first),
            quantity=Sum("line__quantity", filter=first),
            paid=Sum("line__paid_amount", filter=first),
            commission=Sum(net),
        )
        .order_by("-paid", "line__product_id")
    )
