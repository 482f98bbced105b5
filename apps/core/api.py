"""API plumbing shared by every app: one error shape for every 4xx."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import ApplicationError


class ErrorSerializer(serializers.Serializer):
    """The one error body of the API, as `exception_handler` renders it (for OpenAPI)."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_(
            "字段 → 该字段的错误信息列表。嵌套与逐行的问题用点号路径表示："
            "skus.0.spec（第 1 个规格的 spec）、lines.<SKU id>（结算时该 SKU 的问题，如库存不足）、"
            "deliveries.<店铺 id>（该店铺的配送选择）；不属于某个字段的错误在 non_field_errors。"
        ),
    )


# What each error status means across the API; an endpoint group may word one more exactly.
ERROR_DESCRIPTIONS = {
    400: _("输入有误或业务规则拒绝：见 code 与 fields"),
    401: _("未登录"),
    403: _("无权操作"),
    404: _("不存在，或不属于您"),
    409: _("当前状态不允许此操作"),
    429: _("请求过于频繁，请稍后再试"),
}


def error_responses(*codes: int, texts: dict | None = None) -> dict[int, OpenApiResponse]:
    """OpenAPI `responses` for the error statuses an endpoint returns, all in the one
    ErrorSerializer shape (`texts` overrides the wording of some statuses)."""
    wording = {**ERROR_DESCRIPTIONS, **(texts or {})}
    return {code: OpenApiResponse(ErrorSerializer, description=wording[code]) for code in codes}


def query_choice(request: Any, name: str, choices: Any) -> str | None:
    """A query-string filter that must be one of `choices` (absent or empty: None).

    An unknown value is a 400 naming the parameter, never silently ignored (which would answer
    an unfiltered list as if it were the filtered one).
    """
    value = request.query_params.get(name, "")
    if value == "":
        return None
    allowed = [str(choice) for choice in choices]
    if value not in allowed:
        message = _("“%(value)s” 不是有效的选项，可选：%(allowed)s。") % {
            "value": value[:50],
            "allowed": "、".join(allowed),
        }
        raise exceptions.ValidationError({name: [message]})
    return value


def query_bool(request: Any, name: str) -> bool | None:
    """A true/false query-string filter (absent or empty: None); anything else is a 400."""
    value = request.query_params.get(name, "").strip().lower()
    if value == "":
        return None
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise exceptions.ValidationError({name: [_("请填写 true 或 false。")]})


class StandardPagination(PageNumberPagination):
    """The API's default pagination (settings REST_FRAMEWORK): ?page=, ?page_size= up to 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


NON_FIELD = "non_field_errors"


def error_fields(detail: Any) -> dict[str, list[str]]:
    """Any error detail (a string, a list, nested dicts and lists of serializer or service
    errors) as the one documented shape: a flat {path: [messages]}, nested keys joined with
    dots ("skus.0.spec", "lines.<sku id>")."""
    flat: dict[str, list[str]] = {}

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{path}.{key}" if path else str(key), sub)
        elif isinstance(value, list | tuple):
            nested = any(isinstance(item, dict | list | tuple) for item in value)
            for index, sub in enumerate(value):
                walk(f"{path}.{index}" if nested and path else path, sub)
        elif value is not None and str(value) != "":
            flat.setdefault(path or NON_FIELD, []).append(str(value))

    walk("", detail)
    return flat


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Render every error as {"code", "message", "fields"}."""
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": exc.message, "fields": error_fields(exc.fields)}
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(int(retry_after))} if retry_after else None
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        exc = exceptions.ValidationError(detail=fields or exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        response.data = {
            "code": "invalid",
            "message": _first_message(detail),
            "fields": error_fields(detail),
        }
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        response.data = {
            "code": code if isinstance(code, str) else "error",
            "message": _first_message(exc.detail),
            "fields": {},
        }
    if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        return None
    return response


def token_first_authentication() -> list[type]:
    """The authenticators of a signed-in-only API view: the token first (an anonymous caller
    gets 401 with `WWW-Authenticate: Token`), then the project's other defaults (the session,
    open-platform app tokens), so every credential the API issues works on every such view."""
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.settings import api_settings

    from apps.core.authentication import PreparedTokenAuthentication

    others = [
        cls
        for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES
        if not issubclass(cls, TokenAuthentication)
    ]
    return [PreparedTokenAuthentication, *others]
