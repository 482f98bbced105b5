import pytest
from django.core.exceptions import ValidationError

from apps.accounts.phones import phone_mask, phone_normalize


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "１３８００１３８０００",
    ],
)
def test_phone_normalize_accepts_what_people_type(typed):
    assert phone_normalize(typed) == "+8613800138000"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("01012345678", "请填写手机号，固定电话无法接收短信验证码。"),
        ("+14155550123", "目前仅支持中国大陆手机号。"),
        ("+85291234567", "目前仅支持中国大陆手机号。"),
        ("12345", "请输入正确的 11 位手机号。"),
        ("not a number", "请输入正确的手机号。"),
    ],
)
def test_phone_normalize_rejects_non_mobile_numbers_with_a_clear_message(typed, message):
    with pytest.raises(ValidationError) as exc_info:
        phone_normalize(typed)

    assert exc_info.value.messages == [message]


def test_phone_mask_hides_the_middle_digits():
    assert phone_mask("+8613800138000") == "138****8000"
    assert phone_mask(None) == ""
