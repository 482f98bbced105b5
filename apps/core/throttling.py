"""API rate limits: DRF throttle classes counting in django-ratelimit's cache counters.

DRF decides *when* a view is throttled (throttle_classes, throttle_scope, a 429 with
Retry-After through the one exception handler); django-ratelimit does the counting, with an
atomic add/incr per fixed window in the default cache (Redis in production), so every worker
and every web node counts together and parallel requests cannot slip past a read-modify-write.
Rates are settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("120/m", "10/5m"); a scope with no
rate is not limited.

A call authenticated by a credential that is limited on its own (an open-platform app token:
`request.auth.throttle_key`) is counted per that credential, not per the user it acts as, so
an integration cannot use up its merchant's own allowance (apps/open_platform/throttling.py).
"""

from typing import Any

from django.http import HttpRequest
from django_ratelimit.core import get_usage
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from apps.core.http import client_ip


def _credential_key(request: Request) -> str | None:
    return getattr(getattr(request, "auth", None), "throttle_key", None)


def _user_or_ip(request: Request) -> str:
    credential = _credential_key(request)
    if credential:
        return credential
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


class RateThrottle(BaseThrottle):
    """Counts requests per key and scope; subclasses say which scope and which key."""

    scope: str | None = None

    def __init__(self) -> None:
        self._wait: float | None = None

    def get_scope(self, request: Request, view: Any) -> str | None:
        return self.scope

    def get_key(self, request: Request, view: Any) -> str | None:
        return _user_or_ip(request)

    def get_rate(self, request: Request, scope: str) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(scope)

    def allow_request(self, request: Request, view: Any) -> bool:
        scope = self.get_scope(request, view)
        rate = self.get_rate(request, scope) if scope else None
        key = self.get_key(request, view) if rate else None
        if not rate or key is None:
            return True
        usage = get_usage(
            _django_request(request),
            group=f"api.{scope}",
            key=lambda group, req: key,
            rate=rate,
            increment=True,
        )
        if usage is None or not usage["should_limit"]:
            return True
        self._wait = max(usage["time_left"], 1)
        return False

    def wait(self) -> float | None:
        return self._wait


def _django_request(request: Request) -> HttpRequest:
    return getattr(request, "_request", request)


class AnonRateThrottle(RateThrottle):
    """Every anonymous call, per client address (scope `anon`)."""

    scope = "anon"

    def get_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return f"ip:{client_ip(request)}"


class UserRateThrottle(RateThrottle):
    """Every authenticated call, per user (scope `user`)."""

    scope = "user"

    def get_key(self, request: Request, view: Any) -> str | None:
        if _credential_key(request):
            return None  # limited per credential by its own throttle
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return None


class ScopedRateThrottle(RateThrottle):
    """The tighter limit of an expensive or abusable operation, per user or client address.

    The view names it with `throttle_scope`, or decides per request with
    `get_throttle_scope(request)` (search is only a search when there is a query).
    """

    def get_scope(self, request: Request, view: Any) -> str | None:
        decide = getattr(view, "get_throttle_scope", None)
        if decide is not None:
            return decide(request)
        return getattr(view, "throttle_scope", None)


class ScopedIpRateThrottle(ScopedRateThrottle):
    """A scoped limit per client address only (endpoints called by machines, not people)."""

    def get_key(self, request: Request, view: Any) -> str | None:
        return f"ip:{client_ip(request)}"
