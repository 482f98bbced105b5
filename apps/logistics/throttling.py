"""Limits on the public parcel lookup (django-ratelimit counters in the default cache).

Every lookup counts against TRACK_PAGE_RATE_LIMIT per client IP. Failed lookups (unknown number
or wrong phone tail) count against TRACK_MISS_RATE_LIMIT twice: per IP, and per waybill number,
so four phone digits cannot be guessed from many addresses either. A client or a number over
its miss limit is refused every lookup until the window passes.
"""

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage, is_ratelimited

LOOKUP_GROUP = "logistics.track"
MISS_GROUP = "logistics.track.miss"
NUMBER_MISS_GROUP = "logistics.track.number_miss"


def fixed_key(value: str):
    """A django-ratelimit key that counts under `value` instead of something of the request."""
    return lambda group, request: value


def limit_reached(usage) -> bool:
    """Whether a `get_usage` result has used up its limit (None: no limit applies)."""
    return usage is not None and usage["count"] >= usage["limit"]


def _number_key(number: str):
    return fixed_key(number.upper()[:40])


def track_lookup_allowed(request: HttpRequest, *, number: str) -> bool:
    if is_ratelimited(
        request, group=LOOKUP_GROUP, key="ip", rate=settings.TRACK_PAGE_RATE_LIMIT, increment=True
    ):
        return False
    rate = settings.TRACK_MISS_RATE_LIMIT
    by_ip = get_usage(request, group=MISS_GROUP, key="ip", rate=rate, increment=False)
    by_number = get_usage(
        request, group=NUMBER_MISS_GROUP, key=_number_key(number), rate=rate, increment=False
    )
    return not limit_reached(by_ip) and not limit_reached(by_number)


def track_lookup_missed(request: HttpRequest, *, number: str) -> None:
    rate = settings.TRACK_MISS_RATE_LIMIT
    is_ratelimited(request, group=MISS_GROUP, key="ip", rate=rate, increment=True)
    is_ratelimited(
        request, group=NUMBER_MISS_GROUP, key=_number_key(number), rate=rate, increment=True
    )
