"""The price job against small hand-computed examples: scopes and the volume-weighted average,
moving averages with missing days, 旬 boundaries, year-on-year at t−364, the 30-day z-score;
idempotent and incremental runs; a failing run keeps the previous aggregates."""

import datetime as dt
import statistics
from decimal import Decimal

import pytest

from apps.analytics.models import JobRun, Market, PriceDaily, PriceObservation, PricePeriod
from apps.analytics.services import prices as prices_module
from apps.analytics.services.prices import period_start, prices_aggregate

pytestmark = pytest.mark.postgres

D = dt.date(2024, 3, 1)


def quote(market, commodity, day, avg, *, volume=None, spec=""):
    avg = Decimal(str(avg))
    return PriceObservation.objects.create(
        market=market,
        commodity=commodity,
        date=day,
        spec=spec,
        low_price=avg - Decimal("0.50"),
        avg_price=avg,
        high_price=avg + Decimal("0.50"),
        volume_kg=None if volume is None else Decimal(volume),
        source_unit="元/公斤",
    )


def daily(commodity, scope="national", area="全国", day=D):
    return PriceDaily.objects.get(commodity=commodity, scope=scope, area=area, date=day)


def test_each_scope_gets_its_low_high_simple_and_volume_weighted_average(quote_setup):
    # given: in 新发地 two specs (2.00 × 100 kg, 3.00 × 300 kg); in 寿光 4.00 without volume
    markets, commodities = quote_setup
    potato = commodities["土豆"]
    quote(markets["xinfadi"], potato, D, "2.00", volume=100, spec="大")
    quote(markets["xinfadi"], potato, D, "3.00", volume=300, spec="小")
    quote(markets["shouguang"], potato, D, "4.00")

    # when
    prices_aggregate()

    # then: 新发地 (2+3)/2 = 2.50, weighted (200+900)/400 = 2.75
    market = daily(potato, "market", "北京新发地")
    assert (market.low_price, market.high_price) == (Decimal("1.50"), Decimal("3.50"))
    assert (market.avg_price, market.weighted_avg_price) == (Decimal("2.50"), Decimal("2.75"))
    assert (market.observations, market.volume_kg) == (2, Decimal("400.00"))
    assert daily(potato, "county", "丰台区").avg_price == Decimal("2.50")
    assert daily(potato, "province", "山东").weighted_avg_price is None
    # the nation: (2+3+4)/3 = 3.00; only rows with a volume weigh in: 2.75
    national = daily(potato)
    assert (national.avg_price, national.weighted_avg_price) == (Decimal("3.00"), Decimal("2.75"))
    assert (national.low_price, national.high_price, national.observations) == (
        Decimal("1.50"),
        Decimal("4.50"),
        3,
    )
    assert PriceDaily.objects.filter(date=D).count() == 7  # 2 markets, 2 counties, 2 provinces, 1


def test_ma7_needs_five_of_seven_days_and_ma30_eighteen_of_thirty(quote_setup):
    # given: Mar 1–7 without Mar 3 and 5 (5 days), then Mar 8–9 missing, Mar 10 present
    markets, commodities = quote_setup
    potato = commodities["土豆"]
    values = {1: 2, 2: 4, 4: 6, 6: 8, 7: 10, 10: 12}
    for day, value in values.items():
        quote(markets["xinfadi"], potato, D.replace(day=day), value)

    # when
    prices_aggregate()

    # then: Mar 7 → (2+4+6+8+10)/5 = 6.00; Mar 10 → Mar 4–10 has 4 days: none
    assert daily(potato, day=D.replace(day=7)).ma7 == Decimal("6.00")
    assert daily(potato, day=D.replace(day=6)).ma7 is None  # Feb 29–Mar 6: 4 days
    assert daily(potato, day=D.replace(day=10)).ma7 is None
    assert daily(potato, day=D.replace(day=7)).ma30 is None  # 5 of 30 days


