from celery import shared_task

from apps.core.outbox import outbox_dispatch, outbox_message_deliver


@shared_task
def outbox_message_deliver_task(message_id: int) -> bool:
    """Deliver one outbox message right after its commit (the fast path).

    Idempotent: a delivered message, or one another worker holds, is skipped.
    """
    return outbox_message_deliver(message_id=message_id)


@shared_task
def outbox_dispatch_task() -> int:
    """Beat job: deliver every due outbox message (missed by the fast path, or failed before).

    Idempotent: each message is locked while delivered and never delivered twice.
    """
    return outbox_dispatch()
