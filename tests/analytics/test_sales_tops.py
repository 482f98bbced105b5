"""The figures page's four rankings come from one GROUPING SETS pass (selectors.sales_tops;
a GROUP BY per dimension on the embedded SQLite default): each must equal the ranking of its
own dimension computed by a plain GROUP BY, for staff and for a merchant (their store only),
including the cut at `limit` and ties broken by key."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Max, Sum
from django.utils import timezone

from apps.analytics import selectors
from apps.analytics.models import SalesDaily
from apps.analytics.services.sales import sales_aggregate
from tests.analytics.conftest import buy
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.orders.conftest import make_sku


def reference(*, store_ids, key: str, limit: int, day: dt.date | None = None) -> list[tuple]:
    cells = SalesDaily.objects.all() if day is None else SalesDaily.objects.filter(date=day)
    if store_ids is not None:
        cells = cells.filter(store_id__in=store_ids)
    rows = (
        cells.values(key)
        .annotate(gmv=Sum("gmv"), quantity=Sum("quantity"), region=Max("region_name"))
        .order_by("-gmv", key)[:limit]
    )
    return [(row[key], row["gmv"], row["quantity"]) for row in rows]


@pytest.mark.postgres  # the cells come from the sales job (PostgreSQL SQL)
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


@pytest.mark.parametrize("limit", [1, 2, 10])
def test_rankings_of_given_cells_on_either_database(staff, merchant_a, store_a, store_b, limit):
    """The same rankings from cells written directly, so the query runs on SQLite too: ties
    (by key), cells without a category or product, another store and another day."""
    rice, fruit = CategoryFactory(name="大米"), CategoryFactory(name="水果")
    products = [
        ProductFactory(store=store_a, category=rice, title="五常大米"),
        ProductFactory(store=store_a, category=rice, title="有机小米"),
        ProductFactory(store=store_b, category=fruit, title="赣南脐橙"),
    ]
    day = dt.date(2026, 5, 1)
    cells = [
        # store, category, product, county, gmv, quantity, day
        (store_a, rice, products[0], "230184", "30.00", 3, day),
        (store_a, rice, products[1], "230184", "42.35", 2, day),  # ties with the first
        (store_a, rice, products[0], "360732", "12.35", 1, day),
        (store_a, None, None, "", "7.10", 1, day),  # category and product since deleted
        (store_b, fruit, products[2], "360732", "88.80", 8, day),
        (store_b, fruit, products[2], "360732", "999.00", 90, day - dt.timedelta(days=1)),
    ]
    SalesDaily.objects.bulk_create(
        SalesDaily(
            date=on,
            store=store,
            category=category,
            product=product,
            region_code=code,
            region_name={"230184": "五常市", "360732": "信丰县"}.get(code, ""),
            gmv=Decimal(gmv),
            quantity=quantity,
            orders=1,
            buyers=1,
        )
        for store, category, product, code, gmv, quantity, on in cells
    )
    for user, store_ids in ((staff, None), (merchant_a, [store_a.pk])):
        dimensions = [d for d in selectors.TOP_DIMENSIONS if store_ids is None or d != "store"]
        tops = selectors.sales_tops(
            user=user, dimensions=dimensions, date_from=day, date_to=day, limit=limit
        )
        assert list(tops) == dimensions
        for by in dimensions:
            key = selectors._TOP_KEYS[by][0]
            got = [(row["key"], row["gmv"], row["quantity"]) for row in tops[by]]
            expected = reference(store_ids=store_ids, key=key, limit=limit, day=day)
            assert got == expected, (user, by)
            assert all(row["gmv"].as_tuple().exponent == -2 for row in tops[by])
    staff_products = selectors.sales_top(
        user=staff, by="product", date_from=day, date_to=day, limit=limit
    )
    assert [(row["name"], row["gmv"]) for row in staff_products] == [
        ("赣南脐橙", Decimal("88.80")),
        ("五常大米", Decimal("42.35")),
        ("有机小米", Decimal("42.35")),
        ("—", Decimal("7.10")),
    ][:limit]
    counties = selectors.sales_top(user=merchant_a, by="region", date_from=day, date_to=day)
    assert [(row["name"], row["gmv"], row["quantity"]) for row in counties] == [
        ("五常市", Decimal("72.35"), 5),
        ("信丰县", Decimal("12.35"), 1),
        ("—", Decimal("7.10"), 1),
    ]
