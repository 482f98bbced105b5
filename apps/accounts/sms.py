"""Sending text messages through a pluggable sender (settings.SMS_SENDER, a dotted path).

The default LogSmsSender only writes the message to the log, which is what development and
the demo need. A real gateway (Aliyun, Tencent Cloud…) is a class with the same `send` method.
"""

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from apps.accounts.phones import phone_mask

logger = logging.getLogger(__name__)


class SmsSender(Protocol):
    def send(self, phone: str, message: str) -> None:
        """Deliver `message` to `phone` (E.164). Raise on failure."""


class LogSmsSender:
    """Writes each message, code included, to the log instead of sending it."""

    def send(self, phone: str, message: str) -> None:
        logger.info("SMS to %s: %s", phone, message)


class LocmemSmsSender:
    """Keeps messages in `LocmemSmsSender.outbox`, like Django's locmem e-mail backend.

    For tests and local scripts that need to read the code that was "sent".
    """

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, message: str) -> None:
        type(self).outbox.append((phone, message))


@cache
def _sender_class(path: str) -> type:
    return import_string(path)


def get_sms_sender() -> SmsSender:
    return _sender_class(settings.SMS_SENDER)()


def sms_send(*, phone: str, message: str) -> None:
    """Send one text message. Verification codes go out synchronously: the person is
    waiting for them on the next page, and a failure should be seen there."""
    logger.debug("Sending SMS to %s", phone_mask(phone))
    get_sms_sender().send(phone, message)
