"""Log every API call made with an app token: app, token, scope, method, path, status, time."""

import logging
import time

from django.db import DatabaseError

from apps.open_platform.services.calls import api_call_log_record

logger = logging.getLogger(__name__)


class ApiCallLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        call = getattr(request, "open_platform_call", None)
        if call is not None:
            token, scope = call
            try:
                api_call_log_record(
                    token=token,
                    scope=scope,
                    method=request.method,
                    path=request.path,
                    status_code=response.status_code,
                    duration_ms=round((time.monotonic() - started) * 1000),
                )
            except DatabaseError:  # the call is answered; losing its log line must not fail it
                logger.warning("app token call not logged: %s %s", request.method, request.path)
        return response
