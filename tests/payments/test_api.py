"""REST API: start a payment, read its status; the notify endpoint in the OpenAPI schema."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from apps.payments.models import Payment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_starting_a_payment_returns_where_to_send_the_buyer(api_client, payment_order):
    api_client.force_authenticate(payment_order.buyer)

    response = api_client.post(
        "/api/v1/payments/",
        {"payment_order": payment_order.number, "provider": "sandbox"},
        format="json",
    )

    assert response.status_code == 201
    payment = Payment.objects.get()
    assert response.json() == {
        "out_trade_no": payment.out_trade_no,
        "payment_order": payment_order.number,
        "payment_order_status": "pending",
        "provider": "sandbox",
        "amount": "129.80",
        "status": "created",
        "refunded_amount": "0.00",
        "redirect_url": f"http://testserver/pay/sandbox/{payment.out_trade_no}/",
        "paid_at": None,
        "created_at": response.json()["created_at"],
    }


def test_the_status_follows_the_notify(api_client, payment_order, make_payment, sandbox_notify):
    payment = make_payment(payment_order)
    api_client.force_authenticate(payment_order.buyer)
    before = api_client.get(f"/api/v1/payments/{payment.out_trade_no}/").json()

    sandbox_notify(payment)
    after = api_client.get(f"/api/v1/payments/{payment.out_trade_no}/").json()

    assert (before["status"], before["payment_order_status"]) == ("created", "pending")
    assert (after["status"], after["payment_order_status"]) == ("paid", "paid")
    assert after["paid_at"] is not None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"payment_order": "PO-NOPE", "provider": "sandbox"}, 404, "payment_not_found"),
        ({"provider": "sandbox"}, 400, "invalid"),
        ({"payment_order": None, "provider": "alipay"}, 400, "payment_provider_unavailable"),
    ],
)
def test_bad_start_requests_get_a_clear_error(api_client, payment_order, body, status, code):
    api_client.force_authenticate(payment_order.buyer)
    if body.get("payment_order", "") is None:
        body["payment_order"] = payment_order.number

    response = api_client.post("/api/v1/payments/", body, format="json")

    assert response.status_code == status
    assert response.json()["code"] == code
    assert Payment.objects.count() == 0


def test_another_user_cannot_start_or_read_the_payment(api_client, payment_order, make_payment):
    payment = make_payment(payment_order)
    api_client.force_authenticate(UserFactory())

    start = api_client.post(
        "/api/v1/payments/",
        {"payment_order": payment_order.number, "provider": "sandbox"},
        format="json",
    )
    read = api_client.get(f"/api/v1/payments/{payment.out_trade_no}/")

    assert (start.status_code, read.status_code) == (404, 404)
    assert Payment.objects.count() == 1


def test_anonymous_callers_are_refused(api_client, payment_order):
    response = api_client.post(
        "/api/v1/payments/",
        {"payment_order": payment_order.number, "provider": "sandbox"},
        format="json",
    )

    assert response.status_code in (401, 403)
    assert Payment.objects.count() == 0


def test_a_paid_payment_order_cannot_be_started_again(
    api_client, payment_order, make_payment, sandbox_notify
):
    sandbox_notify(make_payment(payment_order))
    api_client.force_authenticate(payment_order.buyer)

    response = api_client.post(
        "/api/v1/payments/",
        {"payment_order": payment_order.number, "provider": "sandbox"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "payment_order_not_pending"
    assert Payment.objects.count() == 1


def test_the_schema_documents_payments_and_the_notify_endpoint_without_warnings():
    GENERATOR_STATS.reset()

    schema = SchemaGenerator().get_schema(request=None, public=True)

    warnings = [w for w in GENERATOR_STATS._warn_cache if "ayment" in w or "otif" in w]
    errors = [e for e in GENERATOR_STATS._error_cache if "ayment" in e or "otif" in e]
    assert (warnings, errors) == ([], [])
    notify = schema["paths"]["/payments/notify/{provider}/"]["post"]
    assert set(notify["requestBody"]["content"]) == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    assert set(notify["responses"]) == {"200", "400", "404", "429"}
    assert set(notify["responses"]["200"]["content"]) == {"application/json", "text/plain"}
    assert notify.get("security", []) in ([], [{}])
    assert {p["name"] for p in notify["parameters"]} == {
        "provider",
        "X-Sandbox-Timestamp",
        "X-Sandbox-Nonce",
        "X-Sandbox-Signature",
    }
    assert set(schema["paths"]["/api/v1/payments/"]) == {"post"}
    assert set(schema["paths"]["/api/v1/payments/{out_trade_no}/"]) == {"get"}
