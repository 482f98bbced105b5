"""The demand roll-ups (DemandCategoryDaily, DemandMonthly): the demand job keeps them equal
to the daily rows summed (full and incremental runs), and the daily demand chart and the demand
ranking read through them (the ranking: whole months from the monthly roll-up, edge days from
DemandDaily) give exactly what DemandDaily alone gives, for any range, for staff and for a
merchant."""

import datetime as dt
from unittest import mock

import pytest
from django.db.models import Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.analytics import selectors
from apps.analytics.models import (
    DemandCategoryDaily,
    DemandDaily,
    DemandMonthly,
    SearchTerm,
)
from apps.analytics.services.demand import demand_aggregate
from apps.analytics.services.sales import sales_aggregate
from apps.orders.models import Order
from tests.analytics.conftest import buy, shanghai
from tests.factories import CategoryFactory, UserFactory
from tests.orders.conftest import make_address, make_sku

pytestmark = pytest.mark.postgres

D = dt.date
SUMS = {
    "paid": Sum("paid_quantity"),
    "wholesale": Sum("wholesale_quantity"),
    "searches": Sum("searches"),
    "demand": Sum("demand"),
}


def own_categories(store_ids):
    from apps.catalog.models import Product

    return Product.objects.filter(store_id__in=store_ids).values("category_id")


def reference_top(*, store_ids, date_from, date_to, limit: int) -> list[dict]:
    """The ranking from the daily rows of the range only."""
    rows = DemandDaily.objects.filter(date__gte=date_from, date__lte=date_to)
    if store_ids is not None:
        rows = rows.filter(category_id__in=own_categories(store_ids))
    return list(
        rows.values("category_id", "region_code")
        .annotate(region=Max("region_name"), **SUMS)
        .order_by("-demand", "category_id", "region_code")[:limit]
    )


def reference_series(*, store_ids, date_from, date_to, category_id=None) -> list[dict]:
    """The daily series from the daily rows (summed over counties)."""
    rows = DemandDaily.objects.filter(date__gte=date_from, date__lte=date_to)
    if store_ids is not None:
        rows = rows.filter(category_id__in=own_categories(store_ids))
    if category_id is not None:
        rows = rows.filter(category_id=category_id)
    return list(rows.values("date").annotate(**SUMS).order_by("date"))


def category_days_from_daily() -> list[tuple]:
    rows = DemandDaily.objects.values("date", "category_id").annotate(**SUMS)
    return sorted(
        (r["date"], r["category_id"], r["paid"], r["wholesale"], r["searches"], r["demand"])
        for r in rows
    )


def category_days_stored() -> list[tuple]:
    return sorted(
        DemandCategoryDaily.objects.values_list(
            "date", "category_id", "paid_quantity", "wholesale_quantity", "searches", "demand"
        )
    )


def months_from_daily() -> list[tuple]:
    rows = (
        DemandDaily.objects.annotate(m=TruncMonth("date"))
        .values("m", "category_id", "region_code")
        .annotate(name=Max("region_name"), **SUMS)
    )
    return sorted(
        (
            r["m"],
            r["category_id"],
            r["region_code"],
            r["name"],
            r["paid"],
            r["wholesale"],
            r["searches"],
            r["demand"],
        )
        for r in rows
    )


def months_stored() -> list[tuple]:
    return sorted(
        DemandMonthly.objects.values_list(
            "month",
            "category_id",
            "region_code",
            "region_name",
            "paid_quantity",
            "wholesale_quantity",
            "searches",
            "demand",
        )
    )


