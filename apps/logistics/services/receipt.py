"""Auto-receipt (自动确认收货): delivered orders nobody confirmed complete by themselves."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.orders.models import Order
from apps.orders.services.lifecycle import order_confirm_receipt

logger = logging.getLogger(__name__)


def auto_receipt_days() -> int:
    return settings.LOGISTICS_AUTO_RECEIPT_DAYS


def orders_auto_receipt(*, now: datetime | None = None, limit: int = 500) -> int:
    """Confirm receipt (actor None, so the order records 自动确认收货 and settlement books it)
    of orders delivered at least LOGISTICS_AUTO_RECEIPT_DAYS ago. Each order commits on its
    own: one that fails (e.g. changed meanwhile) is logged and the rest go on. Returns how
    many were completed; a run handles at most `limit`, the next run takes the rest."""
    now = now or timezone.now()
    due = list(
        Order.objects.filter(
            status=Order.Status.DELIVERED,
            delivered_at__lte=now - timedelta(days=auto_receipt_days()),
        )
        .order_by("delivered_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    completed = 0
    for order_id in due:
        try:
            with transaction.atomic():
                order = Order.objects.select_for_update().get(pk=order_id)
                if order.status != Order.Status.DELIVERED:
                    continue
                order_confirm_receipt(order=order, actor=None)
                completed += 1
        except ApplicationError:
            logger.exception("auto-receipt of order %s failed", order_id)
    return completed