def test_ma30_and_the_z_score_over_thirty_calendar_days(quote_setup):
    # given: 29 days at 10 元 and a spike of 20 元 on the 30th
    markets, commodities = quote_setup
    potato = commodities["土豆"]
    days = [D + dt.timedelta(days=i) for i in range(30)]
    values = [10] * 29 + [20]
    for day, value in zip(days, values, strict=True):
        quote(markets["xinfadi"], potato, day, value)

    # when
    prices_aggregate()

    # then: MA30 = 310/30, SD30 (sample) and z = (20 − MA30) / SD30 ≈ 5.2947
    last = daily(potato, day=days[-1])
    mean, sd = statistics.mean(values), statistics.stdev(values)
    assert last.ma30 == Decimal(str(round(mean, 2)))
    assert last.sd30 == Decimal(str(round(sd, 4)))
    assert last.zscore30 == Decimal(str(round((20 - mean) / sd, 4)))
    assert last.zscore30 == Decimal("5.2947")
    assert daily(potato, day=days[-2]).ma30 == Decimal("10.00")  # 29 days present
    assert daily(potato, day=days[-2]).zscore30 is None  # SD 0: no z-score
    assert last.change_day == Decimal("1.0000")  # 20 / 10 − 1


def test_changes_compare_with_t_minus_1_7_30_and_364_days(quote_setup):
    markets, commodities = quote_setup
    potato = commodities["土豆"]
    for back, value in ((364, "4.00"), (30, "4.00"), (7, "5.00"), (1, "4.80"), (0, "6.00")):
        quote(markets["xinfadi"], potato, D - dt.timedelta(days=back), value)
    quote(markets["xinfadi"], potato, D - dt.timedelta(days=365), "1.00")  # not t−364

    prices_aggregate()

    today = daily(potato)
    assert (today.change_day, today.change_week) == (Decimal("0.2500"), Decimal("0.2000"))
    assert (today.change_month, today.change_year) == (Decimal("0.5000"), Decimal("0.5000"))
    assert daily(potato, day=D - dt.timedelta(days=1)).change_day is None  # t−2 absent


def test_periods_follow_xun_week_and_month_boundaries(quote_setup):
    # given: Feb 29 (2024: 下旬 21–29), Mar 10 (上旬), Mar 11 and 20 (中旬), Mar 21 and 31 (下旬)
    markets, commodities = quote_setup
    cabbage = commodities["白菜"]
    for day, value in (
        (dt.date(2024, 2, 29), "1.00"),
        (dt.date(2024, 3, 10), "2.00"),
        (dt.date(2024, 3, 11), "2.00"),
        (dt.date(2024, 3, 20), "3.00"),
        (dt.date(2024, 3, 21), "4.00"),
        (dt.date(2024, 3, 31), "4.40"),
    ):
        quote(markets["xinfadi"], cabbage, day, value)

    # when
    prices_aggregate()

    # then
    xun = {
        p.start: (p.end, p.avg_price, p.days, p.change)
        for p in PricePeriod.objects.filter(commodity=cabbage, scope="national", period="xun")
    }
    assert xun == {
        dt.date(2024, 2, 21): (dt.date(2024, 2, 29), Decimal("1.00"), 1, None),
        dt.date(2024, 3, 1): (dt.date(2024, 3, 10), Decimal("2.00"), 1, Decimal("1.0000")),
        dt.date(2024, 3, 11): (dt.date(2024, 3, 20), Decimal("2.50"), 2, Decimal("0.2500")),
        dt.date(2024, 3, 21): (dt.date(2024, 3, 31), Decimal("4.20"), 2, Decimal("0.6800")),
    }
    month = PricePeriod.objects.get(
        commodity=cabbage, scope="national", period="month", start=dt.date(2024, 3, 1)
    )
    assert (month.end, month.avg_price, month.days) == (dt.date(2024, 3, 31), Decimal("3.08"), 5)
    assert month.change == Decimal("2.0800")  # 3.08 / 1.00 − 1
    weeks = PricePeriod.objects.filter(commodity=cabbage, scope="national", period="week")
    assert sorted(w.start for w in weeks) == [
        dt.date(2024, 2, 26),
        dt.date(2024, 3, 4),
        dt.date(2024, 3, 11),
        dt.date(2024, 3, 18),
        dt.date(2024, 3, 25),
    ]
    assert weeks.get(start=dt.date(2024, 3, 18)).end == dt.date(2024, 3, 24)


