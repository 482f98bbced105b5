"""Shopper pages: the coupon centre (领券中心), claiming, redeeming a code, 我的优惠券."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import ApplicationError
from apps.promotions.forms import RedeemCodeForm
from apps.promotions.selectors import (
    COUPON_TABS,
    claimed_counts,
    coupons_claimable,
    user_coupons_for_user,
)
from apps.promotions.services import coupon_claim_by_id, coupon_redeem_code


@require_GET
def coupon_center(request: HttpRequest) -> HttpResponse:
    coupons = list(coupons_claimable()[:100])
    counts = claimed_counts(user=request.user, coupon_ids=[c.pk for c in coupons])
    rows = [(coupon, counts.get(coupon.pk, 0) >= coupon.per_user_limit) for coupon in coupons]
    return render(request, "promotions/coupon_center.html", {"rows": rows})


@login_required
@require_POST
def coupon_claim_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        holding = coupon_claim_by_id(coupon_id=pk, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("领取成功：%(name)s") % {"name": holding.coupon.name})
    return redirect("promotions:coupon_center")


@login_required
def my_coupons(request: HttpRequest) -> HttpResponse:
    form = RedeemCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            holding = coupon_redeem_code(code=form.cleaned_data["code"], user=request.user)
        except ApplicationError as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, _("兑换成功：%(name)s") % {"name": holding.coupon.name})
            return redirect("promotions:my_coupons")
    tab = next((t for t in COUPON_TABS if t.key == request.GET.get("tab")), COUPON_TABS[0])
    holdings = list(user_coupons_for_user(user=request.user, tab=tab.key)[:200])
    return render(
        request,
        "promotions/my_coupons.html",
        {"form": form, "tabs": COUPON_TABS, "tab": tab, "holdings": holdings},
        status=400 if form.errors else 200,
    )
