from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apps.core.selectors import health_report


@never_cache
@require_safe  # load balancers probe with GET or HEAD
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API clients get the API's JSON error shape; people get the friendly page."""
    if _wants_json(request):
        body = {"code": "not_found", "message": str(_("未找到。")), "fields": {}}
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
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
