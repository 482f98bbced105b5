"""A request the store leaves unanswered past AFTERSALE_RESPONSE_HOURS is approved by the
beat job in its name (actor 系统), once; one answered in time is left alone."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.aftersales.models import AfterSale
from apps.aftersales.services import aftersale_create, aftersale_reject
from apps.aftersales.tasks import aftersales_approve_lapsed_task
from apps.payments.models import Refund
from tests.aftersales.conftest import lines_of

pytestmark = pytest.mark.django_db
Status = AfterSale.Status


def request(order, lines, *, hours_ago: int) -> AfterSale:
    aftersale = aftersale_create(
        buyer=order.buyer,
        order=order,
        type=AfterSale.Type.REFUND_ONLY,
        reason=AfterSale.Reason.QUALITY,
        reason_text="有坏果",
        lines=lines,
    )
    created = timezone.now() - timedelta(hours=hours_ago)
    AfterSale.objects.filter(pk=aftersale.pk).update(created_at=created)
    return aftersale


def test_lapsed_request_is_approved_and_refunded_by_the_job(settings, shipped_order, merchant_a):
    settings.AFTERSALE_RESPONSE_HOURS = 48
    small, large = lines_of(shipped_order)
    late = request(shipped_order, {small.pk: 1}, hours_ago=49)
    fresh = request(shipped_order, {large.pk: 1}, hours_ago=47)

    assert aftersales_approve_lapsed_task.delay().get() == 1
    assert aftersales_approve_lapsed_task.delay().get() == 0  # nothing twice

    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.status == Status.REFUNDED
    assert late.amount_approved == late.amount_requested
    assert fresh.status == Status.REQUESTED
    event = late.events.get(to_status=Status.APPROVED)
    assert event.actor is None
    assert "48 小时未处理，系统自动同意" in event.reason
    assert Refund.objects.get().amount == late.amount_requested


def test_request_the_store_answered_is_left_alone(settings, shipped_order, merchant_a):
    settings.AFTERSALE_RESPONSE_HOURS = 1
    small, _ = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1}, hours_ago=5)
    aftersale_reject(aftersale=aftersale, actor=merchant_a, reason="已补发")

    assert aftersales_approve_lapsed_task.delay().get() == 0
    aftersale.refresh_from_db()
    assert aftersale.status == Status.REJECTED
    assert Refund.objects.count() == 0
    assert aftersale.amount_requested > Decimal("0")
