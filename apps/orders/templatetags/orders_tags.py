from django import template
from django.conf import settings
from django.utils import timezone

from apps.orders.selectors import address_default_for_user
from apps.orders.services.cart import CART_COUNT_SESSION_KEY

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_count(context) -> int:
    """The header badge: kept in the session by the cart pages, so it costs no query."""
    request = context.get("request")
    session = getattr(request, "session", None)
    if session is None:
        return 0
    return int(session.get(CART_COUNT_SESSION_KEY) or 0)


@register.filter
def media_path(path: str) -> str:
    """URL of a stored file path kept as text in a snapshot (OrderLine.image)."""
    return f"{settings.MEDIA_URL}{path}" if path else ""


@register.filter
def shanghai(value):
    """Render an aware datetime in Asia/Shanghai whatever the active time zone is."""
    if not value:
        return value
    from zoneinfo import ZoneInfo

    return timezone.localtime(value, ZoneInfo("Asia/Shanghai"))


@register.inclusion_tag("orders/_default_address.html")
def default_address(user):
    """The shopper's default address (or the newest one) as a card, for the profile page."""
    return {"address": address_default_for_user(user=user)}
