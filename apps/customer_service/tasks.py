from celery import shared_task

from apps.customer_service.services.callbacks import customer_tiers_refresh
from apps.customer_service.services.sla import cases_escalate_breached


@shared_task
def cases_escalate_breached_task() -> int:
    """Every few minutes (settings.PERIODIC_TASKS): escalate breached cases.

    Idempotent: a case is raised only to the level its overdue time calls for; a second run
    changes nothing.
    """
    return cases_escalate_breached().total


@shared_task
def customer_tiers_refresh_task() -> int:
    """Monthly (settings.PERIODIC_TASKS): tiers, key-account visits, survey calls, overdue flags.

    Idempotent: tiers are recomputed from the purchases, and a visit already scheduled for a
    period is not scheduled again.
    """
    return customer_tiers_refresh().scheduled
