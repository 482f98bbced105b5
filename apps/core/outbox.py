"""The transactional outbox: side effects that must happen because a change was committed.

    # in a service, inside its transaction
    outbox_message_record(kind="accounts.notification_email", payload={"notification_id": 7},
                          key="notification-email:7")

    # in the app's outbox.py (found by autodiscovery, like admin.py)
    @outbox_handler("accounts.notification_email")
    def notification_email(message: OutboxMessage) -> None:
        notification_email_deliver(notification_id=message.payload["notification_id"])

The row commits or rolls back with the business change. After the commit one Celery task is
queued to deliver it at once; if the broker refuses, that is logged and the request goes on.
Every OUTBOX_DISPATCH_INTERVAL_SECONDS the beat job `outbox_dispatch_task` delivers whatever
is due: messages the fast path never reached, and failed ones after their back-off
(OUTBOX_RETRY_BASE_SECONDS doubling per attempt, at most OUTBOX_RETRY_MAX_SECONDS). A message
is retried until its handler returns.

Delivery locks the row (SKIP LOCKED), runs the handler in a savepoint and marks the row
delivered in the same transaction, so two workers never deliver one message and a delivered
one is never delivered again. A worker that dies between the handler's external call (SMTP,
HTTP) and the commit leaves the message pending: it is delivered again, so a handler must be
idempotent towards its receiver (message.key / message.pk identify the message; webhooks send
it as a header). Handlers raise to mean "not delivered, try later".

A handler that must keep a record of its failed try (a webhook's attempt log, a failure count)
returns `RetryLater(error, delay)` instead of raising: its writes commit with the message's new
schedule, and `delay` (default: the outbox's own back-off) says when it is due again.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from apps.core.models import OutboxMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryLater:
    """A handler's answer "not delivered yet; keep what I wrote, call me again in `delay`"."""

    error: str
    delay: timedelta | None = None


Handler = Callable[[OutboxMessage], RetryLater | None]
_handlers: dict[str, Handler] = {}
_discovered = False


def outbox_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that delivers messages of `kind` (in an app's outbox.py)."""

    def register(handler: Handler) -> Handler:
        if _handlers.get(kind, handler) is not handler:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        _handlers[kind] = handler
        return handler

    return register


def outbox_handlers() -> dict[str, Handler]:
    global _discovered
    if not _discovered:
        autodiscover_modules("outbox")
        _discovered = True
    return _handlers


def _retry_delay(attempts: int) -> timedelta:
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    return timedelta(
        seconds=min(base * 2 ** max(attempts - 1, 0), settings.OUTBOX_RETRY_MAX_SECONDS)
    )


def outbox_message_record(*, kind: str, payload: dict, key: str | None = None) -> OutboxMessage:
    """Record a side effect in the caller's transaction and queue it for after the commit.

    With a `key` already recorded, the first message is returned and nothing new is queued.
    """
    if kind not in outbox_handlers():
        raise LookupError(f"no outbox handler for {kind!r}")
    # The fast path has this long before the dispatcher also considers the message.
    due = timezone.now() + timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS)
    if key:
        message, created = OutboxMessage.objects.get_or_create(
            key=key, defaults={"kind": kind, "payload": payload, "next_attempt_at": due}
        )
        if not created:
            return message
    else:
        message = OutboxMessage.objects.create(kind=kind, payload=payload, next_attempt_at=due)
    transaction.on_commit(lambda: _queue_delivery(message.pk))
    return message


def _queue_delivery(message_id: int) -> None:
    from kombu.exceptions import OperationalError

    from apps.core.tasks import outbox_message_deliver_task

    try:
        # No publish retries: a refused broker must not hold up the request that committed.
        outbox_message_deliver_task.apply_async((message_id,), retry=False)
    except (OperationalError, OSError) as exc:
        logger.warning(
            "broker unavailable (%s); outbox message %s waits for the dispatcher", exc, message_id
        )


def outbox_message_deliver(*, message_id: int) -> bool:
    """Deliver one message if it is still pending and nobody else holds it; True if delivered."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, delivered_at__isnull=True)
            .first()
        )
        if message is None:
            return False  # delivered already, or another worker is delivering it right now
        message.attempts += 1
        try:
            with transaction.atomic():  # a failed handler's own writes roll back, ours stay
                outcome = outbox_handlers()[message.kind](message)
        except Exception as exc:  # any failure of any handler means "try again later"
            outcome = RetryLater(error=f"{type(exc).__name__}: {exc}")
        if isinstance(outcome, RetryLater):
            message.last_error = outcome.error[:2000]
            message.next_attempt_at = timezone.now() + (
                outcome.delay if outcome.delay is not None else _retry_delay(message.attempts)
            )
            message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.warning(
                "outbox message %s (%s) not delivered, attempt %s: %s",
                message.pk,
                message.kind,
                message.attempts,
                message.last_error,
            )
            return False
        message.delivered_at = timezone.now()
        message.save(update_fields=["attempts", "delivered_at"])
        return True


def outbox_dispatch(*, limit: int | None = None) -> int:
    """Deliver up to `limit` due messages, oldest due first; returns how many were delivered."""
    limit = limit or settings.OUTBOX_DISPATCH_BATCH
    due = (
        OutboxMessage.objects.filter(delivered_at__isnull=True, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbox_message_deliver(message_id=pk) for pk in list(due))
