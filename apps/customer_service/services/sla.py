"""The SLA monitor: raise the escalation level of breached cases, set-based and idempotent.

Level 1 (supervisor) when the first response is overdue, 2 (manager) when the resolution is
overdue, 3 (director) when it is overdue by CUSTOMER_SERVICE_DIRECTOR_AFTER_MINUTES more.
Paused (pending_*) and resolved cases are not watched: their clocks are not running. On
PostgreSQL each level is one statement (lock the due rows with SKIP LOCKED, raise them, insert
their events), over the cases still below that level, so a second run changes nothing and two
overlapping runs never escalate the same case twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, transaction
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
        due = watched.filter(condition, escalation_level__lt=level)
        reason = _("超时升级至%(who)s") % {"who": LEVEL_LABELS[level]}
        if connection.vendor == "postgresql":
            count = _escalate_in_sql(due, level=level, now=now, reason=reason)
        else:
            count = _escalate_in_python(due, level=level, now=now, reason=reason)
        if count:
            escalated[level] = count
            _notify_level(level, count)
    return EscalationResult(escalated=escalated)


def _escalate_in_sql(due, *, level: int, now: datetime, reason: str) -> int:
    """One statement: lock the due rows (SKIP LOCKED), raise them, insert their events."""
    select_sql, params = due.values("id", "escalation_level").order_by().query.sql_with_params()
    case_table = Case._meta.db_table
    event_table = CaseEvent._meta.db_table
    sql = f"""
        WITH picked AS ({select_sql} FOR UPDATE SKIP LOCKED),
        raised AS (
            UPDATE {case_table} AS c
            SET escalation_level = %s, escalated_at = %s
            FROM picked WHERE c.id = picked.id
            RETURNING c.id, c.status, picked.escalation_level AS old_level
        )
        INSERT INTO {event_table}
            (case_id, kind, from_status, to_status, reason, payload, created_at, actor_id)
        SELECT id, 'escalation', status, status, %s,
               jsonb_build_object('from_level', old_level, 'to_level', %s), %s, NULL
        FROM raised
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, level, now, reason, level, now])
        return cursor.rowcount


def _escalate_in_python(due, *, level: int, now: datetime, reason: str) -> int:
    """The same in three statements, for databases without UPDATE … RETURNING in a CTE."""
    rows = list(due.select_for_update().values_list("id", "escalation_level", "status"))
    if not rows:
        return 0
    ids = [pk for pk, _old, _status in rows]
    Case.objects.filter(pk__in=ids).update(escalation_level=level, escalated_at=now)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=pk,
                kind="escalation",
                from_status=status,
                to_status=status,
                reason=reason,
                payload={"from_level": old, "to_level": level},
            )
            for pk, old, status in rows
        ],
        batch_size=settings.CUSTOMER_SERVICE_BATCH_SIZE,
    )
    return len(rows)


def _notify_level(level: int, count: int) -> None:
    """One in-site message (and e-mail where the person has an address) per person per run."""
    group = Group.objects.filter(name=ESCALATION_ROLES[level]).first()
    if group is None:
        return
    # The back office's breached queue (every level's people work in /service/).
    url = f"{reverse('customer_service:desk_queue')}?queue=breached"
    for user in group.user_set.filter(is_active=True):
        notification_send(
            user=user,
            title=_("%(count)d 个客服工单超时，已升级至%(who)s")
            % {"count": count, "who": LEVEL_LABELS[level]},
            body=_("请尽快跟进超时工单。"),
            url=url,
        )
