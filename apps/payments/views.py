"""Buyer pages: choose how to pay, the sandbox cashier, and the payment result."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.core.errors import ApplicationError
from apps.orders.models import PaymentOrder
from apps.payments import selectors, services
from apps.payments.errors import PaymentErrorCode
from apps.payments.models import Payment
from apps.payments.providers import enabled_providers
from apps.payments.providers.sandbox import OUTCOMES


def _payment_order_or_404(request: HttpRequest, number: str) -> PaymentOrder:
    payment_order = selectors.payment_order_get_for_buyer(number=number, user=request.user)
    if payment_order is None:
        raise Http404
    return payment_order


@login_required
@require_http_methods(["GET", "POST"])
def payment_start_view(request: HttpRequest, number: str) -> HttpResponse:
    payment_order = _payment_order_or_404(request, number)
    providers = selectors.provider_choices()
    selected = request.POST.get("provider") or (providers[0][0] if providers else "")
    status = 200
    if request.method == "POST":
        try:
            payment = services.payment_start(
                payment_order=payment_order, provider=selected, actor=request.user
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            if exc.code in (PaymentErrorCode.NOT_PENDING, PaymentErrorCode.EXPIRED):
                return redirect("payments:result", number=number)
            status = 400
        else:
            return redirect(payment.redirect_url)
    context = {
        "payment_order": payment_order,
        "orders": list(payment_order.orders.all()),
        "providers": providers,
        "selected": selected,
        "is_payable": payment_order.status == PaymentOrder.Status.PENDING,
    }
    return render(request, "payments/start.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_cashier_view(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    payment = selectors.payment_get_for_buyer(out_trade_no=out_trade_no, user=request.user)
    if payment is None or payment.provider != "sandbox" or "sandbox" not in enabled_providers():
        raise Http404
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in OUTCOMES:
            messages.error(request, _("请选择支付成功或支付失败。"))
        elif payment.status != Payment.Status.CREATED:
            messages.info(request, _("这笔支付已经处理过了。"))
        else:
            # The click only queues the "gateway"; the signed notify is what changes the payment.
            services.sandbox_payment_simulate(payment=payment, outcome=outcome)
            return redirect("payments:result", number=payment.payment_order.number)
    return render(request, "payments/sandbox_cashier.html", {"payment": payment})


@login_required
@require_http_methods(["GET"])
def payment_result_view(request: HttpRequest, number: str) -> HttpResponse:
    payment_order = _payment_order_or_404(request, number)
    payments = list(payment_order.payments.all())
    latest = payments[0] if payments else None
    is_waiting = (
        payment_order.status == PaymentOrder.Status.PENDING
        and latest is not None
        and latest.status == Payment.Status.CREATED
    )
    context = {
        "payment_order": payment_order,
        "orders": list(payment_order.orders.all()),
        "payment": latest,
        "is_paid": payment_order.status == PaymentOrder.Status.PAID,
        "is_waiting": is_waiting,
        "can_pay": payment_order.status == PaymentOrder.Status.PENDING and not is_waiting,
    }
    return render(request, "payments/result.html", context)
