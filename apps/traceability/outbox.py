"""Traceability's outbox handlers (found by apps.core.outbox's autodiscovery)."""

from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_handler
from apps.traceability.models import Lot
from apps.traceability.signals import LOT_RECALLED, lot_recalled


@outbox_handler(LOT_RECALLED)
def lot_recalled_announce(message: OutboxMessage) -> None:
    lot_recalled.send(sender=Lot, **message.payload)
