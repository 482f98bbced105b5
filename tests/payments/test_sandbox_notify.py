"""The notify endpoint with the sandbox provider: signatures, replays, idempotency, amounts."""

import time

import pytest

from apps.orders.models import Order, OrderEvent, PaymentOrder
from apps.payments.models import Payment, PaymentEvent, PaymentNotification, Refund
from apps.payments.providers.sandbox import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    canonical_body,
    signature_for,
    signed_headers,
)
from apps.payments.signals import refund_succeeded
from tests.payments.conftest import SECRET, send_raw

pytestmark = pytest.mark.django_db


def _statuses(payment_order):
    payment_order.refresh_from_db()
    return payment_order.status, sorted(payment_order.orders.values_list("status", flat=True))


def test_paid_notify_marks_payment_payment_order_and_every_store_order_paid(
    payment_order, make_payment, sandbox_notify
):
    payment = make_payment(payment_order)

    response = sandbox_notify(payment)

    assert response.status_code == 200
    assert response.json() == {"accepted": True, "result": "ok"}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert payment.provider_trade_no.startswith("SBX")
    assert payment.paid_at is not None
    assert _statuses(payment_order) == ("paid", ["paid", "paid"])
    assert list(payment.events.values_list("from_status", "to_status")) == [
        ("", "created"),
        ("created", "paid"),
    ]
    notification = PaymentNotification.objects.get()
    assert (notification.result, notification.is_processed, notification.payment) == (
        "ok",
        True,
        payment,
    )
    assert notification.out_trade_no == payment.out_trade_no
    assert set(notification.headers) >= {"x-sandbox-nonce", "x-sandbox-signature"}
    assert '"status":"paid"' in notification.body


def test_the_same_paid_notify_twice_pays_once_and_writes_one_set_of_events(
    payment_order, make_payment, sandbox_notify
):
    payment = make_payment(payment_order)
    sandbox_notify(payment)
    payment_events = PaymentEvent.objects.count()
    order_events = OrderEvent.objects.count()

    # The gateway retries: same facts, a freshly signed request (new nonce).
    again = sandbox_notify(payment)

    assert again.status_code == 200
    assert again.json() == {"accepted": True, "result": "duplicate"}
    assert PaymentEvent.objects.count() == payment_events
    assert OrderEvent.objects.count() == order_events
    assert list(PaymentNotification.objects.order_by("id").values_list("result", flat=True)) == [
        "ok",
        "duplicate",
    ]


def test_a_replayed_request_with_a_used_nonce_is_refused_and_logged(
    payment_order, make_payment, sandbox_notify, client, caplog
):
    payment = make_payment(payment_order)
    body = canonical_body(
        {
            "out_trade_no": payment.out_trade_no,
            "trade_no": "SBX1",
            "amount": f"{payment.amount:.2f}",
            "status": "failed",
            "paid_at": None,
        }
    )
    headers = signed_headers(secret=SECRET, body=body)
    assert send_raw(client, body, headers).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED

    replay = send_raw(client, body, headers)

    assert replay.status_code == 400
    assert replay.json() == {"accepted": False, "result": "replayed"}
    assert PaymentEvent.objects.filter(payment=payment).count() == 2
    assert "replayed" in caplog.text


def test_a_notify_signed_long_ago_is_refused_as_a_replay(
    payment_order, make_payment, sandbox_notify, settings
):
    payment = make_payment(payment_order)
    body = canonical_body({"out_trade_no": payment.out_trade_no, "amount": "129.80"})
    old = int(time.time()) - settings.PAYMENT_NOTIFY_MAX_AGE_SECONDS - 5

    response = sandbox_notify(
        payment, body=body, headers=signed_headers(secret=SECRET, body=body, timestamp=old)
    )

    assert response.status_code == 400
    assert response.json()["result"] == "replayed"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED
    assert PaymentNotification.objects.get().error.startswith("timestamp")


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "changed_body", "changed_nonce", "no_signature"],
)
def test_a_forged_or_tampered_notify_is_refused_recorded_and_changes_nothing(
    payment_order, make_payment, client, tamper, caplog
):
    payment = make_payment(payment_order)
    body = canonical_body(
        {
            "out_trade_no": payment.out_trade_no,
            "trade_no": "SBX1",
            "amount": f"{payment.amount:.2f}",
            "status": "paid",
            "paid_at": None,
        }
    )
    secret = "not-the-secret" if tamper == "wrong_secret" else SECRET
    headers = signed_headers(secret=secret, body=body)
    if tamper == "changed_body":
        body = body.replace(b"129.80", b"0.01")
    if tamper == "changed_nonce":
        headers[NONCE_HEADER] = "0" * 32
    if tamper == "no_signature":
        del headers[SIGNATURE_HEADER]

    response = send_raw(client, body, headers)

    assert response.status_code == 400
    assert response.json() == {"accepted": False, "result": "bad_signature"}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED
    assert _statuses(payment_order) == ("pending", ["pending_payment", "pending_payment"])
    notification = PaymentNotification.objects.get()
    assert (notification.result, notification.payment) == ("bad_signature", None)
    assert notification.body == body.decode()
    assert "bad_signature" in caplog.text


