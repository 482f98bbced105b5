"""Changes to promotions: claiming and sending coupons, and taking / giving back what a
checkout used (coupons and limited-time stock) inside the order's transaction.

Every count many shoppers race for moves by one guarded UPDATE (as the stock reservation):
`issued_count` only while below `total_quantity`, a held coupon only from available to used,
a flash price's `sold` only while within its promo stock. The per-user limits are counted after
that UPDATE, which holds the coupon's (or flash price's) row lock until the transaction ends, so
two claims by the same shopper run one after the other and the second sees the first.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, NotFoundError
from apps.promotions.errors import PromotionErrorCode
from apps.promotions.models import ZERO, Coupon, FlashPrice, FlashPurchase, UserCoupon
from apps.promotions.rules import DiscountPlan

Distribution = Coupon.Distribution


def _coupon_window_check(coupon: Coupon, now: datetime) -> None:
    if not coupon.is_active or coupon.valid_until <= now:
        raise ApplicationError(
            _("「%(name)s」已结束。") % {"name": coupon.name},
            code=PromotionErrorCode.COUPON_EXPIRED,
            status_code=409,
        )


@transaction.atomic
def coupon_claim(
    *, coupon: Coupon, user, source: str = Distribution.CLAIM, now: datetime | None = None
) -> UserCoupon:
    """The shopper takes one of `coupon` (coupon centre, code, or sent by staff). Refused when
    it is over, none is left, or the shopper already holds the per-user limit; nothing taken."""
    now = now or timezone.now()
    if source == Distribution.CLAIM and coupon.distribution != Distribution.CLAIM:
        raise ApplicationError(
            _("该优惠券不能在领券中心领取。"),
            code=PromotionErrorCode.COUPON_NOT_CLAIMABLE,
            status_code=409,
        )
    _coupon_window_check(coupon, now)
    issued = (
        Coupon.objects.filter(pk=coupon.pk, is_active=True, valid_until__gt=now)
        .filter(Q(total_quantity__isnull=True) | Q(issued_count__lt=F("total_quantity")))
        .update(issued_count=F("issued_count") + 1)
    )
    if issued != 1:
        raise ApplicationError(
            _("「%(name)s」已被领完。") % {"name": coupon.name},
            code=PromotionErrorCode.COUPON_EXHAUSTED,
            status_code=409,
        )
    # The UPDATE above holds this coupon's row lock until commit: claims of it are serialised
    # from here on, so this count sees every earlier claim by the same shopper.
    held = UserCoupon.objects.filter(coupon=coupon, user=user).count()
    if held >= coupon.per_user_limit:
        raise ApplicationError(
            _("「%(name)s」每人限领 %(n)d 张，您已领过。")
            % {"name": coupon.name, "n": coupon.per_user_limit},
            code=PromotionErrorCode.COUPON_LIMIT_REACHED,
            status_code=409,
        )
    return UserCoupon.objects.create(coupon=coupon, user=user, source=source)


def coupon_claim_by_id(*, coupon_id, user) -> UserCoupon:
    coupon = Coupon.objects.filter(pk=coupon_id).first() if str(coupon_id).isdigit() else None
    if coupon is None:
        raise NotFoundError(_("优惠券不存在。"), code=PromotionErrorCode.COUPON_NOT_FOUND)
    return coupon_claim(coupon=coupon, user=user)


def coupon_redeem_code(*, code: str, user) -> UserCoupon:
    """兑换码: an unknown, forged or non-code coupon's code is simply not found."""
    code = (code or "").strip().upper()
    coupon = (
        Coupon.objects.filter(code=code, distribution=Distribution.CODE).first() if code else None
    )
    if coupon is None:
        raise ApplicationError(
            _("兑换码无效，请核对后重试。"),
            code=PromotionErrorCode.COUPON_NOT_FOUND,
            fields={"code": _("兑换码无效。")},
        )
    return coupon_claim(coupon=coupon, user=user, source=Distribution.CODE)


def coupons_send(*, coupon: Coupon, users: Iterable, actor) -> tuple[int, list[str]]:
    """Staff send `coupon` to chosen users (e.g. new sign-ups, A-tier buyers), one each; a user
    at the limit or the coupon running out is skipped with its reason. Returns (sent, skipped
    reasons); each claim commits on its own."""
    if not (actor and actor.has_perm("promotions.send_coupon")):
        raise ApplicationError(
            _("您没有发券权限。"), code=PromotionErrorCode.NOT_ALLOWED, status_code=403
        )
    sent, skipped = 0, []
    for user in users:
        try:
            coupon_claim(coupon=coupon, user=user, source=Distribution.SEND)
        except ApplicationError as exc:
            skipped.append(f"{user}: {exc.message}")
        else:
            sent += 1
    return sent, skipped


