"""Builders of promotions rows for the tests."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from apps.promotions.models import Coupon, FlashPrice, Promotion, UserCoupon


def make_coupon(*, store=None, amount="10.00", threshold="0.00", **kw) -> Coupon:
    now = timezone.now()
    coupon = Coupon(
        name=kw.pop("name", "满减券"),
        store=store,
        amount=Decimal(amount),
        threshold=Decimal(threshold),
        valid_from=kw.pop("valid_from", now - timedelta(days=1)),
        valid_until=kw.pop("valid_until", now + timedelta(days=7)),
        **kw,
    )
    coupon.full_clean()
    coupon.save()
    return coupon


def give_coupon(user, coupon: Coupon) -> UserCoupon:
    """A coupon the shopper holds (as if claimed)."""
    Coupon.objects.filter(pk=coupon.pk).update(issued_count=F("issued_count") + 1)
    return UserCoupon.objects.create(coupon=coupon, user=user, source="claim")


def make_promotion(*, store=None, tiers=(("100.00", "15.00"),), **kw) -> Promotion:
    now = timezone.now()
    promotion = Promotion.objects.create(
        name=kw.pop("name", "满减活动"),
        store=store,
        starts_at=kw.pop("starts_at", now - timedelta(days=1)),
        ends_at=kw.pop("ends_at", now + timedelta(days=7)),
        **kw,
    )
    for threshold, amount_off in tiers:
        promotion.tiers.create(threshold=Decimal(threshold), amount_off=Decimal(amount_off))
    return promotion


def make_flash(sku, *, price="5.00", **kw) -> FlashPrice:
    now = timezone.now()
    return FlashPrice.objects.create(
        sku=sku,
        price=Decimal(price),
        starts_at=kw.pop("starts_at", now - timedelta(hours=1)),
        ends_at=kw.pop("ends_at", now + timedelta(hours=2)),
        **kw,
    )
