"""What every payment provider offers the payments services.

A provider knows its wire format and its signatures, nothing about orders: it turns a Payment
into a URL to send the shopper to, turns a raw notify request into a `VerifiedNotification`
(or refuses it), and carries out a refund. The services decide what the facts mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from django.http import HttpResponse

if TYPE_CHECKING:
    from apps.payments.models import Payment, PaymentNotification, Refund


class NotificationRejected(Exception):
    """A notify request we must not act on. `result` is a PaymentNotification.Result value."""

    def __init__(self, result: str, message: str, *, out_trade_no: str = "") -> None:
        super().__init__(message)
        self.result = result
        self.message = message
        self.out_trade_no = out_trade_no


class ProviderError(Exception):
    """The provider could not be reached or answered something we cannot trust."""


@dataclass(frozen=True)
class VerifiedNotification:
    """A notification whose signature checked out, in provider-neutral terms.

    status: "paid" (money received), "failed", "closed", or "ignored" (a state we do not act
    on, e.g. Alipay's WAIT_BUYER_PAY or a refund notice).
    nonce: non-empty when the provider signs a one-time nonce (the sandbox); a second
    notification with the same nonce is a replay.
    """

    out_trade_no: str
    trade_no: str
    amount: Decimal
    status: str
    paid_at: datetime | None = None
    nonce: str = ""
    extra: dict = field(default_factory=dict)

    PAID: ClassVar[str] = "paid"
    FAILED: ClassVar[str] = "failed"
    CLOSED: ClassVar[str] = "closed"
    IGNORED: ClassVar[str] = "ignored"


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    provider_refund_id: str = ""
    error: str = ""
    raw: dict = field(default_factory=dict)


class PaymentProvider:
    """Base class; subclasses set `name` and `label` and implement the three verbs."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # Headers worth keeping with each stored notification (lower-case names).
    notification_headers: ClassVar[tuple[str, ...]] = ("content-type", "user-agent")

    def start(self, payment: Payment) -> str:
        """The URL (absolute, or a path on this site) to send the shopper to for paying."""
        raise NotImplementedError

    def claimed_out_trade_no(self, raw: bytes) -> str:
        """The trade number an (unverified) notify body names, kept with it for the audit
        trail whatever the verdict; "" when it names none or cannot be read."""
        return ""

    def verify_notification(self, raw: bytes, headers: dict[str, str]) -> VerifiedNotification:
        """Check the signature and parse the notify request, or raise NotificationRejected."""
        raise NotImplementedError

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        """Send the money back. Must be safe to repeat for the same refund (out_request_no)."""
        raise NotImplementedError

    def acknowledge(self, notification: PaymentNotification) -> HttpResponse:
        """What this provider expects as the answer to its notify call."""
        raise NotImplementedError
