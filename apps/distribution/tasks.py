from celery import shared_task

from apps.distribution.services.commissions import commissions_release_due


@shared_task
def commissions_release_due_task() -> int:
    """Beat job (settings.PERIODIC_TASKS): release frozen commissions whose freeze is over.

    Idempotent: only frozen records are released, each move checked against the table; a
    released record is no longer due, so a second run changes nothing.
    """
    return commissions_release_due()
