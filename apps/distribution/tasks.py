from celery import shared_task

from apps.distribution.services.commissions import commissions_release_due


@shared_task
def commissions_release_due_task() -> int:
    return commissions_release_due()
