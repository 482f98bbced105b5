"""Short-lived whole-page cache of storefront pages for anonymous shoppers.

Rendering a listing costs 20-40 ms of CPU on the small VMs this runs on; the same page is the
same for every anonymous shopper for a while, so it is rendered once and kept in Django's cache
(Redis in production and CI, local memory in development) for
`STOREFRONT_PAGE_CACHE_SECONDS` (0 turns the cache off).

What is cached, and for whom:
- only GET/HEAD requests of an anonymous visitor whose session is empty: no log-in, no guest
  cart (the header shows the cart badge from the session), nothing else personal; and no
  flash messages waiting in the `messages` cookie. Anybody else always gets a fresh render;
- keyed by host, full path with query string, and language (the header's search box echoes
  `?q=`, pagination links carry the query string);
- only 200 responses that set no cookie and did not change the session or queue a message;
- edits to products, prices, stock, or a store's suspension show up at most
  STOREFRONT_PAGE_CACHE_SECONDS late (no invalidation: the TTL is the bound);
- while Redis is down the cache backend (apps/core/cache.py) answers every read as a miss and
  logs it: every page is rendered fresh, none fails.

CSRF: the product page has an add-to-cart form with `{% csrf_token %}`. That token is tied to
the visitor's CSRF cookie, so it must never be shared: before storing a page every rendered
token is replaced with a placeholder, and a page served from the cache gets a fresh token
for the visitor who asked (`get_token`, which also makes CsrfViewMiddleware set the cookie
when the visitor has none, exactly like an uncached render). If the view asked for a token
but none was found in the page (rendered some other way), the page is not cached.
"""

import hashlib
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

CACHE_HEADER = "X-Storefront-Cache"
_PLACEHOLDER = "\x00csrf-token\x00"
# Exactly what Django's {% csrf_token %} renders.
_CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]*)">')
_MESSAGES_COOKIE = "messages"  # django.contrib.messages CookieStorage.cookie_name


def page_cache_seconds() -> int:
    return int(getattr(settings, "STOREFRONT_PAGE_CACHE_SECONDS", 0) or 0)


def _is_cacheable_request(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if request.COOKIES.get(_MESSAGES_COOKIE):
        return False
    session = getattr(request, "session", None)
    # A session cookie: loading it is one lookup; anything in it (a log-in, a guest cart and
    # its badge count, queued messages) makes the page personal.
    has_session = session is not None and request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if has_session and list(session.keys()):
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def _cache_key(request: HttpRequest) -> str:
    url = f"{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    return f"storefront-page:{get_language() or ''}:{digest}"


def _storable_content(request: HttpRequest, response: HttpResponse) -> str | None:
    """The page with CSRF tokens replaced by the placeholder, or None if it must not be kept."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return None
    storage = getattr(request, "_messages", None)
    if storage is not None and getattr(storage, "added_new", False):
        return None
    cache_control = response.get("Cache-Control", "")
    if "private" in cache_control or "no-store" in cache_control:
        return None
    return csrf_placeholder_put(request, response.content.decode(response.charset))


def csrf_placeholder_put(request: HttpRequest, content: str) -> str | None:
    """`content` with its CSRF tokens replaced by the placeholder; None if a token went in
    some other way than {% csrf_token %} (it could not be swapped out: do not keep it)."""
    tokens = set(_CSRF_INPUT.findall(content))
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and not tokens:
        return None
    for token in tokens:
        content = content.replace(token, _PLACEHOLDER)
    return content


def csrf_placeholder_take(request: HttpRequest, content: str) -> str:
    """Kept content with the asking visitor's own CSRF token in place of the placeholder."""
    if _PLACEHOLDER in content:
        content = content.replace(_PLACEHOLDER, get_token(request))
    return content


def storefront_page_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve `view` from the page cache to anonymous shoppers (see the module docstring)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = page_cache_seconds()
        if seconds <= 0 or not _is_cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _cache_key(request)
        cached = cache.get(key)
        if cached is not None:
            content_type, content = cached
            content = csrf_placeholder_take(request, content)
            response = HttpResponse(content, content_type=content_type)
            # What an uncached render sends (the header reads the session for the cart badge).
            patch_vary_headers(response, ("Cookie",))
            response[CACHE_HEADER] = "hit"
            return response
        response = view(request, *args, **kwargs)
        content = _storable_content(request, response) if request.method == "GET" else None
        if content is not None:
            cache.set(key, (response["Content-Type"], content), seconds)
            response[CACHE_HEADER] = "miss"
        return response

    return wrapper
