"""Facts the logistics app announces; higher apps (the open platform) connect receivers.

Sent inside the transaction that made the change, so a receiver's writes commit or roll back
with it; receivers stay quick and queue slow work through the outbox.
"""

from django.dispatch import Signal

# shipment: the Shipment just created (from_status "") or moved; from_status, to_status.
shipment_updated = Signal()
