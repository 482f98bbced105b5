"""Format checks for what an applicant types: contact phone and credit code.

Each returns the normalised value or raises django.core.exceptions.ValidationError, so forms
use them directly and services wrap them into ApplicationError.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# 区号 + 7-8 digit number, optional extension: 0451-53612345-801. Area codes are 3 digits for
# 010 and 02X (Beijing, Shanghai, Guangzhou …) and 4 digits otherwise, which lets an unseparated
# number like 01012345678 be split correctly.
_LANDLINE = re.compile(r"^(0[12]\d|0[3-9]\d{2})-?(\d{7,8})(?:-(\d{1,6}))?$")

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (no I, O, S, V, Z); the last
# is a check character over the first 17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(rf"^[{USCC_ALPHABET}]{{2}}\d{{6}}[{USCC_ALPHABET}]{{10}}$")


def normalize_contact_phone(value: str) -> str:
    """A mainland mobile (13800138000, +86 allowed) or landline (0451-53612345[-801]).

    Mobiles are returned as 11 digits, landlines as 区号-号码[-分机].
    """
    compact = re.sub(r"[\s()（）]", "", value or "")
    mobile = compact.removeprefix("+86").removeprefix("0086")
    if mobile.startswith("86") and len(mobile) == 13:
        mobile = mobile[2:]
    if _MOBILE.match(mobile):
        return mobile
    landline = _LANDLINE.match(compact.replace("—", "-"))
    if landline:
        area, number, extension = landline.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise ValidationError(
        _("请输入有效的手机号（如 13800138000）或带区号的固定电话（如 0451-53612345）。"),
        code="invalid_phone",
    )


def uscc_check_character(first17: str) -> str:
    total = sum(
        USCC_ALPHABET.index(char) * weight
        for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    """Upper-cased 统一社会信用代码 whose format and check character are right."""
    code = re.sub(r"\s", "", value or "").upper()
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为 18 位。"), code="invalid_uscc_length")
    if not _USCC.match(code):
        raise ValidationError(
            _("统一社会信用代码格式不正确（仅含数字和大写字母，不含 I、O、S、V、Z）。"),
            code="invalid_uscc_format",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("统一社会信用代码校验位不正确，请核对营业执照。"), code="invalid_uscc_checksum"
        )
    return code
