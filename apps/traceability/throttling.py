"""Per-IP limits on trace-code lookups (django-ratelimit counters in the default cache).

Every lookup counts against TRACE_PAGE_RATE_LIMIT; lookups of codes that do not exist count,
far more strictly, against TRACE_MISS_RATE_LIMIT, and a client over that limit is refused
every lookup until the window passes. With 100-bit codes guessing is hopeless anyway; the
limits keep a scraper from turning guesses into database load.
"""

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage, is_ratelimited

from apps.core.http import client_ip

LOOKUP_GROUP = "traceability.lookup"
MISS_GROUP = "traceability.miss"


def trace_lookup_allowed(request: HttpRequest) -> bool:
    if is_ratelimited(
        request,
        group=LOOKUP_GROUP,
        key="ip",
        rate=settings.TRACE_PAGE_RATE_LIMIT,
        increment=True,
    ):
        return False
    # Peek without counting: a client that has used up its misses is refused outright.
    misses = get_usage(
        request, group=MISS_GROUP, key="ip", rate=settings.TRACE_MISS_RATE_LIMIT, increment=False
    )
    return misses is None or misses["count"] < misses["limit"]


def trace_lookup_missed(request: HttpRequest) -> None:
    is_ratelimited(
        request, group=MISS_GROUP, key="ip", rate=settings.TRACE_MISS_RATE_LIMIT, increment=True
    )


def visitor_key(request: HttpRequest) -> str:
    """Who is scanning, for counting a scan once per visitor and window (not stored)."""
    return client_ip(request) + "|" + request.headers.get("User-Agent", "")[:80]
