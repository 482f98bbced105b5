"""The figures page's four rankings come from one GROUPING SETS pass (selectors.sales_tops):
each must equal the ranking of its own dimension computed by a plain GROUP BY, for staff and
for a merchant (their store only), including the cut at `limit` and ties broken by key."""

import pytest
from django.db.models import Max, Sum
from django.utils import timezone

from apps.analytics import selectors
from apps.analytics.models import SalesDaily
from apps.analytics.services.sales import sales_aggregate
from tests.analytics.conftest import buy
from tests.factories import UserFactory
from tests.orders.conftest import make_sku

pytestmark = pytest.mark.postgres


def reference(*, store_ids, key: str, limit: int) -> list[tuple]:
    cells = SalesDaily.objects.all()
    if store_ids is not None:
        cells = cells.filter(store_id__in=store_ids)
    rows = (
        cells.values(key)
        .annotate(gmv=Sum("gmv"), quantity=Sum("quantity"), region=Max("region_name"))
        .order_by("-gmv", key)[:limit]
    )
    return [(row[key], row["gmv"], row["quantity"]) for row in rows]


@pytest.mark.parametrize("limit", [1, 2, 10])
def test_each_ranking_equals_its_own_group_by(staff, merchant_a, store_a, store_b, sold, limit):
    now = timezone.now()
    # Two more products of store A: one ties with the first at 30 元 (ties go by key).
    tie = make_sku(store_a, price="15.00", title="有机小米")
    other = make_sku(store_a, price="4.00", title="土鸡蛋")
    buy(UserFactory(name="顾客小王"), [(tie, 2), (other, 5)], paid_at=now)
    sales_aggregate()
    today = timezone.localdate()
    for user, store_ids in ((staff, None), (merchant_a, [store_a.pk])):
        dimensions = [d for d in selectors.TOP_DIMENSIONS if store_ids is None or d != "store"]
        tops = selectors.sales_tops(
            user=user, dimensions=dimensions, date_from=today, date_to=today, limit=limit
        )
        assert list(tops) == dimensions
        for by in dimensions:
            key = selectors._TOP_KEYS[by][0]
            got = [(row["key"], row["gmv"], row["quantity"]) for row in tops[by]]
            assert got == reference(store_ids=store_ids, key=key, limit=limit), (user, by)
            assert all(row["name"] != "—" for row in tops[by] if row["key"] is not None)
    product_names = [
        row["name"]
        for row in selectors.sales_top(user=staff, by="product", date_from=today, date_to=today)
    ]
    assert product_names[0] == "赣南脐橙"
    assert set(product_names) == {"赣南脐橙", "五常大米", "有机小米", "土鸡蛋"}
