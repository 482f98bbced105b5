"""The sandbox's notify over real HTTP: the task signs and POSTs to a running server."""

import urllib.request

import pytest
from django.conf import settings

from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_message_deliver
from apps.payments.models import Payment, PaymentNotification
from apps.payments.services import sandbox_payment_simulate

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The live server's thread shares SQLite's in-memory test database, whose table locks make
    # the notify's write collide with the test's own; CI runs these on PostgreSQL.
    pytest.mark.skipif(
        "sqlite" in settings.DATABASES["default"]["ENGINE"],
        reason="needs a database that serves two threads at once (PostgreSQL)",
    ),
]


@pytest.fixture
def server(live_server):
    """The live server, warmed up: its first request imports every app's URLs and views,
    which on a busy machine can outlast the sandbox's 10-second notify timeout."""
    with urllib.request.urlopen(live_server.url + "/accounts/login/", timeout=60) as response:
        assert response.status == 200
    return live_server


def test_the_cashier_click_reaches_the_server_as_a_signed_http_notify(
    server, settings, client, payment_order, make_payment
):
    settings.SITE_URL = server.url
    payment = make_payment(payment_order)
    client.force_login(payment_order.buyer)

    response = client.post(f"/pay/sandbox/{payment.out_trade_no}/", {"outcome": "paid"})

    assert response.status_code == 302
    payment.refresh_from_db()
    payment_order.refresh_from_db()
    assert (payment.status, payment_order.status) == ("paid", "paid")
    notification = PaymentNotification.objects.get()
    assert notification.result == "ok"
    assert notification.remote_addr == "127.0.0.1"
    assert notification.headers["user-agent"].startswith("Python-urllib")
    assert len(notification.headers["x-sandbox-signature"]) == 64


def test_an_unreachable_server_changes_nothing_and_the_notify_is_retried_until_it_arrives(
    server, settings, payment_order, make_payment
):
    payment = make_payment(payment_order)
    settings.SITE_URL = "http://127.0.0.1:9"  # discard port: nothing listens there

    sandbox_payment_simulate(payment=payment, outcome="failed")

    # The failure is kept on the row (the warning log line says the same, but another test's
    # logging set-up can disable loggers, so the row is what we check).
    message = OutboxMessage.objects.get()
    assert (message.attempts, message.is_delivered) == (1, False)
    assert "URLError" in message.last_error or "Connection" in message.last_error
    assert Payment.objects.get().status == "created"
    assert PaymentNotification.objects.count() == 0

    settings.SITE_URL = server.url
    assert outbox_message_deliver(message_id=message.pk) is True

    message.refresh_from_db()
    assert (message.attempts, message.is_delivered) == (2, True)
    assert Payment.objects.get().status == "failed"
    assert outbox_message_deliver(message_id=message.pk) is False  # delivered once only
    assert PaymentNotification.objects.count() == 1
