"""Notifications racing each other (and the timeout job) on PostgreSQL, with real threads."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.orders.models import OrderEvent, PaymentOrder
from apps.orders.services.lifecycle import payment_orders_cancel_expired
from apps.payments.models import Payment, PaymentEvent, Refund
from apps.payments.providers.sandbox import canonical_body, sandbox_trade_no, signed_headers
from apps.payments.services import payment_handle_notification
from tests.payments.conftest import SECRET

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(*jobs):
    """Start every job at the same moment, each in its own thread and DB connection."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def run(i, job):
        try:
            barrier.wait(timeout=10)
            results[i] = job()
        except Exception as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def _paid_body(payment: Payment) -> bytes:
    return canonical_body(
        {
            "out_trade_no": payment.out_trade_no,
            "trade_no": sandbox_trade_no(payment.out_trade_no),
            "amount": f"{payment.amount:.2f}",
            "status": "paid",
            "paid_at": timezone.now().isoformat(),
        }
    )


def _notify(body: bytes, headers: dict[str, str]):
    return lambda: payment_handle_notification(provider="sandbox", raw=body, headers=headers).result


def test_two_identical_notifies_at_once_make_one_transition(payment_order, make_payment):
    payment = make_payment(payment_order)
    body = _paid_body(payment)
    headers = signed_headers(secret=SECRET, body=body)

    results = _run_together(_notify(body, headers), _notify(body, headers))

    assert sorted(results) == ["ok", "replayed"]
    assert PaymentEvent.objects.filter(payment=payment, to_status="paid").count() == 1
    assert OrderEvent.objects.filter(to_status="paid").count() == 2
    assert PaymentOrder.objects.get().status == "paid"


def test_retries_of_one_payment_racing_each_other_pay_once(payment_order, make_payment):
    payment = make_payment(payment_order)
    jobs = []
    for _ in range(4):
        body = _paid_body(payment)
        jobs.append(_notify(body, signed_headers(secret=SECRET, body=body)))

    results = _run_together(*jobs)

    assert sorted(results) == ["duplicate", "duplicate", "duplicate", "ok"]
    assert PaymentEvent.objects.filter(to_status="paid").count() == 1
    assert OrderEvent.objects.filter(to_status="paid").count() == 2


def test_a_payment_racing_the_timeout_is_either_kept_or_refunded_never_lost(
    make_payment_order, make_payment
):
    payment_order = make_payment_order(expires_in=timedelta(minutes=1))
    payment = make_payment(payment_order)
    PaymentOrder.objects.filter(pk=payment_order.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    body = _paid_body(payment)

    notified, _ = _run_together(
        _notify(body, signed_headers(secret=SECRET, body=body)),
        lambda: payment_orders_cancel_expired(),
    )

    payment.refresh_from_db()
    payment_order.refresh_from_db()
    if notified == "ok":
        assert (payment_order.status, payment.status) == ("paid", "paid")
        assert Refund.objects.count() == 0
    else:
        assert notified == "late_for_cancelled"
        assert (payment_order.status, payment.status) == ("cancelled", "refunded")
        assert Refund.objects.get().status == "succeeded"
