"""Races on PostgreSQL with real threads and connections: a double submit of an after-sale
and two back-office users approving at once must give one claim and one refund."""

import threading

import pytest
from django.db import connections

from apps.aftersales.models import AfterSale, AfterSaleLine
from apps.aftersales.services import aftersale_approve, aftersale_create
from apps.core.errors import ApplicationError
from apps.orders.models import OrderEvent
from apps.payments.models import Refund
from tests.aftersales.conftest import lines_of

THREADS = 8

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(work, count: int = THREADS) -> list[tuple[str, str]]:
    start = threading.Barrier(count)
    results: list[tuple[str, str]] = [("not run", "")] * count

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = ("ok", str(work(index)))
        except ApplicationError as exc:
            results[index] = (exc.code, exc.message)
        except Exception as exc:  # reported by the assertions below
            results[index] = ("crash", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_requests_on_one_line_make_one_after_sale(shipped_order):
    small, _ = lines_of(shipped_order)

    results = run_at_once(
        lambda i: (
            aftersale_create(
                buyer=shipped_order.buyer,
                order=shipped_order,
                type="refund_only",
                reason="quality",
                lines={small.pk: 1},
            ).number
        )
    )

    codes = sorted(code for code, _ in results)
    assert codes == ["aftersale_line_already_open"] * (THREADS - 1) + ["ok"], results
    assert AfterSale.objects.count() == 1
    assert AfterSaleLine.objects.filter(order_line=small, is_open=True).count() == 1


def test_concurrent_approvals_refund_once(shipped_order, merchant_a, staff):
    small, _ = lines_of(shipped_order)
    aftersale = aftersale_create(
        buyer=shipped_order.buyer,
        order=shipped_order,
        type="refund_only",
        reason="quality",
        lines={small.pk: 2},
    )
    actors = [merchant_a, staff] * (THREADS // 2)

    results = run_at_once(lambda i: aftersale_approve(aftersale=aftersale, actor=actors[i]).status)

    codes = sorted(code for code, _ in results)
    assert codes == ["aftersale_invalid_transition"] * (THREADS - 1) + ["ok"], results
    assert Refund.objects.count() == 1
    assert OrderEvent.objects.filter(order=shipped_order, kind="refund").count() == 1
    shipped_order.refresh_from_db()
    assert str(shipped_order.refunded_amount) == "119.80"
