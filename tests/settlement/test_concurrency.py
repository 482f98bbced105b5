"""Settlement under real concurrency: threads, each with its own PostgreSQL connection."""

import threading
from decimal import Decimal

import pytest
from django.db import connections

from apps.orders.models import Order
from apps.orders.signals import order_completed
from apps.settlement.models import LedgerEntry, SettlementStatement
from apps.settlement.receivers import _book_order_completed
from apps.settlement.selectors import statement_verify, store_balance
from apps.settlement.services import (
    settlement_adjustment_add,
    settlement_book_order_completed,
    settlement_statement_generate,
)
from tests.settlement.conftest import current_period, sell

THREADS = 8
RECEIVER = "settlement-book-order-completed"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(work) -> list:
    """Run work(i) in THREADS threads released together; returns results or exceptions."""
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def target(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_statement_runs_make_one_statement_with_each_entry_once(shopper, shop_a):
    for _ in range(3):
        sell(shopper, shop_a, [("9.99", 3)])
    start, after_end = current_period()

    results = run_at_once(
        lambda _i: settlement_statement_generate(store=shop_a, period_start=start, now=after_end)
    )

    statement = SettlementStatement.objects.get()
    assert all(isinstance(r, SettlementStatement) and r.pk == statement.pk for r in results)
    assert (statement.net_payable, statement.entry_count) == (Decimal("86.91"), 6)
    assert statement_verify(statement=statement).is_consistent
    assert LedgerEntry.objects.filter(statement__isnull=True).count() == 0


@pytest.fixture
def unbooked_completion():
    """Complete orders without the receiver, so the tests can race the booking itself."""
    order_completed.disconnect(sender=Order, dispatch_uid=RECEIVER)
    yield
    order_completed.connect(_book_order_completed, sender=Order, dispatch_uid=RECEIVER)


def test_a_completion_booked_by_many_at_once_is_booked_once(shopper, shop_a, unbooked_completion):
    order = sell(shopper, shop_a, [("9.99", 3)])
    assert not LedgerEntry.objects.exists()

    results = run_at_once(lambda _i: settlement_book_order_completed(order=order))

    booked = sorted(len(r) for r in results)
    assert booked == [0] * (THREADS - 1) + [2]
    assert LedgerEntry.objects.count() == 2
    assert store_balance(shop_a) == Decimal("28.97")


def test_one_adjustment_submitted_many_times_at_once_is_booked_once(shop_a, staff):
    results = run_at_once(
        lambda _i: settlement_adjustment_add(
            store=shop_a, amount="7.77", reason="并发重复提交", actor=staff, idempotency_key="k"
        )
    )

    assert {r.pk for r in results if isinstance(r, LedgerEntry)} == {LedgerEntry.objects.get().pk}
    assert all(isinstance(r, LedgerEntry) for r in results)
    assert store_balance(shop_a) == Decimal("7.77")
