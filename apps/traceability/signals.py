"""Facts the traceability app announces to the apps above it (orders, customer service).

`lot_recalled(sender=Lot, lot_ids, reason, actor_id)` is sent after the recall commits, by the
outbox message LOT_RECALLED the recall records (apps/traceability/outbox.py): receivers run
once, in the transaction that marks the message delivered, and are retried if they fail. The
orders app receives it to list the buyers of order lines filled from these lots and notify
them (see services.lots.lot_recall).
"""

from django.dispatch import Signal

lot_recalled = Signal()
LOT_RECALLED = "traceability.lot_recalled"  # the outbox kind that sends it
