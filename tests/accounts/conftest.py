import re

import pytest

from apps.accounts.sms import LocmemSmsSender
from tests.factories import UserFactory

PHONE = "+8613800138000"
CODE_RE = re.compile(r"验证码是 (\d{6})")


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    """Every text message "sent" during a test, as (phone, message) pairs."""
    settings.SMS_SENDER = "apps.accounts.sms.LocmemSmsSender"
    LocmemSmsSender.outbox.clear()
    yield LocmemSmsSender.outbox
    LocmemSmsSender.outbox.clear()


def code_sent_to(outbox: list[tuple[str, str]], phone: str) -> str:
    """The code in the last message sent to `phone`."""
    messages = [message for to, message in outbox if to == phone]
    assert messages, f"no SMS sent to {phone}"
    match = CODE_RE.search(messages[-1])
    assert match, messages[-1]
    return match.group(1)


@pytest.fixture
def phone_user(db):
    """A shopper who signed up with a verified mobile number only."""
    return UserFactory(email=None, phone=PHONE, phone_verified=True, name="手机用户")
