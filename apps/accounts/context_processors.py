from functools import partial

from django.http import HttpRequest

from apps.accounts.selectors import notification_unread_count


def inbox(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"inbox_unread_count": 0}
    # A callable: templates evaluate it only where the header actually shows the count.
    return {"inbox_unread_count": partial(notification_unread_count, user=user)}
