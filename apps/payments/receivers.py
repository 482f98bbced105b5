"""Reactions to facts announced by lower apps (each one line calling a payments service)."""

from django.dispatch import receiver

from apps.orders.models import Order
from apps.orders.signals import order_cancelled


@receiver(order_cancelled, sender=Order, dispatch_uid="payments-close-on-cancel")
def _close_payments_of_cancelled_order(*, order: Order, **kwargs) -> None:
    from apps.payments.services import payments_close_for_payment_order

    payments_close_for_payment_order(payment_order_id=order.payment_order_id, reason="订单已取消")