def test_signature_covers_timestamp_nonce_and_exact_body():
    body = b'{"amount":"1.00"}'

    signature = signature_for(secret="s", timestamp="1700000000", nonce="abcd1234", body=body)

    # HMAC-SHA256("s", "1700000000\nabcd1234\n" + body), computed independently.
    import hashlib
    import hmac

    expected = hmac.new(b"s", b'1700000000\nabcd1234\n{"amount":"1.00"}', hashlib.sha256)
    assert signature == expected.hexdigest()
    assert signature != signature_for(
        secret="s", timestamp="1700000001", nonce="abcd1234", body=body
    )
    headers = signed_headers(secret="s", body=body, timestamp=1700000000)
    assert headers[TIMESTAMP_HEADER] == "1700000000"
    assert len(headers[NONCE_HEADER]) == 32


def test_amount_mismatch_is_refused_and_the_payment_stays_unpaid(
    payment_order, make_payment, sandbox_notify
):
    payment = make_payment(payment_order)

    response = sandbox_notify(payment, amount="0.01")

    assert response.status_code == 400
    assert response.json() == {"accepted": False, "result": "amount_mismatch"}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED
    assert _statuses(payment_order) == ("pending", ["pending_payment", "pending_payment"])
    notification = PaymentNotification.objects.get()
    assert notification.payment == payment
    assert notification.error == "notified 0.01, expected 129.80"


def test_a_notify_for_an_unknown_trade_is_recorded_and_refused(payment_order, make_payment, client):
    body = canonical_body(
        {"out_trade_no": "T-NOPE", "trade_no": "x", "amount": "1.00", "status": "paid"}
    )

    response = send_raw(client, body, signed_headers(secret=SECRET, body=body))

    assert response.status_code == 400
    assert response.json() == {"accepted": False, "result": "unknown_order"}
    notification = PaymentNotification.objects.get()
    assert (notification.out_trade_no, notification.payment) == ("T-NOPE", None)


def test_a_failed_notify_fails_the_attempt_and_the_buyer_can_pay_again(
    payment_order, make_payment, sandbox_notify
):
    first = make_payment(payment_order)

    response = sandbox_notify(first, status="failed")

    assert response.json() == {"accepted": True, "result": "ok"}
    first.refresh_from_db()
    assert first.status == Payment.Status.FAILED
    assert _statuses(payment_order)[0] == "pending"
    second = make_payment(payment_order)
    assert second.pk != first.pk
    assert sandbox_notify(second).json()["result"] == "ok"
    assert _statuses(payment_order) == ("paid", ["paid", "paid"])


def test_a_paid_notify_after_the_order_was_cancelled_is_recorded_and_refunded(
    payment_order, make_payment, sandbox_notify
):
    from apps.orders.services.lifecycle import order_cancel

    payment = make_payment(payment_order)
    order_cancel(order=payment_order.orders.first(), actor=payment_order.buyer, reason="不想要了")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CLOSED  # closed with the payment order
    refunded = []

    def on_refund(sender, refund, **kwargs):
        refunded.append(refund.reference)

    refund_succeeded.connect(on_refund)
    try:
        response = sandbox_notify(payment)
    finally:
        refund_succeeded.disconnect(on_refund)

    assert response.status_code == 200
    assert response.json() == {"accepted": True, "result": "late_for_cancelled"}
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Payment.Status.REFUNDED, payment.amount)
    refund = Refund.objects.get()
    assert (refund.status, refund.amount, refund.reference) == (
        Refund.Status.SUCCEEDED,
        payment.amount,
        f"late:{payment.out_trade_no}",
    )
    assert refunded == [refund.reference]
    assert _statuses(payment_order) == ("cancelled", ["cancelled", "cancelled"])
    assert list(payment.events.values_list("to_status", flat=True)) == [
        "created",
        "closed",
        "paid",
        "refunded",
    ]


