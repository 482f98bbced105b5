"""Payments' outbox handlers (found by apps.core.outbox's autodiscovery)."""

from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_handler
from apps.payments.services import SANDBOX_NOTIFY, sandbox_notify_send


@outbox_handler(SANDBOX_NOTIFY)
def sandbox_notify(message: OutboxMessage) -> None:
    sandbox_notify_send(
        payment_id=message.payload["payment_id"], outcome=message.payload["outcome"]
    )
