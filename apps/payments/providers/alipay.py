"""Alipay (支付宝开放平台) adapter: page pay, asynchronous notify, refund. RSA2 only.

The signing scheme, as Alipay documents it and its official SDKs implement it:

* Requests (alipay.trade.page.pay, alipay.trade.refund): take every parameter except `sign`
  and except empty values (`sign_type` IS included), sort by key (byte order), join as
  `key=value` with `&` using the raw, un-encoded values; sign the UTF-8 bytes with the app's
  private key, RSA PKCS#1 v1.5 over SHA-256; `sign` = base64 of that. The parameters are then
  URL-encoded for transport (a GET to the gateway for page pay, a form POST for refund).
* Asynchronous notifications: URL-decode the posted form, drop `sign` AND `sign_type`, sort
  the rest, join `key=value` with `&`, verify `sign` with Alipay's public key.
* Synchronous responses ({"alipay_trade_refund_response": {...}, "sign": "..."}): the signed
  content is the exact JSON text of the `..._response` object as received (not re-serialised).

Nothing here touches the network except `urllib_transport`, the default transport for refund
calls; tests and callers inject their own. The gateway URL otherwise only prefixes the
redirect URL given to the shopper's browser.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.http import HttpResponse
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

BEIJING = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SIGN_TYPE = "RSA2"
SUCCESS_CODE = "10000"
PAID_STATUSES = {"TRADE_SUCCESS", "TRADE_FINISHED"}
REFUND_TIMEOUT_SECONDS = 15

Transport = Callable[[str, bytes, dict[str, str]], bytes]


# --- keys and signatures ----------------------------------------------------------------------


def _pem_body(text: str) -> bytes:
    """Alipay's console shows keys as bare base64; accept that as well as PEM."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return base64.b64decode("".join(line for line in lines if not line.startswith("-----")))


