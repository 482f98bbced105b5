"""Per-token rate limits: each app token has its own counter (scope `app_token`, or the
token's own `rate`), and the user and scoped throttles count its calls under the token rather
than under the acting user (apps/core/throttling.py, `throttle_key`)."""

from typing import Any

from rest_framework.request import Request

from apps.core.throttling import RateThrottle
from apps.open_platform.models import AppToken


class AppTokenRateThrottle(RateThrottle):
    scope = "app_token"

    def get_rate(self, request: Request, scope: str) -> str | None:
        token = request.auth
        if isinstance(token, AppToken) and token.rate:
            return token.rate
        return super().get_rate(request, scope)

    def get_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        return token.throttle_key if isinstance(token, AppToken) else None
