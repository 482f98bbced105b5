from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from apps.accounts.selectors import notification_unread_count


def inbox(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"inbox_unread_count": 0}
    # Lazy and memoised: counted only on pages that show it, and once however often the
    # template reads it (`{% if %}` then `{{ }}`).
    return {"inbox_unread_count": SimpleLazyObject(lambda: notification_unread_count(user=user))}
