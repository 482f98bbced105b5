"""`Authorization: Bearer tj_…`: a third-party app's token, acting as the app's acting user.

The token is looked up by its SHA-256 (the secret itself is never stored). A revoked or expired
token, or one of a disabled app, is a 401 with the reason. The request's user is the app's
`acting_user` (a member of the app's store, or the platform service account staff chose), so
every permission and store scoping of the API applies unchanged; `request.auth` is the
AppToken, and its scopes narrow what the call may do (permissions.HasRequiredScope).

Views that name their own `permission_classes` without HasRequiredScope still get the scope
rule: it is applied here, so no view can take an app token by forgetting it.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from apps.core.api_scopes import view_required_scope
from apps.open_platform.models import AppToken
from apps.open_platform.permissions import HasRequiredScope, scope_check
from apps.open_platform.selectors import TOKEN_PREFIX, app_token_get_by_raw


class AppTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"
    # apps.core.schema: operations of views that take app tokens document 403 and their scope.
    checks_required_scopes = True

    def authenticate(self, request: Request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("令牌格式错误：应为 Authorization: Bearer tj_…。"))
        raw = parts[1].decode("latin-1")
        if not raw.startswith(TOKEN_PREFIX):
            raise AuthenticationFailed(_("令牌无效。"))
        token = app_token_get_by_raw(raw=raw)
        if token is None:
            raise AuthenticationFailed(_("令牌无效。"))
        self._refuse_unusable(token)
        view = (request.parser_context or {}).get("view")
        scope = view_required_scope(view, request.method) if view is not None else None
        # Read by ApiCallLogMiddleware once the response is known (a refused call is logged too).
        request._request.open_platform_call = (token, scope or "")
        if view is not None and not any(
            isinstance(permission, HasRequiredScope) for permission in view.get_permissions()
        ):
            scope_check(token=token, scope=scope)
        return token.app.acting_user, token

    @staticmethod
    def _refuse_unusable(token: AppToken) -> None:
        if token.revoked_at is not None:
            raise AuthenticationFailed(_("令牌已吊销。"))
        if not token.is_usable:
            if not token.app.is_active:
                raise AuthenticationFailed(_("应用已停用。"))
            raise AuthenticationFailed(_("令牌已过期。"))
        if not token.app.acting_user.is_active:
            raise AuthenticationFailed(_("应用代表的账号已停用。"))

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
