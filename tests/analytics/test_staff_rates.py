"""The staff rates (issue 15): repeat-buyer rate, promoter share of sales, after-sale and refund
rates, computed by the sales job into SalesDailyTotal and read by the pages and the API.

One hand-computed example over two days (Asia/Shanghai), all through the real services:

day 1  shopper  A 3 × 10 = 30 (10 元 refunded later)         order 1
       other    A 2 × 10 = 20                                 order 2
       other    B 1 × 25 = 25                                 order 3
day 2  shopper  B 1 × 25 = 25, brought by a promoter          order 4
       other    B 2 × 25 = 50, after-sale requested           order 5
       third    A 1 × 10 = 10, after-sale withdrawn           order 6

Day 1 (platform): 3 orders, 2 buyers, none returning; gmv 75 − 10 = 65, refunds 10.
Day 2 (platform): 3 orders, 3 buyers, 2 returning (shopper, other); gmv 85; promoter 25;
1 order with an after-sale (the withdrawn one does not count).
Store B, day 2: buyers shopper and other; only other had bought at B before → 1 returning.
The week: repeat 2 / 5 = 40.00 %, promoter 25 / 150 = 16.67 %, after-sale 1 / 6 = 16.67 %,
refund 10 / (150 + 10) = 6.25 %.
"""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.aftersales.models import AfterSale
from apps.aftersales.services.aftersales import aftersale_create, aftersale_withdraw
from apps.analytics.models import SalesDailyTotal
from apps.analytics.selectors import percent, sales_point_total, sales_series
from apps.analytics.services.sales import sales_aggregate
from apps.orders.models import Order
from apps.orders.services.lifecycle import order_record_refund
from tests.analytics.conftest import buy, shanghai
from tests.factories import UserFactory
from tests.orders.conftest import make_sku

pytestmark = pytest.mark.postgres

DAY1 = dt.date(2024, 3, 1)  # a Friday: both days are in the week of Monday 2024-02-26
DAY2 = DAY1 + dt.timedelta(days=1)


def _claim(order, buyer):
    line = order.lines.get()
    return aftersale_create(
        buyer=buyer, order=order, type="refund_only", reason="quality", lines={line.pk: 1}
    )


@pytest.fixture
def trade(store_a, store_b, shopper, divisions):
    sku_a = make_sku(store_a, price="10.00", stock=100)
    sku_b = make_sku(store_b, price="25.00", stock=100)
    other, third, promoter = (
        UserFactory(name="顾客小李"),
        UserFactory(name="顾客小赵"),
        UserFactory(name="推广员老陈"),
    )
    (order1,) = buy(shopper, [(sku_a, 3)], paid_at=shanghai(DAY1, 9))
    buy(other, [(sku_a, 2), (sku_b, 1)], paid_at=shanghai(DAY1, 20))
    (order4,) = buy(shopper, [(sku_b, 1)], paid_at=shanghai(DAY2, 8))
    (order5,) = buy(other, [(sku_b, 2)], paid_at=shanghai(DAY2, 12))
    (order6,) = buy(third, [(sku_a, 1)], paid_at=shanghai(DAY2, 23, 50))
    order_record_refund(
        order=order1, amount=Decimal("10.00"), lines={}, restock=False, reference="AS-1"
    )
    # The promoter snapshot, written as distribution's commissions_create_for_order writes it.
    Order.objects.filter(pk=order4.pk).update(promoter_level1=promoter)
    claim5 = _claim(order5, other)
    aftersale_withdraw(aftersale=_claim(order6, third), actor=third)
    return {"claim5": claim5, "other": other}


def row(day, store=None):
    r = SalesDailyTotal.objects.get(date=day, store=store)
    return {
        "orders": r.orders,
        "buyers": r.buyers,
        "returning": r.returning_buyers,
        "gmv": r.gmv,
        "promoter": r.promoter_gmv,
        "promoter_orders": r.promoter_orders,
        "aftersale": r.aftersale_orders,
        "refund": r.refund_amount,
    }


def test_percent_rounds_half_up_and_is_empty_without_a_whole():
    assert percent(2, 3) == Decimal("66.67")
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 0) is None


def test_the_job_counts_returning_buyers_promoter_sales_aftersales_and_refunds(
    trade, store_a, store_b
):
    sales_aggregate()

    assert row(DAY1) == {
        "orders": 3,
        "buyers": 2,
        "returning": 0,
        "gmv": Decimal("65.00"),
        "promoter": Decimal("0.00"),
        "promoter_orders": 0,
        "aftersale": 0,
        "refund": Decimal("10.00"),
    }
    assert row(DAY2) == {
        "orders": 3,
        "buyers": 3,
        "returning": 2,
        "gmv": Decimal("85.00"),
        "promoter": Decimal("25.00"),
        "promoter_orders": 1,
        "aftersale": 1,
        "refund": Decimal("0.00"),
    }
    # Per store, "returning" means "had bought at this store before".
    assert row(DAY2, store_b)["buyers"] == 2
    assert row(DAY2, store_b)["returning"] == 1
    assert row(DAY2, store_a)["returning"] == 0
    assert row(DAY1, store_a)["refund"] == Decimal("10.00")


