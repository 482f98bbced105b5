"""The sandbox cashier while Redis (cache and broker) is down: the click answers, the payment
is paid as soon as the broker is back (the notify waits in the outbox)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_dispatch
from apps.payments.models import Payment
from tests.conftest import closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer_client(client, payment_order):
    client.force_login(payment_order.buyer)
    return client


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.FailSafeRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }


def test_the_paid_click_answers_while_redis_is_down_and_the_payment_is_paid_when_it_is_back(
    buyer_client,
    payment_order,
    make_payment,
    sandbox_over_test_client,
    cache_down,
    broker_down,
    after_commit,
):
    payment = make_payment(payment_order)

    with after_commit():
        click = buyer_client.post(f"/pay/sandbox/{payment.out_trade_no}/", {"outcome": "paid"})
    waiting = buyer_client.get(click["Location"])

    assert click.status_code == 302
    assert waiting.status_code == 200
    assert "正在确认支付结果" in waiting.content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED

    # Redis is back: beat's dispatcher delivers the notify
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    outbox_dispatch()

    payment.refresh_from_db()
    payment_order.refresh_from_db()
    assert (payment.status, payment_order.status) == ("paid", "paid")
    assert "支付成功" in buyer_client.get(click["Location"]).content.decode()
    assert OutboxMessage.objects.get(kind="payments.sandbox_notify").attempts == 1
