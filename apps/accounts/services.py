import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from apps.accounts.errors import AccountErrorCode
from apps.accounts.models import Notification, User
from apps.accounts.phones import phone_normalize
from apps.accounts.selectors import notification_unread_count_key
from apps.accounts.sms import sms_send
from apps.core.errors import ApplicationError
from apps.core.outbox import outbox_message_record
from apps.core.validators import model_fields_validate

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = User._meta.get_field("name").max_length
NOTIFICATION_EMAIL = "accounts.notification_email"  # outbox kind, handled in outbox.py
NOTIFICATION_SMS = "accounts.notification_sms"  # outbox kind, handled in outbox.py


def _clean_phone(phone: str) -> str:
    try:
        return phone_normalize(phone)
    except ValidationError as exc:
        message = exc.messages[0]
        raise ApplicationError(
            message, code=AccountErrorCode.INVALID_PHONE, fields={"phone": [message]}
        ) from exc


def _ensure_phone_free(*, phone: str, user: User | None) -> None:
    others = User.objects.filter(phone=phone)
    if user is not None and user.pk:
        others = others.exclude(pk=user.pk)
    if others.exists():
        message = _("该手机号已被其他账号使用。")
        raise ApplicationError(
            message, code=AccountErrorCode.PHONE_TAKEN, fields={"phone": [message]}
        )


@transaction.atomic
def user_create(
    *,
    email: str | None = None,
    phone: str | None = None,
    password: str | None = None,
    name: str = "",
) -> User:
    """Create an account with an e-mail address, a mobile number, or both.

    A missing password leaves the account usable only through log-in codes.
    """
    email = (email or "").strip().lower() or None
    phone = _clean_phone(phone) if phone else None
    if not email and not phone:
        message = _("请填写手机号或电子邮箱（至少一项）。")
        raise ApplicationError(message, code=AccountErrorCode.EMAIL_OR_PHONE_REQUIRED)
    if email and User.objects.filter(email__iexact=email).exists():
        message = _("该电子邮箱已被其他账号使用。")
        raise ApplicationError(
            message, code=AccountErrorCode.EMAIL_TAKEN, fields={"email": [message]}
        )
    if phone:
        _ensure_phone_free(phone=phone, user=None)
    return User.objects.create_user(
        email=email, password=password, phone=phone, name=name.strip()[:NAME_MAX_LENGTH]
    )


@transaction.atomic
def user_set_phone(*, user: User, phone: str, verified: bool) -> User:
    """Attach a mobile number to an account, replacing any previous one."""
    phone = _clean_phone(phone)
    _ensure_phone_free(phone=phone, user=user)
    user.phone = phone
    user.phone_verified = verified
    user.save(update_fields=["phone", "phone_verified"])
    return user


@transaction.atomic
def user_update_profile(*, user: User, name: str) -> User:
    name = (name or "").strip()
    if len(name) > NAME_MAX_LENGTH:
        message = _("姓名最多 %(max)d 个字。") % {"max": NAME_MAX_LENGTH}
        raise ApplicationError(
            message, code=AccountErrorCode.INVALID_NAME, fields={"name": [message]}
        )
    model_fields_validate(User, name=name)
    user.name = name
    user.save(update_fields=["name"])
    return user


@transaction.atomic
def user_api_token_get_or_create(*, user: User) -> Token:
    """The user's DRF token for third-party apps; one per user, reused until revoked."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def notification_send(
    *,
    user: User,
    title: str,
    body: str = "",
    url: str = "",
    send_email: bool = True,
    key: str | None = None,
    sms: str = "",
) -> Notification:
    """Notify a user in the site inbox, and by e-mail when they have an address and an active
    account (a deactivated one, or a channel's buyer account, gets no mail).

    The one way every app tells a person something. The e-mail is an outbox message recorded
    in the caller's transaction: sent after the commit, retried until sent, never lost when
    the broker or the mail server is down (apps/core/outbox.py).

    `key` names the event ("shipment:12:delivered"): with it the message is sent once per
    event however often the caller runs (retried tasks, replayed webhooks); a repeat returns
    the first message and sends nothing. `sms` is a text message for things the person must
    act on, sent (through the outbox too) only to a verified mobile number.
    """
    if key:
        try:
            with transaction.atomic():  # a concurrent first send wins; we return its row
                notification, created = Notification.objects.get_or_create(
                    key=key, defaults={"user": user, "title": title, "body": body, "url": url}
                )
        except IntegrityError:
            notification, created = Notification.objects.get(key=key), False
        if not created:
            return notification
    else:
        notification = Notification.objects.create(user=user, title=title, body=body, url=url)
    _notification_unread_count_forget(user_id=user.pk)
    if send_email and user.email and user.is_active:
        outbox_message_record(
            kind=NOTIFICATION_EMAIL,
            payload={"notification_id": notification.pk},
            key=f"{NOTIFICATION_EMAIL}:{notification.pk}",
        )
    if sms and user.is_active and user.phone and user.phone_verified:
        outbox_message_record(
            kind=NOTIFICATION_SMS,
            payload={"notification_id": notification.pk, "message": f"【田间】{sms}"},
            key=f"{NOTIFICATION_SMS}:{notification.pk}",
        )
    return notification


def notification_sms_deliver(*, notification_id: int, message: str) -> None:
    """Send a notification's text message (the outbox handler; raises when the gateway does).

    The number is read now, so a number changed or unverified since is not written to.
    """
    user = User.objects.filter(notifications__pk=notification_id).first()
    if user is None or not user.phone or not user.phone_verified:
        return
    sms_send(phone=user.phone, message=message)


def notification_email_deliver(*, notification_id: int) -> None:
    """Send a notification's e-mail (the outbox handler; raises when the mail server does)."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or not notification.user.email:
        return  # deleted with its account, or the address is gone: nothing left to send
    send_mail(
        subject=f"[田间] {notification.title}",
        message=notification.body + (f"\n\n{notification.url}" if notification.url else ""),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[notification.user.email],
        fail_silently=False,
    )


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of the user's unread notifications read.

    Ids of other users' notifications are ignored: the filter is on `user` first.
    """
    qs = Notification.objects.filter(user=user, is_read=False)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    marked = qs.update(is_read=True, read_at=timezone.now())
    if marked:
        _notification_unread_count_forget(user_id=user.pk)
    return marked


def _notification_unread_count_forget(*, user_id: int) -> None:
    """Drop the user's cached unread count (selectors.notification_unread_count) now and again
    after the commit: a page rendered meanwhile may have cached the count from before it."""
    key = notification_unread_count_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
