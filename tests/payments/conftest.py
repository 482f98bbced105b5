import itertools
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from apps.orders.models import Order, PaymentOrder
from apps.payments.models import Payment
from apps.payments.providers import sandbox
from apps.payments.providers.sandbox import canonical_body, signed_headers

_numbers = itertools.count(1)
SECRET = "test-sandbox-secret"
SANDBOX_NOTIFY_PATH = "/payments/notify/sandbox/"


@pytest.fixture(autouse=True)
def _payment_settings(settings):
    settings.PAYMENT_SANDBOX_SECRET = SECRET
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def make_payment_order(shopper, store_a, store_b):
    """A pending checkout of `amounts`, one store order per amount (stores a, b, a, …)."""

    def make(
        *,
        buyer=None,
        amounts=("59.90", "69.90"),
        expires_in=timedelta(minutes=30),
        method=PaymentOrder.Method.ONLINE,
    ) -> PaymentOrder:
        n = next(_numbers)
        buyer = buyer or shopper
        total = sum((Decimal(a) for a in amounts), Decimal("0.00"))
        payment_order = PaymentOrder.objects.create(
            number=f"PO{n:010d}",
            buyer=buyer,
            amount=total,
            method=method,
            idempotency_key=f"key-{n}",
            expires_at=timezone.now() + expires_in,
        )
        for i, amount in enumerate(amounts):
            Order.objects.create(
                number=f"OD{n:06d}{i:02d}",
                payment_order=payment_order,
                buyer=buyer,
                store=(store_a, store_b)[i % 2],
                address={"contact_name": "王小明", "full_text": "黑龙江省哈尔滨市五常市"},
                goods_amount=Decimal(amount),
                total_amount=Decimal(amount),
                commission_rate=Decimal("0.0500"),
            )
        return payment_order

    return make


@pytest.fixture
def payment_order(make_payment_order):
    return make_payment_order()


@pytest.fixture
def make_payment():
    """A created sandbox payment, made through payment_start (as the shopper's click does)."""
    from apps.payments.services import payment_start

    def make(payment_order, provider="sandbox") -> Payment:
        return payment_start(
            payment_order=payment_order, provider=provider, actor=payment_order.buyer
        )

    return make


@pytest.fixture
def sandbox_notify(client):
    """POST a signed sandbox notify through the Django test client; returns the response."""

    def post(payment: Payment, *, status="paid", amount=None, headers=None, body=None, **fields):
        payload = {
            "out_trade_no": payment.out_trade_no,
            "trade_no": sandbox.sandbox_trade_no(payment.out_trade_no),
            "amount": amount if amount is not None else f"{payment.amount:.2f}",
            "status": status,
            "paid_at": timezone.now().isoformat() if status == "paid" else None,
            **fields,
        }
        body = body if body is not None else canonical_body(payload)
        headers = headers if headers is not None else signed_headers(secret=SECRET, body=body)
        return send_raw(client, body, headers)

    return post


def send_raw(client: Client, body: bytes, headers: dict[str, str], path=SANDBOX_NOTIFY_PATH):
    extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    content_type = headers.get("Content-Type", "application/json")
    return client.post(path, data=body, content_type=content_type, headers=extra)


@pytest.fixture
def sandbox_over_test_client(monkeypatch):
    """Deliver the sandbox task's signed POST through Django's test client (no server)."""
    client = Client()

    def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        response = send_raw(client, body, headers, path=urlsplit(url).path)
        return response.status_code, response.content

    monkeypatch.setattr(sandbox, "http_post", post)


@pytest.fixture
def divisions(db):
    """The division rows the orders helpers' addresses use (gone after a flushed test)."""
    from apps.orders.models import Division
    from apps.orders.services.divisions import divisions_load
    from tests.orders.conftest import COUNTIES

    if Division.objects.filter(code__in=COUNTIES).count() < len(COUNTIES):
        divisions_load(prefixes=COUNTIES)
