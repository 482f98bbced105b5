"""Shopper pages: cart, checkout, my orders, address book. Parse, call one service, render."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import ApplicationError
from apps.orders.forms import (
    CARRIERS,
    AddressForm,
    CartAddForm,
    CheckoutForm,
    QuantityForm,
    address_initial,
)
from apps.orders.links import payment_start_url
from apps.orders.models import Cart, PaymentOrder
from apps.orders.selectors import (
    ORDER_TABS,
    address_get_for_user,
    address_list_for_user,
    cart_quote,
    cart_summary,
    order_get_for_buyer,
    order_line_trace_urls,
    order_list_for_buyer,
    order_tab,
    order_tab_counts_for_buyer,
)
from apps.orders.services.addresses import address_delete, address_save, address_set_default
from apps.orders.services.cart import (
    CART_COUNT_SESSION_KEY,
    CART_SESSION_KEY,
    cart_add,
    cart_count,
    cart_get,
    cart_get_or_create,
    cart_line_remove,
    cart_line_set_quantity,
    cart_remove_lines,
)
from apps.orders.services.checkout import (
    log_ignored_price_fields,
    order_place,
    payment_timeout,
)
from apps.orders.services.lifecycle import order_cancel, order_confirm_receipt
from apps.wholesale.selectors import verified_organisation_for_user

ORDERS_PAGE_SIZE = 10

# --- helpers ------------------------------------------------------------------------------


def _cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    if request.user.is_authenticated:
        if create:
            return cart_get_or_create(user=request.user)
        return cart_get(user=request.user)
    token = request.session.get(CART_SESSION_KEY)
    if not create:
        return cart_get(token=token)
    cart = cart_get_or_create(token=token)
    request.session[CART_SESSION_KEY] = cart.session_key
    return cart


def _coupon_ids_from(data) -> list[int] | None:
    """The checkout page's coupon picker: once shown (`coupons_shown`), the ticked coupons are
    the shopper's choice (none ticked: no coupon); before that, the best combination."""
    if not data.get("coupons_shown"):
        return None
    return [int(value) for value in data.getlist("coupon") if value.isdigit()]


def _summary(request: HttpRequest, cart: Cart | None, coupon_ids: list[int] | None = None):
    summary = cart_summary(
        cart=cart,
        organisation=verified_organisation_for_user(user=request.user),
        coupon_ids=coupon_ids,
    )
    # The header badge reads this, so pages cost no extra query for it. Written only when it
    # changes, so looking at an empty cart does not create a session for a guest.
    if request.session.get(CART_COUNT_SESSION_KEY, 0) != summary.piece_count:
        request.session[CART_COUNT_SESSION_KEY] = summary.piece_count
    return summary


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- cart ---------------------------------------------------------------------------------


@require_GET
def cart_detail(request: HttpRequest) -> HttpResponse:
    summary = _summary(request, _cart(request))
    return render(request, "orders/cart.html", {"summary": summary})