@pytest.mark.parametrize(
    ("day", "period", "start"),
    [
        (dt.date(2024, 3, 10), "xun", dt.date(2024, 3, 1)),
        (dt.date(2024, 3, 11), "xun", dt.date(2024, 3, 11)),
        (dt.date(2024, 3, 21), "xun", dt.date(2024, 3, 21)),
        (dt.date(2024, 3, 31), "xun", dt.date(2024, 3, 21)),
        (dt.date(2024, 3, 3), "week", dt.date(2024, 2, 26)),
        (dt.date(2024, 3, 31), "month", dt.date(2024, 3, 1)),
    ],
)
def test_period_start(day, period, start):
    assert period_start(day, period) == start


def _snapshot():
    return sorted(
        PriceDaily.objects.values_list(
            "commodity_id", "scope", "area", "date", "avg_price", "ma7", "change_day", "zscore30"
        )
    ), sorted(
        PricePeriod.objects.values_list(
            "commodity_id", "scope", "area", "period", "start", "avg_price", "change"
        )
    )


def test_runs_are_idempotent_and_incremental_runs_equal_a_full_rebuild(quote_setup):
    # given: ten days of quotes, aggregated
    markets, commodities = quote_setup
    potato = commodities["土豆"]
    for i in range(10):
        quote(markets["xinfadi"], potato, D + dt.timedelta(days=i), 2 + i / 10)
    first = prices_aggregate()
    before = _snapshot()

    # when: a run with nothing new, then two new days
    idle = prices_aggregate()
    assert _snapshot() == before
    assert (idle.rows, idle.date_from) == (0, None)
    quote(markets["shouguang"], potato, D + dt.timedelta(days=10), "3.00")
    quote(markets["xinfadi"], potato, D + dt.timedelta(days=11), "3.10")
    incremental = prices_aggregate()

    # then: only from the first new day on, and the same rows as a full rebuild
    assert first.date_from == D
    assert incremental.date_from == D + dt.timedelta(days=10)
    after_incremental = _snapshot()
    full = prices_aggregate(full=True)
    assert full.is_full
    assert full.date_from == D
    assert _snapshot() == after_incremental
    assert JobRun.objects.filter(status=JobRun.Status.SUCCEEDED).count() == 4


def test_a_failing_run_keeps_the_previous_aggregates_and_records_the_error(
    quote_setup, monkeypatch
):
    # given
    markets, commodities = quote_setup
    quote(markets["xinfadi"], commodities["土豆"], D, "2.00")
    prices_aggregate()
    quote(markets["xinfadi"], commodities["土豆"], D + dt.timedelta(days=1), "2.20")
    real = prices_module.prices_recompute

    def half_done(*, date_from):
        real(date_from=D)  # deletes and rewrites …
        raise RuntimeError("disk full")  # … then fails

    monkeypatch.setattr(prices_module, "prices_recompute", half_done)

    # when
    with pytest.raises(RuntimeError):
        prices_aggregate()

    # then
    assert list(PriceDaily.objects.filter(scope="national").values_list("date", flat=True)) == [D]
    failed = JobRun.objects.get(status=JobRun.Status.FAILED)
    assert failed.error == "RuntimeError: disk full"
    assert failed.finished_at is not None
    # the next run still sees the new quote as new
    monkeypatch.setattr(prices_module, "prices_recompute", real)
    assert prices_aggregate().date_from == D + dt.timedelta(days=1)


def test_markets_without_a_county_get_no_county_row(quote_setup):
    _markets, commodities = quote_setup
    bare = Market.objects.create(name="无区县市场", province="河北")
    quote(bare, commodities["土豆"], D, "2.00")

    prices_aggregate()

    assert not PriceDaily.objects.filter(scope="county", area="").exists()
    assert PriceDaily.objects.filter(scope="province", area="河北").count() == 1
