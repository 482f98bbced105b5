"""Facts the orders app announces. Higher apps (payments, aftersales, settlement, logistics)
connect one-line receivers that call their own services.

Signals are sent inside the transaction that made the change, so a receiver's writes commit or
roll back together with it; receivers must stay quick and queue slow work with on_commit.
"""

from django.dispatch import Signal

# order: the Order that became paid (one per store order of the paid PaymentOrder).
order_paid = Signal()
# order: the Order cancelled before payment (by the shopper or by the payment timeout).
order_cancelled = Signal()
# order: the Order the buyer confirmed (or auto-receipt completed).
order_completed = Signal()
# order, amount (Decimal), reference (str: whatever the refund's caller passed, e.g. after-sale).
order_refunded = Signal()
