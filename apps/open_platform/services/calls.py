"""The call log of app tokens: one INSERT per call, and the token's last use at most once a
minute (no UPDATE on every call)."""

from datetime import timedelta

from django.utils import timezone

from apps.open_platform.models import ApiCallLog, AppToken

LAST_USED_GRAIN = timedelta(minutes=1)


def api_call_log_record(
    *, token: AppToken, scope: str, method: str, path: str, status_code: int, duration_ms: int
) -> ApiCallLog:
    now = timezone.now()
    log = ApiCallLog.objects.create(
        app_id=token.app_id,
        token=token,
        scope=scope,
        method=method[:10],
        path=path[:300],
        status_code=status_code,
        duration_ms=duration_ms,
        created_at=now,
    )
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRAIN:
        AppToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return log
