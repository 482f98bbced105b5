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


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    """One of the user's own notifications; anybody else's id is simply not found."""
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise NotFoundError(_("站内信不存在。"), code=AccountErrorCode.NOTIFICATION_NOT_FOUND)
    return notification
