"""Registering third-party apps and issuing, checking and revoking their API tokens."""

import re
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.open_platform.errors import OpenPlatformErrorCode as Code
from apps.open_platform.models import App, AppToken
from apps.open_platform.scopes import Scope
from apps.open_platform.selectors import TOKEN_PREFIX, app_may_manage, token_digest
from apps.stores.models import Store, StoreMember
from apps.stores.selectors import store_ids_for_user, user_can_manage_all_stores


def _refuse(message: str, code: str, *, field: str | None = None, status: int = 400):
    return ApplicationError(
        message, code=code, fields={field: [message]} if field else None, status_code=status
    )


def app_register_check(*, actor: User, store: Store | None, acting_user: User | None) -> None:
    """Refuse what app_register would refuse (forms call it to show the error on the field)."""
    if store is None:
        if not user_can_manage_all_stores(actor):
            raise _refuse(_("只有平台运营可以登记平台应用。"), Code.APP_NOT_ALLOWED, field="store")
        return
    if not user_can_manage_all_stores(actor) and store.pk not in store_ids_for_user(actor):
        raise _refuse(_("只能为自己的店铺登记应用。"), Code.APP_NOT_ALLOWED, field="store")
    if (
        acting_user is None
        or not StoreMember.objects.filter(store=store, user=acting_user).exists()
    ):
        raise _refuse(
            _("店铺应用代表的账号必须是该店铺的成员。"), Code.APP_NOT_ALLOWED, field="acting_user"
        )


@transaction.atomic
def app_register(
    *,
    actor: User,
    name: str,
    store: Store | None,
    acting_user: User,
    contact_name: str,
    contact_phone: str = "",
    contact_email: str = "",
) -> App:
    """Register an app for a store (its members may) or for the platform (staff only).

    A store app acts as a member of that store; a platform app as the account staff chose.
    """
    app_register_check(actor=actor, store=store, acting_user=acting_user)
    app = App(
        name=name,
        store=store,
        acting_user=acting_user,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        created_by=actor,
    )
    app.full_clean()
    app.save()
    return app


def scopes_clean(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise _refuse(
            _("未知的权限范围：%(scopes)s。") % {"scopes": "、".join(unknown)},
            Code.SCOPE_UNKNOWN,
            field="scopes",
        )
    if not scopes:
        raise _refuse(_("请至少选择一个权限范围。"), Code.SCOPE_UNKNOWN, field="scopes")
    return [scope for scope in Scope.values if scope in scopes]


def app_token_check(
    *, actor: User, app: App, scopes: list[str], expires_at: datetime | None, rate: str
) -> list[str]:
    """Refuse what app_token_issue would refuse; returns the scopes in their canonical order."""
    if not app_may_manage(user=actor, app=app):
        # Same answer as "no such app": ids reveal nothing of other stores.
        raise _refuse(_("应用不存在。"), Code.NOT_FOUND, field="app", status=404)
    scopes = scopes_clean(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise _refuse(_("过期时间必须晚于现在。"), Code.TOKEN_INVALID, field="expires_at")
    if rate and not _rate_is_valid(rate):
        raise _refuse(_("频率限制的格式应如 600/m、10/5m。"), Code.TOKEN_INVALID, field="rate")
    return scopes


@transaction.atomic
def app_token_issue(
    *,
    actor: User,
    app: App,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    rate: str = "",
) -> tuple[AppToken, str]:
    """A new token for `app`; returns it and its secret, which is shown this once only."""
    scopes = app_token_check(actor=actor, app=app, scopes=scopes, expires_at=expires_at, rate=rate)
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = AppToken.objects.create(
        app=app,
        name=name,
        prefix=prefix,
        token_hash=token_digest(raw),
        scopes=scopes,
        expires_at=expires_at,
        rate=rate,
        created_by=actor,
    )
    return token, raw


_RATE = re.compile(r"^[1-9]\d*/[1-9]?\d*[smhd]$")


def _rate_is_valid(rate: str) -> bool:
    """The throttles' rate format: "<n>/<period>", period s, m, h or d with a multiplier."""
    return bool(_RATE.match(rate))


@transaction.atomic
def app_token_revoke(*, actor: User, token: AppToken) -> AppToken:
    """Revoke a token at once; revoking a revoked one changes nothing."""
    token = AppToken.objects.select_for_update().select_related("app").get(pk=token.pk)
    if not app_may_manage(user=actor, app=token.app):
        raise _refuse(_("令牌不存在。"), Code.NOT_FOUND, status=404)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token
