"""Reads for the promoter centre, the admin and the API (they own the joins and sums)."""

from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from apps.core.money import to_money
from apps.distribution.models import ZERO, Promoter, ReferralBinding
from apps.orders.models import Order


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