def search(term: str, *, user=None, at: dt.datetime) -> None:
    """A search logged at `at` (the log is append-only: its clock is set, not the row)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        SearchTerm.objects.create(term=term, user=user)


@pytest.fixture
def months_of_demand(store_a, store_b, shopper, divisions):
    """Paid sales on days spread over January–April 2024 (month edges included) in three
    categories of two stores, from buyers in two counties, and searches (logged in and
    anonymous) on other days."""
    rice, eggs, fruit = (CategoryFactory(name=n) for n in ("大米", "鸡蛋", "水果"))
    rice_sku = make_sku(store_a, price="10.00", title="五常大米", stock=500, category=rice)
    eggs_sku = make_sku(store_a, price="4.00", title="土鸡蛋", stock=500, category=eggs)
    fruit_sku = make_sku(store_b, price="25.00", title="赣南脐橙", stock=500, category=fruit)
    other = UserFactory(name="顾客小李")
    make_address(other, county="360732")
    plan = [
        (shopper, D(2024, 1, 1), [(rice_sku, 3)]),
        (other, D(2024, 1, 15), [(fruit_sku, 1), (eggs_sku, 10)]),
        (shopper, D(2024, 1, 31), [(eggs_sku, 4)]),
        (other, D(2024, 2, 1), [(rice_sku, 2), (fruit_sku, 2)]),
        (shopper, D(2024, 2, 29), [(fruit_sku, 1)]),
        (other, D(2024, 3, 1), [(rice_sku, 1)]),
        (shopper, D(2024, 3, 17), [(eggs_sku, 25), (fruit_sku, 1)]),
        (other, D(2024, 3, 31), [(rice_sku, 6)]),
        (shopper, D(2024, 4, 2), [(fruit_sku, 3), (rice_sku, 1)]),
    ]
    for buyer, day, lines in plan:
        buy(buyer, lines, paid_at=shanghai(day, 12))
    for term, user, day in [
        ("五常大米", shopper, D(2024, 1, 2)),
        ("五常大米", None, D(2024, 1, 31)),
        ("赣南脐橙", other, D(2024, 2, 14)),
        ("土鸡蛋", None, D(2024, 3, 1)),
        ("土鸡蛋", shopper, D(2024, 3, 1)),
        ("赣南脐橙", shopper, D(2024, 4, 30)),
    ]:
        search(term, user=user, at=shanghai(day, 9))
    return {"rice": rice, "eggs": eggs, "fruit": fruit, "rice_sku": rice_sku}


RANGES = [
    (D(2024, 1, 1), D(2024, 4, 30)),  # whole months
    (D(2024, 1, 1), D(2024, 3, 31)),
    (D(2024, 1, 2), D(2024, 3, 30)),  # one whole month between two edges
    (D(2024, 1, 15), D(2024, 4, 2)),
    (D(2024, 2, 1), D(2024, 2, 29)),  # one whole (leap) month
    (D(2024, 1, 16), D(2024, 2, 20)),  # no whole month: the daily rows only
    (D(2024, 3, 1), D(2024, 3, 1)),
]


def assert_reads_equal_daily(users, categories):
    for user, store_ids in users:
        for date_from, date_to in RANGES:
            for limit in (10, 1):
                got = selectors.demand_top(
                    user=user, date_from=date_from, date_to=date_to, limit=limit
                )
                want = reference_top(
                    store_ids=store_ids, date_from=date_from, date_to=date_to, limit=limit
                )
                assert [{k: r[k] for k in want[0]} for r in got] == want if want else not got, (
                    user,
                    date_from,
                    date_to,
                    limit,
                )
            for category_id in (None, *categories):
                got = selectors.demand_series(
                    user=user, date_from=date_from, date_to=date_to, category_id=category_id
                )
                want = reference_series(
                    store_ids=store_ids,
                    date_from=date_from,
                    date_to=date_to,
                    category_id=category_id,
                )
                assert got == want, (user, date_from, date_to, category_id)


def test_the_rollups_are_the_daily_rows_summed_and_the_reads_equal_the_daily_ones(
    months_of_demand, staff, merchant_a, store_a
):
    categories = [c.pk for c in (months_of_demand["rice"], months_of_demand["fruit"])]
    users = [(staff, None), (merchant_a, [store_a.pk])]

    # when
    sales_aggregate(full=True)
    demand_aggregate(full=True)

    # then: searches and sales of several counties and categories, summed alike
    assert DemandDaily.objects.filter(searches__gt=0).count() >= 4
    assert DemandMonthly.objects.count() > 0
    assert category_days_stored() == category_days_from_daily()
    assert months_stored() == months_from_daily()
    assert_reads_equal_daily(users, categories)
    fruit_ranked = selectors.demand_top(
        user=merchant_a, date_from=D(2024, 1, 1), date_to=D(2024, 4, 30)
    )
    assert fruit_ranked
    # store B's category is not merchant A's
    assert months_of_demand["fruit"].pk not in {r["category_id"] for r in fruit_ranked}

    # when: an hour later, a new sale on 20 March, incrementally
    Order.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))
    sales_aggregate()
    demand_aggregate()
    buy(
        UserFactory(name="顾客小赵"),
        [(months_of_demand["rice_sku"], 40)],
        paid_at=shanghai(D(2024, 3, 20), 9),
    )
    sales_aggregate()
    run = demand_aggregate()

    # then: from that day on recomputed, the roll-ups from its month on, all still equal
    assert run.date_from == D(2024, 3, 20)
    assert category_days_stored() == category_days_from_daily()
    assert months_stored() == months_from_daily()
    assert_reads_equal_daily(users, categories)
    before = (category_days_stored(), months_stored())
    demand_aggregate(full=True)
    assert (category_days_stored(), months_stored()) == before
