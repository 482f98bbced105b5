from celery import shared_task

from apps.customer_service.services.sla import cases_escalate_breached


@shared_task
def cases_escalate_breached_task() -> int:
    """Every few minutes (settings.PERIODIC_TASKS): escalate breached cases."""
    return cases_escalate_breached().total
