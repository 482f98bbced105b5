import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Notification, User

logger = logging.getLogger(__name__)


@transaction.atomic
def notification_send(
    *, user: User, title: str, body: str = "", url: str = "", send_email: bool = True
) -> Notification:
    """Notify a user in the site inbox, and by e-mail after commit when they have an address.

    The one way every app tells a person something.
    """
    notification = Notification.objects.create(user=user, title=title, body=body, url=url)
    if send_email and user.email:
        transaction.on_commit(lambda: _send_notification_email(notification.pk))
    return notification


def _send_notification_email(notification_id: int) -> None:
    from apps.accounts.tasks import notification_email_task

    notification_email_task.delay(notification_id)


def notification_email_deliver(*, notification_id: int) -> None:
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if not notification.user.email:
        return
    send_mail(
        subject=f"[田间] {notification.title}",
        message=notification.body + (f"\n\n{notification.url}" if notification.url else ""),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[notification.user.email],
        fail_silently=False,
    )


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of the user's unread notifications read."""
    qs = Notification.objects.filter(user=user, is_read=False)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(is_read=True, read_at=timezone.now())
