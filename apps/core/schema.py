"""The OpenAPI generator of the API: every operation documents the errors it can answer.

An operation's own @extend_schema responses stay as written; this adds, in the one error
shape (apps.core.api.ErrorSerializer), what the plumbing around every view can answer:
429 (every view is throttled), 401 and 403 where a permission is needed, 404 where the path
names an object or a page can be out of range, 400 where a body or query string is parsed,
403 wherever an open-platform app token is accepted (a token without the operation's scope,
or any token on an operation that declares none). An operation that app tokens may call says
which scope in `x-required-scope` and in its description.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import AllowAny

from apps.core.api import ERROR_DESCRIPTIONS, ErrorSerializer
from apps.core.api_scopes import view_required_scope

BODY_METHODS = {"POST", "PUT", "PATCH"}


class AutoSchema(SpectacularAutoSchema):
    def accepts_app_tokens(self) -> bool:
        return any(
            getattr(authenticator, "checks_required_scopes", False)
            for authenticator in self.view.get_authenticators()
        )

    def required_scope(self) -> str | None:
        return view_required_scope(self.view, self.method)

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        scope = self.required_scope() if self.accepts_app_tokens() else None
        if operation is not None and scope:
            operation["x-required-scope"] = scope
            note = f"应用令牌所需权限范围（scope）：`{scope}`。"
            description = operation.get("description", "")
            operation["description"] = f"{description}\n\n{note}" if description else note
        return operation

    def _error_codes(self) -> set[int]:
        view = self.view
        codes = {429} if view.get_throttles() else set()
        permissions = view.get_permissions()
        anonymous_ok = all(isinstance(p, AllowAny) for p in permissions)
        if not anonymous_ok:
            codes |= {401, 403}
        if self.accepts_app_tokens():
            codes.add(403)  # a token without the scope, or one this operation never takes
        if "{" in self.path:
            codes.add(404)
        if self._is_list_view() and getattr(view, "pagination_class", None):
            codes.add(404)  # ?page= past the last page
        if self.method in BODY_METHODS or self._has_query():
            codes.add(400)
        return codes

    def _has_query(self) -> bool:
        for parameter in self.get_override_parameters():
            if not isinstance(parameter, OpenApiParameter):
                return True  # a serializer of query parameters
            if parameter.location == OpenApiParameter.QUERY and not parameter.exclude:
                return True
        if self.method == "GET" and self._is_list_view():
            return bool(self._get_filter_parameters())
        return False

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self._error_codes()):
            if str(code) in responses:
                continue
            responses[str(code)] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                str(code),
                direction=direction,
            )
        return responses
