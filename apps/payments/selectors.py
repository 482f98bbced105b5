"""Reads of the payments app. A shopper only ever sees their own payment orders."""

from django.db.models import Prefetch, QuerySet

from apps.accounts.models import User
from apps.orders.models import Order, PaymentOrder
from apps.payments.models import Payment, PaymentNotification, Refund
from apps.payments.providers import enabled_providers


def payment_order_get_for_buyer(*, number: str, user: User) -> PaymentOrder | None:
    """The payment order with its store orders (and stores) and payment attempts."""
    if not user.is_authenticated:
        return None
    return (
        PaymentOrder.objects.filter(number=number, buyer=user)
        .prefetch_related(
            Prefetch(
                "orders",
                queryset=Order.objects.select_related("store").order_by("id"),
            ),
            Prefetch("payments", queryset=Payment.objects.order_by("-created_at", "-id")),
        )
        .first()
    )


def payment_get_for_buyer(*, out_trade_no: str, user: User) -> Payment | None:
    if not user.is_authenticated:
        return None
    return (
        Payment.objects.select_related("payment_order")
        .filter(out_trade_no=out_trade_no, payment_order__buyer=user)
        .first()
    )


def provider_choices() -> list[tuple[str, str]]:
    return [(name, str(provider.label)) for name, provider in enabled_providers().items()]


def payment_list_for_admin() -> QuerySet[Payment]:
    return Payment.objects.select_related("payment_order", "payment_order__buyer")


def notification_list_for_admin() -> QuerySet[PaymentNotification]:
    return PaymentNotification.objects.select_related("payment")


def refund_list_for_admin() -> QuerySet[Refund]:
    return Refund.objects.select_related("payment", "payment__payment_order", "requested_by")
