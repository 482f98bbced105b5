"""The SLA monitor: raise the escalation level of breached cases, set-based and idempotent.

Level 1 (supervisor) when the first response is overdue, 2 (manager) when the resolution is
overdue, 3 (director) when it is overdue by CUSTOMER_SERVICE_DIRECTOR_AFTER_MINUTES more.
Paused (pending_*) and resolved cases are not watched: their clocks are not running. Each
level is one UPDATE over the cases still below it, so a second run changes nothing; the rows
are taken with SKIP LOCKED so two overlapping runs never escalate the same case twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.services import notification_send
from apps.customer_service.models import Case, CaseEvent
from apps.customer_service.roles import ESCALATION_ROLES

LEVEL_LABELS = {1: "主管", 2: "经理", 3: "总监"}


@dataclass(frozen=True)
class EscalationResult:
    escalated: dict[int, int]  # level → cases raised to it in this run

    @property
    def total(self) -> int:
        return sum(self.escalated.values())


def _breach_conditions(now: datetime) -> dict[int, Q]:
    late = timedelta(minutes=settings.CUSTOMER_SERVICE_DIRECTOR_AFTER_MINUTES)
    return {
        3: Q(resolution_due__lt=now - late),
        2: Q(resolution_due__lt=now),
        1: Q(first_responded_at__isnull=True, first_response_due__lt=now),
    }


@transaction.atomic
def cases_escalate_breached(*, now: datetime | None = None) -> EscalationResult:
    now = now or timezone.now()
    watched = Case.objects.filter(status__in=Case.OPEN_STATUSES)
    escalated: dict[int, int] = {}
    # Highest level first: a case breached twice jumps straight to its level, once.
    for level, condition in sorted(_breach_conditions(now).items(), reverse=True):
        rows = list(
            watched.filter(condition, escalation_level__lt=level)
            .select_for_update(skip_locked=True)
            .values_list("id", "escalation_level")
            .order_by("id")
        )
        if not rows:
            continue
        ids = [pk for pk, _level in rows]
        for start in range(0, len(ids), settings.CUSTOMER_SERVICE_BATCH_SIZE):
            chunk = ids[start : start + settings.CUSTOMER_SERVICE_BATCH_SIZE]
            Case.objects.filter(pk__in=chunk, escalation_level__lt=level).update(
                escalation_level=level, escalated_at=now
            )
        statuses = dict(watched.filter(pk__in=ids).values_list("id", "status"))
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=pk,
                    kind="escalation",
                    from_status=statuses.get(pk, ""),
                    to_status=statuses.get(pk, ""),
                    reason=_("超时升级至%(who)s") % {"who": LEVEL_LABELS[level]},
                    payload={"from_level": old, "to_level": level},
                )
                for pk, old in rows
            ],
            batch_size=settings.CUSTOMER_SERVICE_BATCH_SIZE,
        )
        escalated[level] = len(ids)
        _notify_level(level, len(ids))
    return EscalationResult(escalated=escalated)


def _notify_level(level: int, count: int) -> None:
    """One in-site message (and e-mail where the person has an address) per person per run."""
    group = Group.objects.filter(name=ESCALATION_ROLES[level]).first()
    if group is None:
        return
    url = f"{reverse('admin:customer_service_case_changelist')}?escalation_level__exact={level}"
    for user in group.user_set.filter(is_active=True):
        notification_send(
            user=user,
            title=_("%(count)d 个客服工单超时，已升级至%(who)s")
            % {"count": count, "who": LEVEL_LABELS[level]},
            body=_("请尽快跟进超时工单。"),
            url=url,
        )