@require_POST
def cart_add_view(request: HttpRequest) -> HttpResponse:
    form = CartAddForm(request.POST)
    back = _safe_next(request, reverse("orders:cart"))
    if not form.is_valid():
        messages.error(request, _("请选择规格并填写 1 到 9999 之间的数量。"))
        return redirect(back)
    try:
        cart = _cart(request, create=True)
        line = cart_add(
            cart=cart, sku_id=form.cleaned_data["sku"], quantity=form.cleaned_data["quantity"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    _summary(request, cart)
    if request.POST.get("buy_now"):
        return redirect("orders:checkout")
    messages.success(
        request,
        _("已加入购物车：%(title)s %(spec)s")
        % {"title": line.sku.product.title, "spec": line.sku.spec},
    )
    return redirect(back)


@require_POST
def cart_line_update(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = _cart(request)
    form = QuantityForm(request.POST)
    if cart is None:
        raise Http404
    if not form.is_valid():
        messages.error(request, _("数量须在 1 到 9999 之间。"))
        return redirect("orders:cart")
    try:
        cart_line_set_quantity(cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"])
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    return redirect("orders:cart")


@require_POST
def cart_line_delete(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = _cart(request)
    if cart is None:
        raise Http404
    try:
        cart_line_remove(cart=cart, line_id=line_id)
    except ApplicationError as exc:
        raise Http404 from exc
    messages.success(request, _("已从购物车删除。"))
    return redirect("orders:cart")


@require_POST
def cart_clear_unavailable(request: HttpRequest) -> HttpResponse:
    cart = _cart(request)
    summary = _summary(request, cart)
    removed = (
        cart_remove_lines(cart=cart, line_ids=[i.line.pk for i in summary.problem_items])
        if cart
        else 0
    )
    messages.success(request, _("已清除 %(n)d 件失效商品。") % {"n": removed})
    return redirect("orders:cart")


# --- checkout -----------------------------------------------------------------------------

DELIVERY_FIELD_PREFIX = "delivery-"


def _deliveries_from(data) -> dict[int, dict]:
    """{store id: {"method", "slot", "pickup_point"}} from fields named
    delivery-<store id>-method / -slot / -pickup_point (the services validate the values)."""
    deliveries: dict[int, dict] = {}
    for name, value in data.items():
        if not name.startswith(DELIVERY_FIELD_PREFIX):
            continue
        store_id, _sep, part = name.removeprefix(DELIVERY_FIELD_PREFIX).partition("-")
        if store_id.isdigit() and part in ("method", "slot", "pickup_point"):
            deliveries.setdefault(int(store_id), {})[part] = value
    return deliveries


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    cart = _cart(request)
    coupon_ids = _coupon_ids_from(request.POST if request.method == "POST" else request.GET)
    summary = _summary(request, cart, coupon_ids)
    if summary.is_empty and request.method == "GET":
        messages.info(request, _("购物车是空的，先去挑选商品吧。"))
        return redirect("orders:cart")
    organisation = summary.organisation
    addresses = list(address_list_for_user(user=request.user))
    error = ""
    key = uuid.uuid4().hex
    method = PaymentOrder.Method.ONLINE
    buyer_note = ""
    selected = None
    deliveries = _deliveries_from(request.POST if request.method == "POST" else request.GET)
    if request.method == "POST" and "requote" in request.POST:
        # No-JavaScript "更新配送方式": redraw priced for the chosen methods, place nothing.
        selected = address_get_for_user(user=request.user, pk=request.POST.get("address"))
        key = request.POST.get("idempotency_key") or key
        method = request.POST.get("method") or method
        buyer_note = request.POST.get("buyer_note", "")[:200]
    elif request.method == "POST":
        log_ignored_price_fields(request.POST, user=request.user)
        form = CheckoutForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            key = data["idempotency_key"]
            method = data.get("method") or PaymentOrder.Method.ONLINE
            buyer_note = data.get("buyer_note") or ""
            selected = address_get_for_user(user=request.user, pk=data["address"])
            try:
                payment_order = order_place(
                    buyer=request.user,
                    cart=cart,
                    address=selected,
                    idempotency_key=key,
                    method=method,
                    buyer_note=buyer_note,
                    deliveries=deliveries,
                    coupon_ids=coupon_ids,
                )
            except ApplicationError as exc:
                error = exc.message
            else:
                request.session[CART_COUNT_SESSION_KEY] = cart_count(cart)
                if payment_order.status == PaymentOrder.Status.PAID:
                    messages.success(request, _("下单成功，已记入账期。"))
                    return redirect(f"{reverse('orders:order_list')}?tab=paid")
                return redirect(payment_start_url(payment_order.number))
        else:
            error = _("请选择收货地址后再提交。")
    if selected is None:
        selected = next(
            (a for a in addresses if str(a.pk) == request.GET.get("address")), None
        ) or next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
    cart_quote(summary=summary, address=selected, deliveries=deliveries, preselect=True)
    can_use_credit = bool(organisation and organisation.credit_limit > 0)
    return render(
        request,
        "orders/checkout.html",
        {
            "summary": summary,
            "addresses": addresses,
            "selected_address": selected,
            "idempotency_key": key,
            "error": error,
            "can_use_credit": can_use_credit,
            "method": method,
            "buyer_note": buyer_note,
            "methods": PaymentOrder.Method.choices,
            "timeout_minutes": int(payment_timeout().total_seconds() // 60),
        },
        status=400 if error else 200,
    )


# --- my orders ----------------------------------------------------------------------------


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    tab = order_tab(request.GET.get("tab"))
    page = Paginator(
        order_list_for_buyer(user=request.user, tab=tab.key), ORDERS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    counts = order_tab_counts_for_buyer(user=request.user)
    return render(
        request,
        "orders/order_list.html",
        {
            "tabs": [(t, counts.get(t.key)) for t in ORDER_TABS],
            "current_tab": tab,
            "page_obj": page,
            "orders": page.object_list,
        },
    )


def _buyer_order(request: HttpRequest, number: str):
    order = order_get_for_buyer(user=request.user, number=number)
    if order is None:
        raise Http404("order")
    return order


@login_required
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _buyer_order(request, number)
    siblings = [o for o in order.payment_order.orders.all() if o.pk != order.pk]
    lines = list(order.lines.all())
    trace_urls = order_line_trace_urls(lines)
    for line in lines:
        line.trace_url = trace_urls.get(line.pk, "")
    return render(
        request,
        "orders/order_detail.html",
        {"order": order, "lines": lines, "siblings": siblings, "carriers": CARRIERS},
    )


@login_required
@require_POST
def order_cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    order = _buyer_order(request, number)
    try:
        order_cancel(order=order, actor=request.user, reason=request.POST.get("reason", "")[:200])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("订单已取消，库存已释放。"))
    return redirect(order.get_absolute_url())


@login_required
@require_POST
def order_confirm_view(request: HttpRequest, number: str) -> HttpResponse:
    order = _buyer_order(request, number)
    try:
        order_confirm_receipt(order=order, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认收货，交易完成。"))
    return redirect(order.get_absolute_url())


# --- address book -------------------------------------------------------------------------


@login_required
@require_GET
def address_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "orders/address_list.html",
        {"addresses": address_list_for_user(user=request.user), "next": _safe_next(request, "")},
    )


def _address_form_page(request: HttpRequest, address=None) -> HttpResponse:
    done = _safe_next(request, reverse("orders:address_list"))
    if request.method == "POST" and "refresh" in request.POST:
        # The no-JavaScript "选择下级地区" step: redraw with the next level, no errors yet.
        form = AddressForm(initial=request.POST.dict())
    elif request.method == "POST":
        form = AddressForm(request.POST)
        if form.is_valid():
            try:
                address_save(user=request.user, address=address, **form.service_kwargs())
            except ApplicationError as exc:
                form.add_service_errors(exc.fields or {"__all__": exc.message})
            else:
                messages.success(request, _("地址已保存。"))
                return redirect(done)
    else:
        form = AddressForm(initial=address_initial(address) if address else None)
    return render(
        request,
        "orders/address_form.html",
        {"form": form, "address": address, "next": _safe_next(request, "")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def address_create(request: HttpRequest) -> HttpResponse:
    return _address_form_page(request)


def _own_address(request: HttpRequest, pk: int):
    address = address_get_for_user(user=request.user, pk=pk)
    if address is None:
        raise Http404("address")
    return address


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _address_form_page(request, _own_address(request, pk))


@login_required
@require_POST
def address_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    address_delete(user=request.user, address=_own_address(request, pk))
    messages.success(request, _("地址已删除。"))
    return redirect(_safe_next(request, reverse("orders:address_list")))


@login_required
@require_POST
def address_default_view(request: HttpRequest, pk: int) -> HttpResponse:
    address_set_default(user=request.user, address=_own_address(request, pk))
    messages.success(request, _("已设为默认地址。"))
    return redirect(_safe_next(request, reverse("orders:address_list")))
