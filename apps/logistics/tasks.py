from celery import shared_task

from apps.logistics.services.notices import orders_auto_receipt_remind
from apps.logistics.services.overdue import shipments_flag_overdue
from apps.logistics.services.receipt import orders_auto_receipt


@shared_task
def orders_auto_receipt_task() -> int:
    """Beat job (settings.PERIODIC_TASKS): complete orders delivered N days ago, unconfirmed.

    Idempotent: only DELIVERED orders are taken, each completed under its row lock; settlement
    books each order once (ledger idempotency keys).
    """
    return orders_auto_receipt()


@shared_task
def orders_auto_receipt_remind_task() -> int:
    """Beat job: tell buyers whose delivered orders auto-receipt completes within
    LOGISTICS_AUTO_RECEIPT_REMIND_HOURS.

    Idempotent: each reminder has the event key order:<id>:auto-receipt-soon, so a retried or
    overlapping run finds it and sends nothing again.
    """
    return orders_auto_receipt_remind()


@shared_task
def shipments_flag_overdue_task() -> list[int]:
    """Beat job: flag parcels not collected in time or without scans; clear recovered ones.

    Idempotent: it sets the flags to what is true now; a repeat changes nothing.
    """
    return list(shipments_flag_overdue())
