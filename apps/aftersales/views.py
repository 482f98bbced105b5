"""Shopper pages: apply for an after-sale, follow it, ship goods back, escalate; reviews."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.aftersales.forms import AfterSaleApplyForm, EscalateForm, ReviewForm, ShipBackForm
from apps.aftersales.models import AfterSale
from apps.aftersales.selectors import (
    aftersale_get_for_buyer,
    aftersale_list_for_buyer,
    order_get_for_aftersale,
    order_is_eligible_for_aftersale,
    order_line_allowances,
    order_lines_for_review,
    product_rating,
    review_list_for_product,
)
from apps.aftersales.services import (
    aftersale_create,
    aftersale_escalate,
    aftersale_ship_back,
    aftersale_withdraw,
    review_create,
)
from apps.catalog.selectors import products_sellable
from apps.core.errors import ApplicationError
from apps.orders.models import Order

LIST_FILTERS = {
    "open": AfterSale.OPEN_STATUSES,
    "refunded": {AfterSale.Status.REFUNDED},
    "closed": {AfterSale.Status.REJECTED, AfterSale.Status.WITHDRAWN},
}


@login_required
@require_GET
def aftersale_list(request: HttpRequest) -> HttpResponse:
    current = request.GET.get("filter", "")
    queryset = aftersale_list_for_buyer(user=request.user)
    if current in LIST_FILTERS:
        queryset = queryset.filter(status__in=LIST_FILTERS[current])
    page = Paginator(queryset, 10).get_page(request.GET.get("page"))
    return render(
        request,
        "aftersales/aftersale_list.html",
        {
            "page_obj": page,
            "aftersales": page.object_list,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "current_filter": current if current in LIST_FILTERS else "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def aftersale_new(request: HttpRequest) -> HttpResponse:
    order = order_get_for_aftersale(user=request.user, number=request.GET.get("order", ""))
    if order is None:
        raise Http404("order")
    allowances = list(order_line_allowances(order=order).values())
    selected = request.GET.get("line", "")
    can_return = order.status != Order.Status.PAID
    form = AfterSaleApplyForm(
        request.POST or None,
        request.FILES or None,
        allowances=allowances,
        selected_line=int(selected) if selected.isdigit() else None,
        can_return=can_return,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                aftersale = aftersale_create(
                    buyer=request.user,
                    order=order,
                    type=data["type"],
                    reason=data["reason"],
                    reason_text=data["reason_text"],
                    lines=data["lines"],
                    amount=data["amount"],
                    photos=data["photos"],
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("售后申请已提交，请等待商家处理。"))
                return redirect(aftersale)
        status = 400
    return render(
        request,
        "aftersales/aftersale_new.html",
        {
            "order": order,
            "form": form,
            "is_eligible": order_is_eligible_for_aftersale(order),
            "can_return": can_return,
        },
        status=status,
    )


def _detail(request: HttpRequest, aftersale: AfterSale, *, status: int = 200, **forms):
    context = {
        "aftersale": aftersale,
        "lines": list(aftersale.lines.all()),
        "photos": list(aftersale.photos.all()),
        "events": list(aftersale.events.all()),
        "ship_back_form": forms.get("ship_back_form") or ShipBackForm(),
        "escalate_form": forms.get("escalate_form") or EscalateForm(),
        "can_withdraw": aftersale.status == AfterSale.Status.REQUESTED
        or aftersale.is_awaiting_return,
        "can_escalate": aftersale.status == AfterSale.Status.REJECTED
        and not aftersale.is_arbitrated,
    }
    return render(request, "aftersales/aftersale_detail.html", context, status=status)


def _get_own(request: HttpRequest, number: str) -> AfterSale:
    aftersale = aftersale_get_for_buyer(user=request.user, number=number)
    if aftersale is None:
        raise Http404("aftersale")
    return aftersale


@login_required
@require_GET
def aftersale_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _get_own(request, number))


def _post_action(request, number: str, form_class, form_name: str, call, success: str):
    aftersale = _get_own(request, number)
    form = form_class(request.POST) if form_class else None
    if form is None or form.is_valid():
        try:
            call(aftersale, form.cleaned_data if form else {})
        except ApplicationError as exc:
            if form is None:
                messages.error(request, exc.message)
                return redirect(aftersale)
            form.add_service_error(exc)
        else:
            messages.success(request, success)
            return redirect(aftersale)
    return _detail(request, _get_own(request, number), status=400, **{form_name: form})


@login_required
@require_POST
def aftersale_ship_back_view(request: HttpRequest, number: str) -> HttpResponse:
    return _post_action(
        request,
        number,
        ShipBackForm,
        "ship_back_form",
        lambda aftersale, data: aftersale_ship_back(
            aftersale=aftersale,
            actor=request.user,
            carrier_name=data["carrier_name"],
            tracking_number=data["tracking_number"],
        ),
        _("已提交退货物流信息，商家收货后将为您退款。"),
    )


@login_required
@require_POST
def aftersale_escalate_view(request: HttpRequest, number: str) -> HttpResponse:
    return _post_action(
        request,
        number,
        EscalateForm,
        "escalate_form",
        lambda aftersale, data: aftersale_escalate(
            aftersale=aftersale, actor=request.user, reason=data["reason"]
        ),
        _("已申请平台介入，平台运营会尽快处理。"),
    )


@login_required
@require_POST
def aftersale_withdraw_view(request: HttpRequest, number: str) -> HttpResponse:
    return _post_action(
        request,
        number,
        None,
        "",
        lambda aftersale, data: aftersale_withdraw(aftersale=aftersale, actor=request.user),
        _("售后申请已撤销。"),
    )


# --- reviews ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def order_review(request: HttpRequest, number: str) -> HttpResponse:
    """One form per line of a completed order that has no review yet."""
    order = order_get_for_aftersale(user=request.user, number=number)
    if order is None:
        raise Http404("order")
    lines = order_lines_for_review(order=order)
    posted_line = request.POST.get("line", "")
    status = 200
    bound = None
    if request.method == "POST":
        line = next((x for x in lines if str(x.pk) == posted_line), None)
        if line is None:
            raise Http404("line")
        bound = ReviewForm(request.POST, request.FILES, prefix=f"line-{line.pk}")
        if bound.is_valid():
            try:
                review_create(
                    buyer=request.user,
                    order_line=line,
                    rating=bound.cleaned_data["rating"],
                    text=bound.cleaned_data["text"],
                    photos=bound.cleaned_data["photos"],
                )
            except ApplicationError as exc:
                bound.add_service_error(exc)
            else:
                messages.success(request, _("评价已发布，感谢您的分享！"))
                return redirect("aftersales:order_review", number=order.number)
        status = 400
    rows = []
    for line in lines:
        review = getattr(line, "review", None)
        is_posted = bound is not None and posted_line == str(line.pk)
        form = None
        if review is None:
            form = bound if is_posted else ReviewForm(prefix=f"line-{line.pk}")
        elif is_posted:
            # Reviewed already (e.g. a second tab): no form left to show the error on.
            for error in bound.non_field_errors():
                messages.error(request, error)
        rows.append({"line": line, "review": review, "form": form})
    return render(
        request,
        "aftersales/order_review.html",
        {
            "order": order,
            "rows": rows,
            "is_completed": order.status == Order.Status.COMPLETED,
        },
        status=status,
    )


@require_GET
def product_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    product = products_sellable().filter(pk=pk).select_related("store").first()
    if product is None:
        raise Http404("product")
    page = Paginator(review_list_for_product(product_id=product.pk), 10).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "aftersales/product_reviews.html",
        {
            "product": product,
            "rating": product_rating(product_id=product.pk),
            "page_obj": page,
            "reviews": page.object_list,
            "page_range": page.paginator.get_elided_page_range(page.number),
        },
    )