# --- Checkout (called by orders inside the order's transaction) -----------------------------


def discounts_take(
    *, user, plan: DiscountPlan, reference: str, now=None, freight_discount: Decimal = ZERO
) -> None:
    """Use the plan's coupons and limited-time pieces for the checkout `reference` (its
    payment order number). Guarded UPDATEs: a coupon another checkout used meanwhile, or a
    promo stock or per-user limit run out, refuses the whole checkout (409). The free-shipping
    coupon is used only when it waived some freight (`freight_discount`, from pricing)."""
    now = now or timezone.now()
    if plan.shipping is not None and freight_discount > 0:
        _coupon_use(
            user=user,
            user_coupon_id=plan.shipping.user_coupon_id,
            amount=freight_discount,
            reference=reference,
            now=now,
        )
    for discount in plan.discounts:
        if discount.user_coupon_id:
            _coupon_use(
                user=user,
                user_coupon_id=discount.user_coupon_id,
                amount=discount.amount,
                reference=reference,
                now=now,
            )
        if discount.flash_id:
            _flash_take(
                user=user,
                flash_id=discount.flash_id,
                quantity=discount.flash_quantity,
                reference=reference,
                now=now,
            )


def _coupon_use(*, user, user_coupon_id: int, amount, reference: str, now) -> None:
    used = UserCoupon.objects.filter(
        pk=user_coupon_id,
        user=user,
        status=UserCoupon.Status.AVAILABLE,
        coupon__is_active=True,
        coupon__valid_until__gt=now,
    ).update(
        status=UserCoupon.Status.USED,
        used_at=now,
        used_reference=reference,
        discount_amount=amount,
        updated_at=now,
    )
    if used != 1:
        raise ApplicationError(
            _("所选优惠券已被使用或已失效，请重新选择。"),
            code=PromotionErrorCode.COUPON_TAKEN,
            status_code=409,
        )
    Coupon.objects.filter(holdings__pk=user_coupon_id).update(used_count=F("used_count") + 1)


def _flash_take(*, user, flash_id: int, quantity: int, reference: str, now) -> None:
    taken = (
        FlashPrice.objects.filter(pk=flash_id, is_active=True, ends_at__gt=now)
        .filter(Q(promo_stock__isnull=True) | Q(promo_stock__gte=F("sold") + quantity))
        .update(sold=F("sold") + quantity)
    )
    if taken != 1:
        raise ApplicationError(
            _("限时价库存已抢完或活动已结束，请刷新后重试。"),
            code=PromotionErrorCode.FLASH_SOLD_OUT,
            status_code=409,
        )
    flash = FlashPrice.objects.get(pk=flash_id)
    if flash.per_user_limit:
        bought = (
            FlashPurchase.objects.filter(flash_price=flash, user=user, is_returned=False).aggregate(
                total=Sum("quantity")
            )["total"]
            or 0
        )
        if bought + quantity > flash.per_user_limit:
            raise ApplicationError(
                _("限时价每人限购 %(n)d 件。") % {"n": flash.per_user_limit},
                code=PromotionErrorCode.FLASH_LIMIT_REACHED,
                status_code=409,
            )
    FlashPurchase.objects.create(
        flash_price=flash, user=user, quantity=quantity, reference=reference
    )


def discounts_release(*, reference: str) -> int:
    """The checkout `reference` was cancelled before payment (by the shopper or the timeout):
    its coupons become available again (if still valid they can be used again) and its
    limited-time pieces go back to the promo stock. Idempotent. Returns coupons returned.

    The rule after payment (stated in docs/promotions.md): a refund does not return a coupon,
    so this is called only for unpaid cancellations."""
    holdings = list(
        UserCoupon.objects.select_for_update()
        .filter(used_reference=reference, status=UserCoupon.Status.USED)
        .order_by("pk")
    )
    for holding in holdings:
        UserCoupon.objects.filter(pk=holding.pk).update(
            status=UserCoupon.Status.AVAILABLE,
            used_at=None,
            used_reference="",
            discount_amount=0,
            updated_at=timezone.now(),
        )
        Coupon.objects.filter(pk=holding.coupon_id, used_count__gt=0).update(
            used_count=F("used_count") - 1
        )
    purchases = list(
        FlashPurchase.objects.select_for_update()
        .filter(reference=reference, is_returned=False)
        .order_by("flash_price_id", "pk")
    )
    for purchase in purchases:
        FlashPrice.objects.filter(pk=purchase.flash_price_id, sold__gte=purchase.quantity).update(
            sold=F("sold") - purchase.quantity
        )
        FlashPurchase.objects.filter(pk=purchase.pk).update(is_returned=True)
    return len(holdings)
