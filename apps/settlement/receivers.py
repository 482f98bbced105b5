"""Facts announced by orders that the ledger books (one line each, inside their transaction)."""

from django.dispatch import receiver

from apps.orders.models import Order
from apps.orders.signals import order_completed, order_refunded
from apps.settlement.services import settlement_book_order_completed, settlement_book_refund


@receiver(order_completed, sender=Order, dispatch_uid="settlement-book-order-completed")
def _book_order_completed(*, order: Order, **kwargs) -> None:
    settlement_book_order_completed(order=order)


@receiver(order_refunded, sender=Order, dispatch_uid="settlement-book-refund")
def _book_refund(*, order: Order, amount, reference: str, **kwargs) -> None:
    settlement_book_refund(order=order, amount=amount, reference=reference)
