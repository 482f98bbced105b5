"""Remembers the promoter code of a share link (`?ref=CODE` on any page)."""

from apps.distribution.services.binding import referral_bind_from_session, referral_remember

PARAM = "ref"


class ReferralMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = request.GET.get(PARAM)
        if code and hasattr(request, "session"):
            referral_remember(session=request.session, code=code)
            if request.user.is_authenticated:
                referral_bind_from_session(session=request.session, user=request.user)
        return self.get_response(request)
