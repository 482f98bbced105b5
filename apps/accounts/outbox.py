"""Accounts' outbox handlers (found by apps.core.outbox's autodiscovery)."""

from apps.accounts.services import (
    NOTIFICATION_EMAIL,
    NOTIFICATION_SMS,
    notification_email_deliver,
    notification_sms_deliver,
)
from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_handler


@outbox_handler(NOTIFICATION_EMAIL)
def notification_email(message: OutboxMessage) -> None:
    notification_email_deliver(notification_id=message.payload["notification_id"])


@outbox_handler(NOTIFICATION_SMS)
def notification_sms(message: OutboxMessage) -> None:
    notification_sms_deliver(
        notification_id=message.payload["notification_id"], message=message.payload["message"]
    )
