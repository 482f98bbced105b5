"""Mainland-China mobile numbers: the one place that parses and normalises them.

Numbers are stored in E.164 (`+8613800138000`) so that `138 0013 8000`, `+86 13800138000`
and full-width digits typed with a Chinese input method all match the same account.
"""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

REGION = "CN"
COUNTRY_CODE = 86


def phone_normalize(raw: str) -> str:
    """Return the E.164 form of a mainland-China mobile number or raise ValidationError."""
    value = (raw or "").strip()
    if not value:
        raise ValidationError(_("请输入手机号。"), code="required")
    try:
        number = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("请输入正确的手机号。"), code="invalid_phone") from exc
    if number.country_code != COUNTRY_CODE:
        raise ValidationError(_("目前仅支持中国大陆手机号。"), code="unsupported_region")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("请输入正确的 11 位手机号。"), code="invalid_phone")
    # Landlines parse as valid CN numbers but cannot receive the SMS codes we log in with.
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValidationError(_("请填写手机号，固定电话无法接收短信验证码。"), code="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_normalize_or_none(raw: str | None) -> str | None:
    """Like phone_normalize, but None for anything that is not a usable mobile number."""
    if not raw:
        return None
    try:
        return phone_normalize(raw)
    except ValidationError:
        return None


def phone_mask(phone: str | None) -> str:
    """`+8613800138000` → `138****8000`, for showing a number without exposing it."""
    if not phone:
        return ""
    digits = phone.removeprefix(f"+{COUNTRY_CODE}")
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else digits
