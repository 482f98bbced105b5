"""Facts the traceability app announces to the apps above it (orders, customer service).

`lot_recalled(sender=Lot, lot_ids, reason, actor_id)` is sent after the recall commits; the
orders app receives it to list the buyers of order lines filled from these lots and notify
them (see services.lots.lot_recall).
"""

from django.dispatch import Signal

lot_recalled = Signal()
