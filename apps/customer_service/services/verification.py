"""Phone verification for anonymous complaints (a trace-page visitor without an account).

A six-digit code goes out through the accounts app's SMS sender; only its hash is kept, in the
cache, for CUSTOMER_SERVICE_CODE_TTL_SECONDS. A phone gets one code a minute and a few an
hour; a code survives five wrong guesses, then it is gone.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from apps.accounts.sms import sms_send
from apps.core.errors import ApplicationError
from apps.customer_service.errors import CaseErrorCode as Code

MAX_ATTEMPTS = 5
PER_HOUR = 5


def _key(kind: str, phone: str) -> str:
    return f"cs:phone:{kind}:{phone}"


def _digest(phone: str, code: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{phone}:{code}".encode()).hexdigest()


def phone_code_send(*, phone: str) -> None:
    """Text a fresh code to `phone` (E.164, already normalised)."""
    if not cache.add(_key("cooldown", phone), 1, timeout=60):
        raise ApplicationError(
            _("验证码已发送，请一分钟后再试。"),
            code=Code.CODE_RATE_LIMITED,
            fields={"contact_phone": [_("验证码已发送，请一分钟后再试。")]},
            status_code=429,
        )
    cache.add(_key("hour", phone), 0, timeout=3600)
    if cache.incr(_key("hour", phone)) > PER_HOUR:
        raise ApplicationError(
            _("验证码请求过于频繁，请稍后再试。"), code=Code.CODE_RATE_LIMITED, status_code=429
        )
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(
        _key("code", phone),
        {"digest": _digest(phone, code), "attempts": 0},
        timeout=settings.CUSTOMER_SERVICE_CODE_TTL_SECONDS,
    )
    sms_send(
        phone=phone,
        message=_("【田间】您的投诉验证码是 %(code)s，10 分钟内有效。请勿告诉他人。")
        % {"code": code},
    )


def phone_code_check(*, phone: str, code: str) -> None:
    """Accept the code once (it is then used up) or raise a field error on `code`."""
    stored = cache.get(_key("code", phone))
    refused = ApplicationError(
        _("验证码不正确或已过期。"),
        code=Code.CODE_INVALID,
        fields={"code": [_("验证码不正确或已过期。")]},
    )
    if not stored:
        raise refused
    if not secrets.compare_digest(stored["digest"], _digest(phone, (code or "").strip())):
        stored["attempts"] += 1
        if stored["attempts"] >= MAX_ATTEMPTS:
            cache.delete(_key("code", phone))
        else:
            cache.set(
                _key("code", phone), stored, timeout=settings.CUSTOMER_SERVICE_CODE_TTL_SECONDS
            )
        raise refused
    cache.delete(_key("code", phone))
