"""refund_create: limits, idempotency by reference, provider failures, the signal."""

from decimal import Decimal

import pytest

from apps.core.errors import ApplicationError
from apps.payments.models import Payment, PaymentEvent, Refund
from apps.payments.providers.base import RefundResult
from apps.payments.providers.sandbox import SandboxProvider
from apps.payments.services import refund_create
from apps.payments.signals import refund_succeeded

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(payment_order, make_payment, sandbox_notify):
    payment = make_payment(payment_order)
    assert sandbox_notify(payment).json()["result"] == "ok"
    payment.refresh_from_db()
    return payment


def _refund(payment_order, amount, reference, reason="退款"):
    return refund_create(
        payment_order=payment_order,
        amount=Decimal(amount),
        reason=reason,
        reference=reference,
        actor=payment_order.buyer,
    )


def test_partial_then_full_refund_moves_the_payment_and_sends_the_signal(payment_order, paid):
    sent = []

    def on_refund(sender, refund, **kwargs):
        sent.append((refund.reference, refund.amount, refund.status))

    refund_succeeded.connect(on_refund)
    try:
        first = _refund(payment_order, "59.90", "test-refund:1")
        paid.refresh_from_db()
        assert (paid.status, paid.refunded_amount) == ("partially_refunded", Decimal("59.90"))
        second = _refund(payment_order, "69.90", "test-refund:2")
    finally:
        refund_succeeded.disconnect(on_refund)

    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert first.provider_refund_id.startswith("SBR")
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == ("refunded", Decimal("129.80"))
    assert sent == [
        ("test-refund:1", Decimal("59.90"), "succeeded"),
        ("test-refund:2", Decimal("69.90"), "succeeded"),
    ]
    assert list(paid.events.values_list("to_status", "actor")) == [
        ("created", payment_order.buyer.pk),
        ("paid", None),
        ("partially_refunded", payment_order.buyer.pk),
        ("refunded", payment_order.buyer.pk),
    ]


def test_a_refund_above_what_is_left_is_refused_and_changes_nothing(payment_order, paid):
    _refund(payment_order, "100.00", "test-refund:1")
    events = PaymentEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        _refund(payment_order, "29.81", "test-refund:2")

    assert refused.value.code == "refund_exceeds_paid"
    assert refused.value.message == "退款金额 ¥29.81 超过可退金额 ¥29.80。"
    assert Refund.objects.count() == 1
    assert PaymentEvent.objects.count() == events
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("100.00")


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_a_refund_of_nothing_or_less_is_refused(payment_order, paid, amount):
    with pytest.raises(ApplicationError) as refused:
        _refund(payment_order, amount, "test-refund:1")

    assert refused.value.code == "refund_invalid_amount"
    assert Refund.objects.count() == 0


def test_the_same_reference_refunds_once(payment_order, paid):
    first = _refund(payment_order, "10.00", "test-refund:7")

    again = _refund(payment_order, "10.00", "test-refund:7")

    assert again.pk == first.pk
    assert Refund.objects.count() == 1
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("10.00")


def test_a_reference_reused_for_another_amount_is_refused(payment_order, paid):
    _refund(payment_order, "10.00", "test-refund:7")

    with pytest.raises(ApplicationError) as refused:
        _refund(payment_order, "11.00", "test-refund:7")

    assert refused.value.code == "refund_reference_conflict"
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("10.00")


def test_nothing_to_refund_before_payment(payment_order, make_payment):
    make_payment(payment_order)

    with pytest.raises(ApplicationError) as refused:
        _refund(payment_order, "1.00", "test-refund:1")

    assert refused.value.code == "refund_no_captured_payment"
    assert Refund.objects.count() == 0


def test_a_provider_failure_keeps_the_money_booked_and_a_retry_succeeds(
    payment_order, paid, monkeypatch
):
    answers = [RefundResult(succeeded=False, error="gateway timeout")]
    real_refund = SandboxProvider.refund

    def flaky(self, payment, refund):
        return answers.pop(0) if answers else real_refund(self, payment, refund)

    monkeypatch.setattr(SandboxProvider, "refund", flaky)

    failed = _refund(payment_order, "20.00", "test-refund:9")
    paid.refresh_from_db()
    assert (failed.status, failed.error, paid.refunded_amount) == (
        "failed",
        "gateway timeout",
        Decimal("0.00"),
    )

    retried = _refund(payment_order, "20.00", "test-refund:9")

    assert (retried.pk, retried.status) == (failed.pk, "succeeded")
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == (
        Payment.Status.PARTIALLY_REFUNDED,
        Decimal("20.00"),
    )


def test_a_failed_refund_frees_its_amount_for_others(payment_order, paid, monkeypatch):
    monkeypatch.setattr(
        SandboxProvider, "refund", lambda self, p, r: RefundResult(succeeded=False, error="x")
    )
    _refund(payment_order, "129.80", "test-refund:1")
    monkeypatch.undo()

    other = _refund(payment_order, "129.80", "test-refund:2")

    assert other.status == "succeeded"
    # ...and the failed one can no longer be retried past the limit.
    with pytest.raises(ApplicationError) as refused:
        _refund(payment_order, "129.80", "test-refund:1")
    assert refused.value.code == "refund_exceeds_paid"
