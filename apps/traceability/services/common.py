"""Helpers every traceability service uses: store access and validation errors."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.stores.selectors import store_ids_for_user, user_can_manage_all_stores
from apps.traceability.errors import TraceErrorCode


def store_access_check(*, actor: User | None, store_id: int) -> None:
    """Refuse an actor who is neither platform staff nor a member of the store.

    `actor=None` is the system itself (tasks, data migrations).
    """
    if actor is None or user_can_manage_all_stores(actor):
        return
    if store_id not in store_ids_for_user(actor):
        raise ApplicationError(
            _("不能操作其他店铺的追溯数据。"),
            code=TraceErrorCode.WRONG_STORE,
            status_code=403,
        )


def same_store_check(store_id: int, *objects: Model | None, field: str) -> None:
    """Every linked record must belong to the same store as the record being written."""
    for obj in objects:
        if obj is not None and obj.store_id != store_id:
            message = _("只能关联本店铺的数据。")
            raise ApplicationError(
                message, code=TraceErrorCode.WRONG_STORE, fields={field: [message]}
            )


def not_in_future_check(value: date, *, field: str) -> None:
    if value > timezone.localdate():
        message = _("日期不能晚于今天。")
        raise ApplicationError(
            message, code=TraceErrorCode.DATE_IN_FUTURE, fields={field: [message]}
        )


def full_clean_or_raise(obj: Model, *, exclude: list[str] | None = None) -> None:
    """Model validation (field rules, unique constraints) as one ApplicationError."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        messages = [m for ms in fields.values() for m in ms] or exc.messages
        raise ApplicationError(messages[0], code="invalid", fields=fields) from None


def field_error(message: str, *, code: str, field: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})
