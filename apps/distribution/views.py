"""The promoter centre (推广中心): mobile-first pages over the distribution services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.catalog.selectors import product_get_for_storefront
from apps.core.errors import ApplicationError
from apps.distribution.forms import ApplyForm, BindForm, WithdrawalForm
from apps.distribution.models import Promoter
from apps.distribution.poster import poster_png
from apps.distribution.selectors import (
    commission_list_for_promoter,
    mask_name,
    promoter_for_user,
    promoter_ranking,
    promoter_summary,
    share_url,
    team_members,
    withdrawal_list_for_promoter,
)
from apps.distribution.services.binding import referral_bind
from apps.distribution.services.config import config_current
from apps.distribution.services.promoters import promoter_apply
from apps.distribution.services.withdrawals import withdrawal_apply
from apps.stores.selectors import store_get_for_storefront


def _active_promoter(request: HttpRequest) -> Promoter:
    promoter = promoter_for_user(user=request.user)
    if promoter is None or promoter.status not in (
        Promoter.Status.ACTIVE,
        Promoter.Status.DISABLED,
    ):
        raise Http404(_("您还不是推广员。"))
    return promoter


def _page(request: HttpRequest, queryset, size: int = 20):
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number),
    }


@login_required
@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    promoter = promoter_for_user(user=request.user)
    context = {"promoter": promoter, "config": config_current()}
    if promoter is not None and promoter.status != Promoter.Status.PENDING:
        context.update(
            summary=promoter_summary(promoter=promoter),
            recent=commission_list_for_promoter(promoter=promoter)[:5],
            share_link=share_url("/", promoter.code),
        )
    if promoter is None or promoter.status == Promoter.Status.REJECTED:
        context["apply_form"] = ApplyForm()
    binding = getattr(request.user, "referral_binding", None)
    context["upline"] = binding.promoter if binding else None
    if binding is None:
        context["bind_form"] = BindForm()
    return render(request, "distribution/centre.html", context)


@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    form = ApplyForm(request.POST)
    if form.is_valid():
        try:
            promoter = promoter_apply(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if promoter.status == Promoter.Status.ACTIVE:
                messages.success(request, _("您已成为推广员，快去分享吧！"))
            else:
                messages.success(request, _("申请已提交，请等待平台审核。"))
    return redirect("distribution:centre")


@login_required
@require_POST
def bind(request: HttpRequest) -> HttpResponse:
    form = BindForm(request.POST)
    if form.is_valid():
        try:
            referral_bind(user=request.user, code=form.cleaned_data["code"], source="code")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已绑定推广人。"))
    return redirect("distribution:centre")


@login_required
@require_GET
def commissions(request: HttpRequest) -> HttpResponse:
    promoter = _active_promoter(request)
    context = _page(request, commission_list_for_promoter(promoter=promoter))
    context["promoter"] = promoter
    return render(request, "distribution/commissions.html", context)


@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    promoter = _active_promoter(request)
    level = 2 if request.GET.get("level") == "2" else 1
    context = _page(request, team_members(promoter=promoter, level=level))
    context["members"] = [
        {"name": mask_name(b.user.name), "bound_at": b.bound_at} for b in context["page_obj"]
    ]
    context.update(promoter=promoter, level=level, summary=promoter_summary(promoter=promoter))
    return render(request, "distribution/team.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def withdrawals(request: HttpRequest) -> HttpResponse:
    promoter = _active_promoter(request)
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            withdrawal_apply(promoter=promoter, **form.cleaned_data)
        except ApplicationError as exc:
            for field, message in exc.fields.items():
                if field in form.fields:
                    form.add_error(field, str(message))
            if not any(field in form.fields for field in exc.fields):
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("提现申请已提交。"))
            return redirect("distribution:withdrawals")
    promoter.refresh_from_db(fields=["balance"])
    context = _page(request, withdrawal_list_for_promoter(promoter=promoter))
    context.update(promoter=promoter, form=form, config=config_current())
    status = 400 if request.method == "POST" else 200
    return render(request, "distribution/withdrawals.html", context, status=status)


@login_required
@require_GET
def poster(request: HttpRequest) -> HttpResponse:
    """?product=<id> or ?store=<slug> (or neither: the whole marketplace)."""
    promoter = _active_promoter(request)
    title, subtitle = _("田间 · 县域好物"), _("产地直发 · 源头可追溯")
    price, path, photo = "", "/", None
    if request.GET.get("product"):
        try:
            product = product_get_for_storefront(pk=int(request.GET["product"]))
        except ValueError:
            product = None
        if product is None:
            raise Http404(_("商品不存在。"))
        title, subtitle = product.title, product.subtitle or product.store.name
        price, path = f"¥{product.price_min}", product.get_absolute_url()
        image = product.images.order_by("sort_order", "id").first()
        photo = image.image.path if image else None
    elif request.GET.get("store"):
        store = store_get_for_storefront(slug=request.GET["store"])
        if store is None:
            raise Http404(_("店铺不存在。"))
        title, subtitle, path = store.name, store.county_name, store.get_absolute_url()
    png = poster_png(
        title=title,
        subtitle=subtitle,
        price=price,
        code=promoter.code,
        url=share_url(path, promoter.code),
        photo_path=photo,
    )
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="poster-{promoter.code}.png"'
    return response


@login_required
@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    by = "invitations" if request.GET.get("by") == "invitations" else "commission"
    rows = [
        {"name": mask_name(p.user.name), "score": p.score, "is_me": p.user_id == request.user.pk}
        for p in promoter_ranking(by=by)
    ]
    return render(request, "distribution/ranking.html", {"rows": rows, "by": by})
