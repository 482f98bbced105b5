from celery import shared_task

from apps.aftersales.services.lapse import aftersales_approve_lapsed


@shared_task
def aftersales_approve_lapsed_task() -> int:
    """Beat job (settings.PERIODIC_TASKS): approve requests the store left unanswered past
    AFTERSALE_RESPONSE_HOURS.

    Idempotent: only requests still awaiting the store past their deadline are taken, each
    approved under its row lock; an approved one is no longer due.
    """
    return aftersales_approve_lapsed()
