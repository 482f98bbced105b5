from celery import shared_task

from apps.orders.services.lifecycle import payment_orders_cancel_expired


@shared_task
def payment_orders_cancel_expired_task() -> int:
    """Beat job (settings.PERIODIC_TASKS): cancel unpaid payment orders past their deadline.

    Idempotent: only PENDING payment orders are taken, each cancelled under its row lock.
    """
    return payment_orders_cancel_expired()
