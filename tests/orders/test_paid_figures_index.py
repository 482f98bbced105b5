"""The first page's "paid today / this week / last 30 days" figures read an index of paid
orders, for the platform and for one store, instead of every order ever placed (on a
1,000,000-line catalogue the three reads took 190 ms of the staff page's 236 ms)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.orders.models import Order
from apps.orders.selectors import paid_order_figures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plans_of(queries) -> list[str]:
    plans = []
    with connection.cursor() as cursor:
        # tiny test tables would always be scanned whole: price sequential scans out
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in queries:
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        finally:
            cursor.execute("RESET enable_seqscan")
    return plans


@pytest.mark.parametrize("scoped", [False, True], ids=["platform", "one store"])
def test_paid_order_figures_read_the_paid_orders_index(scoped, store_a):
    orders = Order.objects.filter(store__in=[store_a.pk]) if scoped else Order.objects.all()
    with CaptureQueriesContext(connection) as captured:
        figures = paid_order_figures(orders, since=timezone.now() - timedelta(days=7))

    assert figures.orders == 0
    [plan] = plans_of(captured.captured_queries)
    # (on near-empty test tables the planner may take either paid index for the platform)
    index = "order_store_paid_idx" if scoped else "order_(store_)?paid_idx"
    assert re.search(rf"Index (Only )?Scan (using|on) {index}\b", plan), plan
    assert re.search(r"Index Cond: .*paid_at >=", plan), plan
    assert "Seq Scan on orders_order" not in plan, plan
