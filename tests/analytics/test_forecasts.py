"""Forecasting against hand-computed examples (seasonal naive, MAPE, the back-test choice,
intervals) and the nightly job over SalesDaily."""

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.analytics.forecasting import (
    HOLT_WINTERS,
    SEASONAL_NAIVE,
    forecast_choose,
    has_enough_history,
    mape,
    seasonal_naive,
)
from apps.analytics.models import DemandForecast, JobRun, SalesDaily
from apps.analytics.services.demand import demand_aggregate
from apps.analytics.services.forecasts import demand_forecast
from tests.factories import CategoryFactory


def test_seasonal_naive_repeats_the_last_week():
    assert seasonal_naive(list(range(1, 15)), 9) == [8, 9, 10, 11, 12, 13, 14, 8, 9]


def test_mape_leaves_out_days_without_demand():
    # (|100 − 110| / 100 + |50 − 40| / 50) / 2 = (0.1 + 0.2) / 2
    assert mape([100, 0, 50], [110, 5, 40]) == pytest.approx(0.15)
    assert mape([0, 0], [1, 2]) is None


def test_a_pure_weekly_pattern_is_left_to_seasonal_naive_with_a_zero_width_interval():
    week = [10, 12, 14, 16, 18, 30, 40]
    history = week * 8

    result = forecast_choose(history)

    assert result.method == SEASONAL_NAIVE
    assert result.mape == 0
    assert result.values == week + week
    assert result.lower == result.upper == result.values


def test_a_trend_under_the_weekly_pattern_is_left_to_holt_winters():
    # 3 more a day on top of the week: last week's value is always 21 short
    week = [10, 12, 14, 16, 18, 30, 40]
    history = [week[t % 7] + 3 * t for t in range(70)]

    result = forecast_choose(history)

    assert result.method == HOLT_WINTERS
    assert result.mape < mape(history[-28:], seasonal_naive(history[:-28], 28))
    assert result.values[0] == pytest.approx(week[70 % 7] + 3 * 70, rel=0.05)
    assert all(
        lo <= v <= hi for lo, v, hi in zip(result.lower, result.values, result.upper, strict=True)
    )


def test_enough_history_means_a_back_test_and_a_week_with_demand_in_it():
    assert not has_enough_history([1.0] * 34)
    assert has_enough_history([1.0] * 35)
    assert not has_enough_history([1.0] * 20 + [0.0] * 28)
    with pytest.raises(ValueError, match="not enough history"):
        forecast_choose([1.0] * 20)


@pytest.mark.postgres
def test_the_job_forecasts_each_category_and_county_with_enough_history(store_a):
    # given: 8 weeks of a weekly pattern for one category in 五常市; 10 days for another
    today = timezone.localdate()
    rice, fruit = CategoryFactory(name="大米"), CategoryFactory(name="水果")
    week = [10, 12, 14, 16, 18, 30, 40]
    rows = []
    for back in range(1, 57):
        day = today - dt.timedelta(days=back)
        rows.append((rice, day, week[day.weekday()]))
        if back <= 10:
            rows.append((fruit, day, 5))
    SalesDaily.objects.bulk_create(
        SalesDaily(
            date=day,
            store=store_a,
            category=category,
            region_code="230184",
            region_name="五常市",
            quantity=quantity,
            gmv=Decimal(quantity * 5),
            orders=1,
            buyers=1,
        )
        for category, day, quantity in rows
    )

    demand_aggregate(full=True)  # the forecasts read DemandDaily, made from SalesDaily

    # when: run twice
    demand_forecast()
    run = demand_forecast()

    # then: 14 days for rice only, the weekday pattern carried on, nothing doubled
    forecasts = list(DemandForecast.objects.order_by("date"))
    assert run.rows == 14
    assert len(forecasts) == 14
    assert {f.category for f in forecasts} == {rice}
    assert forecasts[0].date == today
    assert [f.quantity for f in forecasts] == [Decimal(week[f.date.weekday()]) for f in forecasts]
    assert (forecasts[0].method, forecasts[0].mape) == (SEASONAL_NAIVE, Decimal("0.0000"))
    assert forecasts[0].region_name == "五常市"
    assert JobRun.objects.filter(job="demand_forecast", status="succeeded").count() == 2
    assert math.isclose(float(forecasts[0].lower), float(forecasts[0].quantity))
