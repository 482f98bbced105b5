"""The sandbox provider: a cashier page on this site and an HMAC-signed asynchronous notify.

It behaves like a real gateway seen from the server: the shopper's click on the cashier page
only queues a task; the task then POSTs a signed notification to /payments/notify/sandbox/
over real HTTP, and only that notification changes the payment.

Wire format of the notify:
  body       canonical JSON (sorted keys, no spaces, UTF-8): out_trade_no, trade_no,
             amount ("12.30"), status ("paid" | "failed"), paid_at (ISO 8601, or null)
  headers    X-Sandbox-Timestamp (Unix seconds), X-Sandbox-Nonce (random hex),
             X-Sandbox-Signature = hex HMAC-SHA256(secret, f"{timestamp}\\n{nonce}\\n" + body)
A notify whose timestamp is more than PAYMENT_NOTIFY_MAX_AGE_SECONDS away from our clock, or
whose nonce was already used, is refused as a replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.payments.providers.base import (
    NotificationRejected,
    PaymentProvider,
    ProviderError,
    RefundResult,
    VerifiedNotification,
)

if TYPE_CHECKING:
    from apps.payments.models import Payment, PaymentNotification, Refund

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
NONCE_HEADER = "X-Sandbox-Nonce"
SIGNATURE_HEADER = "X-Sandbox-Signature"
OUTCOMES = ("paid", "failed")
NOTIFY_TIMEOUT_SECONDS = 10


def canonical_body(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature_for(*, secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = f"{timestamp}\n{nonce}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(*, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: ts,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature_for(secret=secret, timestamp=ts, nonce=nonce, body=body),
    }


def urllib_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """The real HTTP transport. Tests may swap `http_post` for one using Django's test client."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise ProviderError(f"notify POST to {url} failed: {exc}") from exc


http_post: Callable[[str, bytes, dict[str, str]], tuple[int, bytes]] = urllib_post


def sandbox_trade_no(out_trade_no: str) -> str:
    # Stable per payment, as a real gateway's trade number is across its notify retries.
    return "SBX" + hashlib.sha256(out_trade_no.encode()).hexdigest()[:20].upper()


class SandboxProvider(PaymentProvider):
    name = "sandbox"
    label = _("模拟支付(演示)")
    notification_headers = (
        "content-type",
        "user-agent",
        TIMESTAMP_HEADER.lower(),
        NONCE_HEADER.lower(),
        SIGNATURE_HEADER.lower(),
    )

    @property
    def secret(self) -> str:
        return settings.PAYMENT_SANDBOX_SECRET

    def start(self, payment: Payment) -> str:
        return reverse("payments:sandbox_cashier", kwargs={"out_trade_no": payment.out_trade_no})

    # --- the "gateway" side: what the sandbox sends ------------------------------------------

    def notification_payload(self, payment: Payment, outcome: str) -> dict:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown sandbox outcome {outcome!r}")
        return {
            "out_trade_no": payment.out_trade_no,
            "trade_no": sandbox_trade_no(payment.out_trade_no),
            "amount": f"{payment.amount:.2f}",
            "status": outcome,
            "paid_at": timezone.now().isoformat() if outcome == "paid" else None,
        }

    def notify_url(self) -> str:
        return settings.SITE_URL + reverse("payments:notify", kwargs={"provider": self.name})

    def send_notification(self, payment: Payment, outcome: str) -> tuple[int, bytes]:
        """POST a freshly signed notification to our own notify endpoint, over HTTP."""
        body = canonical_body(self.notification_payload(payment, outcome))
        headers = signed_headers(secret=self.secret, body=body)
        status, answer = http_post(self.notify_url(), body, headers)
        logger.info("sandbox notify %s %s → HTTP %s", payment.out_trade_no, outcome, status)
        return status, answer

    # --- the merchant side: what our server checks -------------------------------------------

    def claimed_out_trade_no(self, raw: bytes) -> str:
        try:
            data = json.loads(raw)
        except ValueError:
            return ""
        value = data.get("out_trade_no") if isinstance(data, dict) else None
        return value if isinstance(value, str) else ""

    def verify_notification(self, raw: bytes, headers: dict[str, str]) -> VerifiedNotification:
        timestamp = headers.get(TIMESTAMP_HEADER.lower(), "")
        nonce = headers.get(NONCE_HEADER.lower(), "")
        signature = headers.get(SIGNATURE_HEADER.lower(), "")
        if not (timestamp and nonce and signature):
            raise NotificationRejected("bad_signature", "missing signature headers")
        expected = signature_for(secret=self.secret, timestamp=timestamp, nonce=nonce, body=raw)
        if not hmac.compare_digest(expected, signature):
            raise NotificationRejected("bad_signature", "HMAC signature does not match")
        try:
            sent_at = int(timestamp)
        except ValueError as exc:
            raise NotificationRejected("invalid", "timestamp is not an integer") from exc
        if abs(time.time() - sent_at) > settings.PAYMENT_NOTIFY_MAX_AGE_SECONDS:
            raise NotificationRejected("replayed", f"timestamp {sent_at} is outside the window")
        if not 8 <= len(nonce) <= 64:
            raise NotificationRejected("invalid", "nonce length out of range")
        try:
            data = json.loads(raw)
            out_trade_no = str(data["out_trade_no"])
            amount = Decimal(str(data["amount"]))
            status = str(data["status"])
            paid_at = datetime.fromisoformat(data["paid_at"]) if data.get("paid_at") else None
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise NotificationRejected("invalid", f"unreadable body: {exc}") from exc
        if status not in OUTCOMES:
            raise NotificationRejected("invalid", f"unknown status {status!r}")
        return VerifiedNotification(
            out_trade_no=out_trade_no,
            trade_no=str(data.get("trade_no", "")),
            amount=amount,
            status=VerifiedNotification.PAID if status == "paid" else VerifiedNotification.FAILED,
            paid_at=paid_at,
            nonce=nonce,
        )

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        # The sandbox always manages to send the money back; the id is stable per request.
        refund_id = "SBR" + hashlib.sha256(refund.out_request_no.encode()).hexdigest()[:20].upper()
        return RefundResult(succeeded=True, provider_refund_id=refund_id)

    def acknowledge(self, notification: PaymentNotification) -> HttpResponse:
        if notification.is_accepted:
            status = 200
        elif notification.result == "error":
            status = 500
        else:
            status = 400
        body = {"accepted": notification.is_accepted, "result": notification.result}
        return JsonResponse(body, status=status)
