"""The open platform's outbox handler (found by apps.core.outbox's autodiscovery)."""

from apps.core.models import OutboxMessage
from apps.core.outbox import RetryLater, outbox_handler
from apps.open_platform.services.webhooks import WEBHOOK_DELIVERY, webhook_delivery_attempt


@outbox_handler(WEBHOOK_DELIVERY)
def webhook_delivery_send(message: OutboxMessage) -> RetryLater | None:
    return webhook_delivery_attempt(delivery_id=message.payload["delivery_id"])
