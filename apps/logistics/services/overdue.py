"""Overdue parcels for the back office: not collected within LOGISTICS_COLLECT_DEADLINE_HOURS
of payment, or no tracking scan for LOGISTICS_SILENCE_HOURS. The beat job sets and clears the
flag; each change leaves a ShipmentEvent."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.logistics.models import Shipment, ShipmentEvent

NOT_COLLECTED = "not_collected"
SILENT = "silent"


def overdue_reasons() -> dict[str, str]:
    return {
        NOT_COLLECTED: _("付款后 %(h)d 小时未揽收")
        % {"h": settings.LOGISTICS_COLLECT_DEADLINE_HOURS},
        SILENT: _("%(h)d 小时无物流更新") % {"h": settings.LOGISTICS_SILENCE_HOURS},
    }


def _overdue_filters(now: datetime) -> dict[str, Q]:
    collect_by = now - timedelta(hours=settings.LOGISTICS_COLLECT_DEADLINE_HOURS)
    silent_since = now - timedelta(hours=settings.LOGISTICS_SILENCE_HOURS)
    return {
        NOT_COLLECTED: Q(status=Shipment.Status.CREATED, order__paid_at__lte=collect_by),
        # A parcel waiting at a pickup point is quiet by nature: the shopper has been told.
        SILENT: ~Q(status__in=[*Shipment.FINAL_STATUSES, Shipment.Status.AT_PICKUP_POINT])
        & ~Q(status=Shipment.Status.CREATED)
        & Q(last_seen__lte=silent_since),
    }


@transaction.atomic
def shipments_flag_overdue(*, now: datetime | None = None) -> tuple[int, int]:
    """Flag what is overdue now and clear what no longer is. Returns (flagged, cleared)."""
    now = now or timezone.now()
    reasons = overdue_reasons()
    rows = Shipment.objects.annotate(last_seen=Coalesce("last_event_at", "created_at"))
    due: dict[int, str] = {}
    for key, condition in _overdue_filters(now).items():
        for pk in rows.filter(condition).values_list("pk", flat=True):
            due.setdefault(pk, reasons[key])
    flagged = cleared = 0
    changed = (
        Shipment.objects.select_for_update()
        .filter(Q(pk__in=due) | Q(is_overdue=True))
        .order_by("pk")
    )
    events = []
    for shipment in changed:
        reason = due.get(shipment.pk, "")
        if shipment.is_overdue == bool(reason) and shipment.overdue_reason == reason:
            continue
        flagged += bool(reason)
        cleared += not reason
        shipment.is_overdue = bool(reason)
        shipment.overdue_reason = reason
        shipment.save(update_fields=["is_overdue", "overdue_reason", "updated_at"])
        events.append(
            ShipmentEvent(
                shipment=shipment,
                from_status=shipment.status,
                to_status=shipment.status,
                kind="overdue" if reason else "overdue_cleared",
                reason=reason or _("已恢复正常"),
            )
        )
    ShipmentEvent.objects.bulk_create(events)
    return flagged, cleared