def test_a_second_attempt_paid_after_the_first_is_refunded_in_full(
    payment_order, make_payment, sandbox_notify
):
    first = make_payment(payment_order)
    # Another tab opened a second attempt before the first one was paid.
    second = Payment.objects.create(
        payment_order=payment_order,
        provider="sandbox",
        amount=payment_order.amount,
        out_trade_no="T-SECOND-TAB",
    )
    sandbox_notify(first)

    response = sandbox_notify(second)

    assert response.json() == {"accepted": True, "result": "duplicate_payment"}
    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, second.status) == (Payment.Status.PAID, Payment.Status.REFUNDED)
    assert Refund.objects.get().reference == "duplicate:T-SECOND-TAB"
    assert PaymentOrder.objects.get().status == "paid"
    assert Order.objects.filter(status="paid").count() == 2


@pytest.mark.parametrize("provider", ["alipay", "no-such-provider"])
def test_a_notify_for_a_provider_that_is_not_enabled_is_refused_before_anything_is_stored(
    client, provider
):
    response = client.post(
        f"/payments/notify/{provider}/", data="a=1" * 20_000, content_type="text/plain"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "payment_provider_unknown"
    assert set(response.json()) == {"code", "message", "fields"}
    assert not PaymentNotification.objects.exists()


def test_an_oversized_notify_is_stored_cut_to_the_bound_and_refused(
    payment_order, make_payment, client, settings
):
    settings.PAYMENT_NOTIFY_MAX_BYTES = 1024
    payment = make_payment(payment_order)
    body = canonical_body(
        {
            "out_trade_no": payment.out_trade_no,
            "amount": "1.00",
            "status": "paid",
            "pad": "x" * 5000,
        }
    )

    response = send_raw(client, body, signed_headers(secret=SECRET, body=body))

    assert response.status_code == 400
    notification = PaymentNotification.objects.get()
    assert notification.result == "invalid"
    assert len(notification.body.encode()) == 1024
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED


def test_a_refused_notify_keeps_the_trade_number_it_named(payment_order, make_payment, client):
    payment = make_payment(payment_order)
    body = canonical_body(
        {"out_trade_no": payment.out_trade_no, "amount": "0.01", "status": "paid", "paid_at": None}
    )

    response = send_raw(client, body, signed_headers(secret="forged", body=body))

    assert response.status_code == 400
    notification = PaymentNotification.objects.get()
    assert (notification.result, notification.out_trade_no) == (
        "bad_signature",
        payment.out_trade_no,
    )
    assert notification.payment is None


def test_junk_posts_to_the_notify_endpoint_are_bounded_and_rate_limited(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "payment_notify": "20/m",
        },
    }
    junk = b"x" * 60_000

    answers = [
        client.post("/payments/notify/sandbox/", junk, content_type="application/json")
        for _ in range(30)
    ]

    assert [a.status_code for a in answers].count(429) == 10
    assert PaymentNotification.objects.count() == 20
    stored = sum(len(n.body.encode()) for n in PaymentNotification.objects.all())
    assert stored <= 20 * settings.PAYMENT_NOTIFY_MAX_BYTES


def test_the_notify_endpoint_needs_no_csrf_token(payment_order, make_payment):
    from django.test import Client

    payment = make_payment(payment_order)
    body = canonical_body(
        {
            "out_trade_no": payment.out_trade_no,
            "trade_no": "SBX1",
            "amount": f"{payment.amount:.2f}",
            "status": "paid",
            "paid_at": None,
        }
    )

    response = send_raw(
        Client(enforce_csrf_checks=True), body, signed_headers(secret=SECRET, body=body)
    )

    assert response.status_code == 200
    assert response.json()["result"] == "ok"


def test_a_crash_while_applying_rolls_back_and_asks_the_provider_to_retry(
    payment_order, make_payment, sandbox_notify, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("apps.payments.services.payment_order_mark_paid", broken)
    payment = make_payment(payment_order)

    response = sandbox_notify(payment)

    assert response.status_code == 500
    assert response.json() == {"accepted": False, "result": "error"}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED  # the paid transition was rolled back
    assert payment.events.count() == 1
    notification = PaymentNotification.objects.get()
    assert (notification.is_processed, notification.nonce) == (False, "")
    assert "database went away" in notification.error

    monkeypatch.undo()
    assert sandbox_notify(payment).json()["result"] == "ok"


def test_deploy_check_warns_about_a_sandbox_left_on_the_default_secret(settings):
    from apps.payments.checks import DEFAULT_SANDBOX_SECRET, sandbox_secret_check

    assert sandbox_secret_check(None) == []  # tests use their own secret
    settings.PAYMENT_SANDBOX_SECRET = DEFAULT_SANDBOX_SECRET

    assert [w.id for w in sandbox_secret_check(None)] == ["payments.W001"]
