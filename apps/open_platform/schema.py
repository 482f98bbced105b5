"""OpenAPI: the `appToken` bearer scheme, offered only on operations that declare a scope
(apps.core.schema adds each operation's `x-required-scope` and its 403)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from apps.core.api_scopes import view_required_scope
from apps.open_platform.scopes import Scope


class AppTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.open_platform.authentication.AppTokenAuthentication"
    name = "appToken"

    def get_security_requirement(self, auto_schema):
        if not view_required_scope(auto_schema.view, auto_schema.method):
            return None  # app tokens are refused here: do not offer the scheme
        return {self.name: []}

    def get_security_definition(self, auto_schema):
        scopes = "\n".join(f"- `{value}`：{label}" for value, label in Scope.choices)
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "tj_<前缀>_<密钥>",
            "description": (
                "第三方应用令牌（开放平台）。以应用代表的账号身份调用，且只能调用声明了权限范围、"
                "并且令牌带有该范围的接口（见各接口的 x-required-scope），否则 403。权限范围：\n"
                + scopes
            ),
        }