def test_the_rates_of_a_day_and_of_a_week(trade, staff):
    sales_aggregate()

    days = sales_series(user=staff, date_from=DAY1, date_to=DAY2)
    (week,) = sales_series(user=staff, date_from=DAY1, date_to=DAY2, grain="week")

    day2 = days[1]
    assert (day2.repeat_buyer_rate, day2.promoter_share, day2.aftersale_rate) == (
        Decimal("66.67"),  # 2 / 3
        Decimal("29.41"),  # 25 / 85
        Decimal("33.33"),  # 1 / 3
    )
    assert days[0].refund_rate == Decimal("13.33")  # 10 / 75
    assert week.period == dt.date(2024, 2, 26)
    assert (week.repeat_buyer_rate, week.promoter_share, week.aftersale_rate) == (
        Decimal("40.00"),
        Decimal("16.67"),
        Decimal("16.67"),
    )
    assert week.refund_rate == Decimal("6.25")
    assert sales_point_total(days) == dataclasses.replace(week, period=DAY1)


def test_a_withdrawn_claim_alone_brings_its_day_back_into_the_incremental_run(trade):
    first = sales_aggregate()
    # Nothing else changed for an hour: only the after-sale moves.
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    Order.objects.update(updated_at=an_hour_ago)
    AfterSale.objects.update(updated_at=an_hour_ago)
    before = row(DAY1)

    aftersale_withdraw(aftersale=trade["claim5"], actor=trade["other"])
    run = sales_aggregate()

    assert first.date_from == DAY1
    assert run.date_from == DAY2  # the claimed order's paid day, not the first
    assert row(DAY2)["aftersale"] == 0
    assert row(DAY1) == before


def test_running_twice_gives_the_same_rows(trade):
    sales_aggregate()
    once = list(SalesDailyTotal.objects.order_by("date", "store_id").values())

    sales_aggregate(full=True)
    sales_aggregate()

    again = list(SalesDailyTotal.objects.order_by("date", "store_id").values())
    strip = [{k: v for k, v in r.items() if k != "id"} for r in once]
    assert [{k: v for k, v in r.items() if k != "id"} for r in again] == strip


def test_staff_see_the_rates_on_the_figures_page_with_a_csv(client, staff, trade):
    sales_aggregate()
    client.force_login(staff)
    # Move the example into the page's range: the page shows the last 30 days.
    shift = timezone.localdate() - DAY2
    SalesDailyTotal.objects.filter(date=DAY1).update(date=DAY1 + shift)
    SalesDailyTotal.objects.filter(date=DAY2).update(date=DAY2 + shift)

    page = client.get(reverse("analytics:figures")).content.decode()
    export = client.get(reverse("analytics:figures"), {"export": "rates"})

    assert "复购率 <strong>40.00%</strong>" in page
    assert "推广员销售占比 <strong>16.67%</strong>" in page
    assert "售后率 <strong>16.67%</strong>" in page
    assert 'id="option-rates"' in page
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "日期,复购率(%),推广员销售占比(%),售后率(%),退款率(%)"
    assert f"{(DAY2 + shift).isoformat()},66.67,29.41,33.33,0.00" in lines


def test_the_rates_are_on_the_back_office_first_page_and_in_the_api(client, staff, trade):
    sales_aggregate()
    shift = timezone.localdate() - DAY2
    SalesDailyTotal.objects.filter(date=DAY1).update(date=DAY1 + shift)
    SalesDailyTotal.objects.filter(date=DAY2).update(date=DAY2 + shift)
    client.force_login(staff)

    index = client.get(reverse("admin:index")).content.decode()
    api = client.get(
        "/api/v1/analytics/sales/",
        {"date_from": (DAY1 + shift).isoformat(), "date_to": (DAY2 + shift).isoformat()},
    ).json()

    assert "复购率 <strong>40.00%</strong>" in index
    assert 'id="option-rates"' in index
    assert [(p["repeat_buyer_rate"], p["promoter_share"], p["aftersale_rate"]) for p in api] == [
        ("0.00", "0.00", "0.00"),
        ("66.67", "29.41", "33.33"),
    ]
    assert (api[1]["returning_buyers"], api[1]["promoter_gmv"]) == (2, "25.00")


def test_a_merchant_sees_no_platform_rates(client, merchant_a, trade):
    sales_aggregate()
    client.force_login(merchant_a)

    page = client.get(reverse("analytics:figures")).content.decode()

    assert "推广员销售占比" not in page
    assert client.get(reverse("analytics:figures"), {"export": "rates"}).status_code == 404
