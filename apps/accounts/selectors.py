from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.errors import AccountErrorCode
from apps.accounts.models import Notification, User
from apps.accounts.phones import phone_normalize_or_none
from apps.core.errors import NotFoundError


def user_get_by_phone(*, phone: str | None) -> User | None:
    """The account holding this mobile number, whatever way it was typed."""
    normalized = phone_normalize_or_none(phone)
    if normalized is None:
        return None
    return User.objects.filter(phone=normalized).first()


def user_for_login(login: str) -> User | None:
    """The account an e-mail address or mobile number (as typed at log-in) names, if any."""
    if "@" in login:
        return User.objects.filter(email__iexact=login.strip()).first()
    return user_get_by_phone(phone=login)


def notification_unread_count_key(user_id: int) -> str:
    return f"accounts:inbox-unread:{user_id}"


def notification_unread_count(*, user: User) -> int:
    """The user's unread notifications, as the header shows them: cached per user.

    services.notification_send and notification_mark_read (the only writers of `is_read` and
    of new rows) delete the key, so a change shows on the next page; the timeout only bounds a
    lost delete (Redis down, a count read during the writer's transaction).
    """
    key = notification_unread_count_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, is_read=False).count()
        cache.set(key, count, settings.INBOX_UNREAD_CACHE_SECONDS)
    return count


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    """One of the user's own notifications; anybody else's id is simply not found."""
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise NotFoundError(_("站内信不存在。"), code=AccountErrorCode.NOTIFICATION_NOT_FOUND)
    return notification
