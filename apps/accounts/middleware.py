from allauth.core.exceptions import RateLimited
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class RateLimitedMiddleware:
    """Answer allauth's uncaught RateLimited with a 429 page instead of a server error.

    allauth 65.21 raises it, uncaught, when a log-in reaches the phone verification step
    within the SMS cooldown of the previous code (e.g. signing up by phone and then logging in
    again at once).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return render(request, "accounts/rate_limited.html", status=429)
        return None
