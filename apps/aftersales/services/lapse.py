"""A request the merchant leaves unanswered is agreed to in its name.

Shoppers of every big marketplace know the rule (商家超时未处理，视为同意): a store that does not
answer a refund or return request within AFTERSALE_RESPONSE_HOURS cannot keep the buyer
waiting, so the platform approves the full amount asked. The workbench shows each waiting
request with the time left before this happens.
"""

import logging
from datetime import datetime

from django.utils import timezone

from apps.aftersales.models import AfterSale
from apps.aftersales.selectors import aftersales_lapsed
from apps.aftersales.services.aftersales import aftersale_approve_lapsed
from apps.core.errors import ApplicationError

logger = logging.getLogger(__name__)


def aftersales_approve_lapsed(*, now: datetime | None = None, limit: int = 500) -> int:
    """Approve (actor None: 系统) every request past its response deadline; each commits on
    its own, and one that fails is logged while the rest go on. Returns how many were approved."""
    now = now or timezone.now()
    due = list(
        aftersales_lapsed(AfterSale.objects.all(), now=now)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    approved = 0
    for pk in due:
        try:
            if aftersale_approve_lapsed(aftersale=AfterSale(pk=pk), now=now) is not None:
                approved += 1
        except ApplicationError:
            logger.exception("auto-approval of after-sale %s failed", pk)
    return approved