def load_private_key(text: str | bytes | rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    if isinstance(text, rsa.RSAPrivateKey):
        return text
    raw = text.decode() if isinstance(text, bytes) else text
    if "-----BEGIN" in raw:
        key = serialization.load_pem_private_key(raw.encode(), password=None)
    else:  # PKCS#8 or PKCS#1 DER, as base64
        key = serialization.load_der_private_key(_pem_body(raw), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("Alipay app private key must be an RSA key")
    return key


def load_public_key(text: str | bytes | rsa.RSAPublicKey) -> rsa.RSAPublicKey:
    if isinstance(text, rsa.RSAPublicKey):
        return text
    raw = text.decode() if isinstance(text, bytes) else text
    if "-----BEGIN" in raw:
        key = serialization.load_pem_public_key(raw.encode())
    else:  # X.509 SubjectPublicKeyInfo DER, as base64
        key = serialization.load_der_public_key(_pem_body(raw))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("Alipay public key must be an RSA key")
    return key


def request_sign_content(params: Mapping[str, str]) -> str:
    """The string a request's `sign` covers: all but `sign` and empty values, sorted."""
    items = sorted((k, v) for k, v in params.items() if k != "sign" and v not in ("", None))
    return "&".join(f"{k}={v}" for k, v in items)


def notify_sign_content(params: Mapping[str, str]) -> str:
    """The string a notification's `sign` covers: all but `sign` and `sign_type`, sorted."""
    items = sorted((k, v) for k, v in params.items() if k not in ("sign", "sign_type"))
    return "&".join(f"{k}={v}" for k, v in items)


def rsa2_sign(private_key: rsa.RSAPrivateKey, content: str) -> str:
    signature = private_key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(public_key: rsa.RSAPublicKey, content: str, sign: str) -> bool:
    try:
        signature = base64.b64decode(sign, validate=True)
        public_key.verify(signature, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def signed_response_content(raw: str, method: str) -> tuple[str, str]:
    """The exact text of the `<method>_response` (or `error_response`) object, and `sign`.

    Alipay signs the response object's bytes as sent, so it is cut out of the raw text rather
    than re-serialised (key order and escapes must stay exactly as received).
    """
    document = json.loads(raw)
    for key in (method.replace(".", "_") + "_response", "error_response"):
        marker = raw.find(f'"{key}"')
        if marker == -1 or key not in document:
            continue
        start = raw.index("{", raw.index(":", marker + len(key) + 2))
        _, end = json.JSONDecoder().raw_decode(raw, start)
        return raw[start:end], str(document.get("sign", ""))
    raise ValueError(f"no {method} response object in Alipay's answer")


def urllib_transport(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=REFUND_TIMEOUT_SECONDS) as response:
            return response.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise ProviderError(f"Alipay gateway unreachable: {exc}") from exc


def _beijing_time(value: datetime) -> str:
    return value.astimezone(BEIJING).strftime(TIME_FORMAT)


class AlipayProvider(PaymentProvider):
    name = "alipay"
    label = _("支付宝")

    def __init__(
        self,
        *,
        app_id: str,
        app_private_key: str | rsa.RSAPrivateKey,
        alipay_public_key: str | rsa.RSAPublicKey,
        gateway: str = "https://openapi.alipay.com/gateway.do",
        seller_id: str = "",
        transport: Transport | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not app_id:
            raise ValueError("Alipay needs an app_id")
        self.app_id = app_id
        self.private_key = load_private_key(app_private_key)
        self.alipay_public_key = load_public_key(alipay_public_key)
        self.gateway = gateway
        self.seller_id = seller_id
        self.transport = transport or urllib_transport
        self.clock = clock or timezone.now

    # --- requests --------------------------------------------------------------------------

    def build_request(
        self,
        method: str,
        biz_content: dict,
        *,
        notify_url: str = "",
        return_url: str = "",
    ) -> dict[str, str]:
        """The common parameters plus biz_content, signed (the dict includes `sign`)."""
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": SIGN_TYPE,
            "timestamp": _beijing_time(self.clock()),
            "version": "1.0",
            "notify_url": notify_url,
            "return_url": return_url,
            "biz_content": json.dumps(biz_content, ensure_ascii=False, separators=(",", ":")),
        }
        params = {k: v for k, v in params.items() if v}
        params["sign"] = rsa2_sign(self.private_key, request_sign_content(params))
        return params

    def page_pay_params(self, payment: Payment) -> dict[str, str]:
        payment_order = payment.payment_order
        biz_content = {
            "out_trade_no": payment.out_trade_no,
            "total_amount": f"{payment.amount:.2f}",
            "subject": f"田间订单 {payment_order.number}",
            "product_code": "FAST_INSTANT_TRADE_PAY",
            # Alipay closes the trade when our payment order expires, so no late payments.
            "time_expire": _beijing_time(payment_order.expires_at),
        }
        site = settings.SITE_URL
        return self.build_request(
            "alipay.trade.page.pay",
            biz_content,
            notify_url=site + reverse("payments:notify", kwargs={"provider": self.name}),
            return_url=site + reverse("payments:result", kwargs={"number": payment_order.number}),
        )

    def start(self, payment: Payment) -> str:
        return f"{self.gateway}?{urlencode(self.page_pay_params(payment))}"

    # --- notifications ---------------------------------------------------------------------

    def parse_notification(self, raw: bytes) -> dict[str, str]:
        text = raw.decode("ascii", errors="strict")  # form-encoded bodies are plain ASCII
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, encoding="utf-8")
        charset = dict(pairs).get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, encoding=charset)
        params = dict(pairs)
        if len(params) != len(pairs):
            raise ValueError("a parameter appears twice")
        return params

    def claimed_out_trade_no(self, raw: bytes) -> str:
        try:
            return self.parse_notification(raw).get("out_trade_no", "")
        except (ValueError, LookupError):
            return ""

    def verify_notification(self, raw: bytes, headers: dict[str, str]) -> VerifiedNotification:
        try:
            params = self.parse_notification(raw)
        except (ValueError, LookupError) as exc:
            raise NotificationRejected("invalid", f"unreadable form body: {exc}") from exc
        out_trade_no = params.get("out_trade_no", "")
        sign = params.get("sign", "")
        if not sign:
            raise NotificationRejected("bad_signature", "no sign", out_trade_no=out_trade_no)
        if params.get("sign_type", SIGN_TYPE) != SIGN_TYPE:
            raise NotificationRejected(
                "bad_signature", f"sign_type {params['sign_type']!r}", out_trade_no=out_trade_no
            )
        if not rsa2_verify(self.alipay_public_key, notify_sign_content(params), sign):
            raise NotificationRejected(
                "bad_signature", "RSA2 signature does not verify", out_trade_no=out_trade_no
            )
        # Signed by Alipay, but for another merchant's app: not ours to act on.
        if params.get("app_id") != self.app_id:
            raise NotificationRejected(
                "invalid", f"app_id {params.get('app_id')!r} is not ours", out_trade_no=out_trade_no
            )
        if self.seller_id and params.get("seller_id") != self.seller_id:
            raise NotificationRejected(
                "invalid", "seller_id is not ours", out_trade_no=out_trade_no
            )
        try:
            amount = Decimal(params["total_amount"])
        except (KeyError, InvalidOperation) as exc:
            raise NotificationRejected(
                "invalid", "missing or bad total_amount", out_trade_no=out_trade_no
            ) from exc
        if not out_trade_no:
            raise NotificationRejected("invalid", "missing out_trade_no")
        trade_status = params.get("trade_status", "")
        is_refund_notice = bool(params.get("out_biz_no") or params.get("gmt_refund"))
        if is_refund_notice:
            # Refunds are booked from the refund call's own signed answer, not from this.
            status = VerifiedNotification.IGNORED
        elif trade_status in PAID_STATUSES:
            status = VerifiedNotification.PAID
        elif trade_status == "TRADE_CLOSED":
            status = VerifiedNotification.CLOSED
        else:  # WAIT_BUYER_PAY and anything new
            status = VerifiedNotification.IGNORED
        paid_at = None
        if params.get("gmt_payment"):
            try:
                paid_at = datetime.strptime(params["gmt_payment"], TIME_FORMAT).replace(
                    tzinfo=BEIJING
                )
            except ValueError:
                paid_at = None
        return VerifiedNotification(
            out_trade_no=out_trade_no,
            trade_no=params.get("trade_no", ""),
            amount=amount,
            status=status,
            paid_at=paid_at,
            extra={"trade_status": trade_status, "notify_id": params.get("notify_id", "")},
        )

    def acknowledge(self, notification: PaymentNotification) -> HttpResponse:
        # Alipay stops retrying only on the bare text "success".
        if notification.is_accepted:
            return HttpResponse("success", content_type="text/plain")
        status = 500 if notification.result == "error" else 400
        return HttpResponse("fail", content_type="text/plain", status=status)

    # --- refunds ---------------------------------------------------------------------------

    def refund_params(self, payment: Payment, refund: Refund) -> dict[str, str]:
        biz_content = {
            "out_trade_no": payment.out_trade_no,
            "refund_amount": f"{refund.amount:.2f}",
            # Same out_request_no on a retry: Alipay refunds it once.
            "out_request_no": refund.out_request_no,
            "refund_reason": refund.reason[:256],
        }
        if payment.provider_trade_no:
            biz_content["trade_no"] = payment.provider_trade_no
        return self.build_request("alipay.trade.refund", biz_content)

    def verify_response(self, raw: str, method: str) -> dict:
        content, sign = signed_response_content(raw, method)
        if not sign or not rsa2_verify(self.alipay_public_key, content, sign):
            raise ProviderError(f"{method}: response signature does not verify")
        return json.loads(content)

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        method = "alipay.trade.refund"
        body = urlencode(self.refund_params(payment, refund)).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
        try:
            raw = self.transport(self.gateway, body, headers).decode("utf-8")
            answer = self.verify_response(raw, method)
        except (ProviderError, ValueError, UnicodeDecodeError) as exc:
            # Unknown outcome: the refund stays retryable under the same out_request_no.
            logger.error("Alipay refund %s: %s", refund.out_request_no, exc)
            return RefundResult(succeeded=False, error=str(exc)[:500])
        if answer.get("code") != SUCCESS_CODE:
            error = f"{answer.get('code')} {answer.get('sub_code', '')} {answer.get('sub_msg', '')}"
            return RefundResult(succeeded=False, error=error.strip(), raw=answer)
        return RefundResult(
            succeeded=True, provider_refund_id=str(answer.get("trade_no", "")), raw=answer
        )
