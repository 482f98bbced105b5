"""Facts the payments app announces. Receivers live in higher apps (aftersales, settlement)."""

from django.dispatch import Signal

# A refund went through at the provider. Sent inside the transaction that books it, with
# `refund` (its `reference` tells the caller which after-sale or order it was for).
refund_succeeded = Signal()
