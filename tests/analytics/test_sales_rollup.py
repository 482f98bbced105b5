"""The monthly roll-up of the sales cells (SalesMonthly): the sales job keeps it equal to the
daily cells summed per month (full and incremental runs), and the rankings read through it
(whole months from the roll-up, edge days from the daily cells) give exactly what the daily
cells alone give, for any range, for staff and for a merchant."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.analytics import selectors
from apps.analytics.models import SalesDaily, SalesMonthly
from apps.analytics.services.sales import sales_aggregate
from apps.orders.models import Order
from apps.orders.services.lifecycle import order_record_refund
from tests.analytics.conftest import buy, shanghai
from tests.factories import UserFactory
from tests.orders.conftest import make_address, make_sku

pytestmark = pytest.mark.postgres

D = dt.date


def reference(*, store_ids, key: str, date_from, date_to, limit: int) -> list[tuple]:
    """The ranking of one dimension from the daily cells of the range only."""
    cells = SalesDaily.objects.filter(date__gte=date_from, date__lte=date_to)
    if store_ids is not None:
        cells = cells.filter(store_id__in=store_ids)
    rows = (
        cells.values(key)
        .annotate(gmv=Sum("gmv"), quantity=Sum("quantity"), region=Max("region_name"))
        .order_by("-gmv", key)[:limit]
    )
    return [(row[key], row["gmv"], row["quantity"], row["region"]) for row in rows]


def months_from_cells() -> list[tuple]:
    rows = (
        SalesDaily.objects.annotate(m=TruncMonth("date"))
        .values("m", "store_id", "category_id", "product_id", "region_code")
        .annotate(name=Max("region_name"), quantity=Sum("quantity"), gmv=Sum("gmv"))
    )
    return sorted(
        (
            r["m"],
            r["store_id"],
            r["category_id"],
            r["product_id"],
            r["region_code"],
            r["name"],
            r["quantity"],
            r["gmv"],
        )
        for r in rows
    )


def months_stored() -> list[tuple]:
    return sorted(
        SalesMonthly.objects.values_list(
            "month",
            "store_id",
            "category_id",
            "product_id",
            "region_code",
            "region_name",
            "quantity",
            "gmv",
        )
    )


@pytest.fixture
def months_of_trade(store_a, store_b, shopper, divisions):
    """Sales on days spread over January–April 2024 (month edges included), in two stores,
    from buyers in two counties; returns the orders."""
    rice = make_sku(store_a, price="10.00", title="五常大米", stock=500)
    eggs = make_sku(store_a, price="4.00", title="土鸡蛋", stock=500)
    oranges = make_sku(store_b, price="25.00", title="赣南脐橙", stock=500)
    other = UserFactory(name="顾客小李")
    make_address(other, county="360732")
    orders = []
    plan = [
        (shopper, D(2024, 1, 1), [(rice, 3)]),
        (other, D(2024, 1, 15), [(oranges, 1), (eggs, 10)]),
        (shopper, D(2024, 1, 31), [(eggs, 4)]),
        (other, D(2024, 2, 1), [(rice, 2), (oranges, 2)]),
        (shopper, D(2024, 2, 29), [(oranges, 1)]),
        (other, D(2024, 3, 1), [(rice, 1)]),
        (shopper, D(2024, 3, 17), [(eggs, 25), (oranges, 1)]),
        (other, D(2024, 3, 31), [(rice, 6)]),
        (shopper, D(2024, 4, 2), [(oranges, 3), (rice, 1)]),
    ]
    for buyer, day, lines in plan:
        orders += buy(buyer, lines, paid_at=shanghai(day, 12))
    return orders


RANGES = [
    (D(2024, 1, 1), D(2024, 4, 30)),  # whole months, and a partial last one
    (D(2024, 1, 1), D(2024, 3, 31)),  # whole months only
    (D(2024, 1, 2), D(2024, 3, 30)),  # one whole month between two edges
    (D(2024, 1, 15), D(2024, 4, 2)),
    (D(2024, 2, 1), D(2024, 2, 29)),  # one whole (leap) month
    (D(2024, 1, 16), D(2024, 2, 20)),  # no whole month: the daily cells only
    (D(2024, 3, 17), D(2024, 3, 17)),
]


def assert_rankings_equal_daily(users, limit: int = 10):
    for user, store_ids in users:
        dimensions = [d for d in selectors.TOP_DIMENSIONS if store_ids is None or d != "store"]
        for date_from, date_to in RANGES:
            tops = selectors.sales_tops(
                user=user, dimensions=dimensions, date_from=date_from, date_to=date_to, limit=limit
            )
            for by in dimensions:
                key = selectors._TOP_KEYS[by][0]
                got = [(r["key"], r["gmv"], r["quantity"]) for r in tops[by]]
                want = reference(
                    store_ids=store_ids, key=key, date_from=date_from, date_to=date_to, limit=limit
                )
                assert got == [w[:3] for w in want], (user, by, date_from, date_to)
                if by == "region":
                    assert [r["name"] for r in tops[by]] == [w[3] for w in want]


def test_rollup_split():
    assert selectors.rollup_split(D(2024, 1, 1), D(2024, 3, 31)) == (D(2024, 1, 1), D(2024, 4, 1))
    assert selectors.rollup_split(D(2024, 1, 2), D(2024, 3, 30)) == (D(2024, 2, 1), D(2024, 3, 1))
    assert selectors.rollup_split(D(2023, 12, 8), D(2024, 12, 7)) == (
        D(2024, 1, 1),
        D(2024, 12, 1),
    )
    assert selectors.rollup_split(D(2024, 2, 1), D(2024, 2, 29)) == (D(2024, 2, 1), D(2024, 3, 1))
    assert selectors.rollup_split(D(2024, 1, 16), D(2024, 2, 20)) is None
    assert selectors.rollup_split(D(2024, 2, 1), D(2024, 2, 28)) is None


def test_the_rollup_is_the_cells_summed_per_month_and_the_rankings_equal_the_daily_ones(
    months_of_trade, staff, merchant_a, store_a
):
    # when
    sales_aggregate(full=True)

    # then
    assert SalesMonthly.objects.count() > 0
    assert months_stored() == months_from_cells()
    users = [(staff, None), (merchant_a, [store_a.pk])]
    assert_rankings_equal_daily(users)
    assert_rankings_equal_daily(users, limit=1)

    # when: an hour later, a refund on a February order and a new sale in March, incrementally
    Order.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))
    sales_aggregate()
    february = next(o for o in months_of_trade if o.paid_at.month == 2 and o.paid_at.day == 1)
    order_record_refund(
        order=february, amount=Decimal("5.00"), lines={}, restock=False, reference="R-1"
    )
    rice = february.lines.first().sku
    buy(UserFactory(name="顾客小赵"), [(rice, 40)], paid_at=shanghai(D(2024, 3, 20), 9))
    run = sales_aggregate()

    # then: only February on was recomputed, and roll-up and rankings still match the cells
    assert run.date_from == D(2024, 2, 1)
    assert months_stored() == months_from_cells()
    assert_rankings_equal_daily(users)
    before = months_stored()
    sales_aggregate(full=True)
    assert months_stored() == before
