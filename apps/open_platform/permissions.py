"""The scope rule of app tokens (a default permission of the API, settings REST_FRAMEWORK)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from apps.core.api_scopes import view_required_scope
from apps.open_platform.errors import OpenPlatformErrorCode as Code
from apps.open_platform.models import AppToken


def scope_check(*, token: AppToken, scope: str | None) -> None:
    """Refuse (403) a call the token may not make: the view declares no scope for this method,
    or the token does not carry it."""
    if not scope:
        raise PermissionDenied(_("此接口不对第三方应用令牌开放。"), code=Code.SCOPE_MISSING.value)
    if scope not in token.scopes:
        raise PermissionDenied(
            _("令牌缺少权限范围 %(scope)s。") % {"scope": scope}, code=Code.SCOPE_MISSING.value
        )


class HasRequiredScope(BasePermission):
    """Calls made with an app token need the view's `required_scopes` for their method; other
    calls (session, user token, anonymous) are not concerned."""

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, AppToken):
            scope_check(token=token, scope=view_required_scope(view, request.method))
        return True
