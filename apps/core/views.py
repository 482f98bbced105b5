import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apps.core.selectors import readiness_report

logger = logging.getLogger(__name__)

# What a client is told to wait before retrying after a 503 (seconds).
RETRY_AFTER_SECONDS = 5


@never_cache
@require_safe  # orchestrators probe with GET or HEAD
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers requests. Checks nothing else, so an outage of Redis or
    PostgreSQL never gets working web processes restarted (docker-compose's health check)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 503 only without the database; a missing cache or broker is reported as
    "degraded" with 200, because pages and checkout still work (apps/core/selectors.py)."""
    report = readiness_report()
    return JsonResponse(report, status=503 if report["status"] == "fail" else 200)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API clients get the API's JSON error shape; people get the friendly page."""
    if _wants_json(request):
        body = {"code": "not_found", "message": str(_("未找到。")), "fields": {}}
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """A lock or statement timeout, a deadlock, a refused or lost connection: the database
    cannot answer now but may in a moment (a bug, e.g. an IntegrityError, is not this)."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 with Retry-After: the API's JSON error body, or the "系统繁忙" page."""
    logger.warning("database unavailable for %s %s: %s", request.method, request.path, exc)
    message = str(_("系统繁忙，请稍后再试。"))
    if _wants_json(request):
        response = JsonResponse({"code": "unavailable", "message": message, "fields": {}})
    else:
        # Standalone template, no request context: the database may be what is missing.
        response = HttpResponse(render_to_string("503.html"))
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Database errors raised outside a view (middleware, the session save) arrive here.
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return database_unavailable(request, exc)
    if _wants_json(request):
        body = {
            "code": "server_error",
            "message": str(_("服务器出错了，请稍后再试。")),
            "fields": {},
        }
        return JsonResponse(body, status=500)
    return defaults.server_error(request)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every page (the admin's too): send them to the icon."""
    return redirect(static("favicon.ico"), permanent=True)
