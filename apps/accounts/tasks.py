from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_email_task(notification_id: int) -> None:
    from apps.accounts.services import notification_email_deliver

    notification_email_deliver(notification_id=notification_id)
