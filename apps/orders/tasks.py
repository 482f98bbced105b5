from celery import shared_task

from apps.orders.services.lifecycle import payment_orders_cancel_expired


@shared_task
def payment_orders_cancel_expired_task() -> int:
    """Beat job (settings.PERIODIC_TASKS): cancel unpaid payment orders past their deadline."""
    return payment_orders_cancel_expired()
