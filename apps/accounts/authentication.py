"""Checking an e-mail-or-phone and password outside allauth's pages (the token API).

It goes through allauth's adapter so the same failed-log-in limits (ACCOUNT_RATE_LIMITS
"login" and "login_failed") and the same generic error apply as on the log-in page.
"""

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext as _

from apps.accounts.errors import AccountErrorCode
from apps.accounts.models import User
from apps.accounts.phones import phone_normalize_or_none
from apps.core.errors import ApplicationError


def _credentials_for(login: str) -> dict[str, str]:
    login = login.strip()
    try:
        validate_email(login)
    except ValidationError:
        # Anything else is tried as a phone number; a malformed one simply matches nobody
        # (and still counts as a failed attempt).
        return {"phone": phone_normalize_or_none(login) or login}
    return {"email": login.lower()}


def _too_many_attempts(request: HttpRequest) -> ApplicationError:
    error = ApplicationError(
        _("密码尝试次数过多，请稍后再试，或改用短信验证码登录。"),
        code=AccountErrorCode.TOO_MANY_ATTEMPTS,
        status_code=429,
    )
    # Seconds until this address may try this account again (apps.accounts.login_limits).
    error.retry_after = getattr(request, "login_retry_after", None) or 60
    return error


def credentials_authenticate(*, request: HttpRequest, login: str, password: str) -> User:
    """The active user with this e-mail or mobile number and password.

    Unknown account and wrong password raise the very same error.
    """
    if not ratelimit.consume(request, action="login"):
        raise _too_many_attempts(request)
    adapter = get_adapter(request)
    try:
        user = adapter.authenticate(request, password=password, **_credentials_for(login))
    except ValidationError as exc:  # allauth's "too many failed log-in attempts"
        raise _too_many_attempts(request) from exc
    if user is None:
        raise ApplicationError(_("账号或密码不正确。"), code=AccountErrorCode.INVALID_CREDENTIALS)
    if not user.is_active:
        # Only reachable with the right password, so it reveals nothing to a guesser.
        raise ApplicationError(
            _("该账号已停用。"), code=AccountErrorCode.ACCOUNT_INACTIVE, status_code=403
        )
    return user
