"""The price job against small hand-computed examples: scopes and the volume-weighted average,
moving averages with missing days, 旬 boundaries, year-on-year at t−364, the 30-day z-score;
idempotent and incremental runs; a failing run keeps the previous aggregates."""

import datetime as dt
import random
import statistics
from decimal import Decimal

import pytest
from django.db import connection

from apps.analytics.models import (
    JobRun,
    Market,
    PriceAlert,
    PriceDaily,
    PriceObservation,
    PricePeriod,
)
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


# --- counties and provinces of one market are copies of the market's rows ---------------------

EVERYTHING_COMPUTED = (
    "SELECT NULL::varchar AS scope, NULL::varchar AS area, NULL::varchar AS market WHERE FALSE"
)


def _everything():
    """Every column of every daily price, period and alert, in key order."""
    tables = []
    for model in (PriceDaily, PricePeriod, PriceAlert):
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        tables.append(list(model.objects.order_by(*fields).values_list(*fields)))
    return tables


def _schema(tables=("analytics_pricedaily", "analytics_priceperiod", "analytics_pricealert")):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1",
            [list(tables)],
        )
        return indexes, cursor.fetchall()


@pytest.fixture
def four_markets(quote_setup):
    """新发地 alone in 丰台区 and 北京; two markets in 寿光市 (山东); one in 河北 without a county.
    Five days, then a year later 45 days of quotes, with gaps and volumes, for two commodities."""
    markets, commodities = quote_setup
    markets["shouguang2"] = Market.objects.create(
        name="寿光蔬菜批发市场", province="山东", county="寿光市"
    )
    markets["hebei"] = Market.objects.create(name="无区县市场", province="河北")
    rng = random.Random(7)
    start = D - dt.timedelta(days=364)
    rows = []
    for market in markets.values():
        for commodity in (commodities["土豆"], commodities["白菜"]):
            for i in [*range(0, 5), *range(364, 364 + 45)]:
                if rng.random() < 0.15:
                    continue
                avg = Decimal(str(round(2 + rng.random() * 2, 2)))
                volume = rng.choice([None, Decimal("100"), Decimal("250")])
                rows.append(
                    PriceObservation(
                        market=market,
                        commodity=commodity,
                        date=start + dt.timedelta(days=i),
                        low_price=avg - Decimal("0.30"),
                        avg_price=avg,
                        high_price=avg + Decimal("0.40"),
                        volume_kg=volume,
                        source_unit="元/公斤",
                    )
                )
    PriceObservation.objects.bulk_create(rows)
    return markets, commodities


def test_single_market_areas_are_copied_and_equal_what_computing_them_gives(
    four_markets, monkeypatch
):
    markets, commodities = four_markets
    # when: the job as it is (丰台区, 北京, 河北 and each 寿光 market's … copied)
    prices_aggregate(full=True)
    copied = _everything()
    # then: a copied county's rows are its market's, under its scope and area
    potato = commodities["土豆"]
    assert daily(potato, "county", "丰台区").ma7 == daily(potato, "market", "北京新发地").ma7
    assert PriceDaily.objects.filter(scope="county", area="寿光市").exists()
    assert not PriceDaily.objects.filter(scope="county", area="").exists()
    assert PricePeriod.objects.filter(scope="province", area="北京").exists()

    # when: every county and province computed from its quotes instead
    monkeypatch.setattr(prices_module, "_SINGLE_MARKET_AREAS", EVERYTHING_COMPUTED)
    prices_aggregate(full=True)

    # then: the very same rows
    assert _everything() == copied

    # when: new days of quotes, incrementally with the copies …
    monkeypatch.undo()
    last = PriceObservation.objects.order_by("-date").values_list("date", flat=True)[0]
    for day in (last + dt.timedelta(days=1), last + dt.timedelta(days=3)):
        quote(markets["xinfadi"], potato, day, "9.00", volume=50)
        quote(markets["shouguang2"], potato, day, "3.10")
    prices_aggregate()
    incremental = _everything()
    # … then all computed from scratch: the same
    monkeypatch.setattr(prices_module, "_SINGLE_MARKET_AREAS", EVERYTHING_COMPUTED)
    prices_aggregate(full=True)
    assert _everything() == incremental


def test_a_failing_full_rebuild_keeps_the_aggregates_and_the_indexes(quote_setup, monkeypatch):
    # given
    markets, commodities = quote_setup
    for i in range(3):
        quote(markets["xinfadi"], commodities["土豆"], D + dt.timedelta(days=i), 2 + i / 10)
    prices_aggregate()
    before, schema = _everything(), _schema()
    real = prices_module.prices_recompute

    def half_done(*, date_from):
        real(date_from=date_from)  # rows written into the emptied tables without indexes …
        raise RuntimeError("disk full")  # … then fails

    monkeypatch.setattr(prices_module, "prices_recompute", half_done)

    # when
    with pytest.raises(RuntimeError):
        prices_aggregate(full=True)

    # then: the previous rows, every index and constraint, and the error recorded
    assert _everything() == before
    assert _schema() == schema
    failed = JobRun.objects.get(status=JobRun.Status.FAILED)
    assert (failed.is_full, failed.error) == (True, "RuntimeError: disk full")

    # and a full rebuild that succeeds ends with the same indexes and the same rows
    monkeypatch.undo()
    prices_aggregate(full=True)
    assert _schema() == schema
    assert _everything() == before


_CHANGES_BY_ONE_DAY_FRAMES = """
SELECT commodity_id, scope, area, date,
       ROUND(avg_price / NULLIF(FIRST_VALUE(avg_price) OVER d1, 0) - 1, 4),
       ROUND(avg_price / NULLIF(FIRST_VALUE(avg_price) OVER d7, 0) - 1, 4),
       ROUND(avg_price / NULLIF(FIRST_VALUE(avg_price) OVER d30, 0) - 1, 4),
       ROUND(avg_price / NULLIF(FIRST_VALUE(avg_price) OVER d364, 0) - 1, 4)
FROM analytics_pricedaily
WINDOW s AS (PARTITION BY commodity_id, scope, area ORDER BY date),
       d1 AS (s RANGE BETWEEN INTERVAL '1 day' PRECEDING AND INTERVAL '1 day' PRECEDING),
       d7 AS (s RANGE BETWEEN INTERVAL '7 days' PRECEDING AND INTERVAL '7 days' PRECEDING),
       d30 AS (s RANGE BETWEEN INTERVAL '30 days' PRECEDING AND INTERVAL '30 days' PRECEDING),
       d364 AS (s RANGE BETWEEN INTERVAL '364 days' PRECEDING AND INTERVAL '364 days' PRECEDING)
ORDER BY 1, 2, 3, 4
"""


def test_changes_found_by_position_equal_the_one_day_frames(four_markets):
    """The job finds t−1, t−7, t−30 and t−364 by LAG over the counted window rows; over quotes
    with random gaps it must give what a frame of exactly that one day gives, in a full and in
    an incremental run."""
    markets, commodities = four_markets

    def stored():
        return list(
            PriceDaily.objects.order_by("commodity_id", "scope", "area", "date").values_list(
                "commodity_id",
                "scope",
                "area",
                "date",
                "change_day",
                "change_week",
                "change_month",
                "change_year",
            )
        )

    def by_frames():
        with connection.cursor() as cursor:
            cursor.execute(_CHANGES_BY_ONE_DAY_FRAMES)
            return [tuple(row) for row in cursor.fetchall()]

    prices_aggregate(full=True)
    rows = stored()
    assert sum(1 for row in rows if row[7] is not None) > 50  # year-on-year changes exist
    assert sum(1 for row in rows if row[5] is None) > 10  # and missing t−7 days
    assert rows == by_frames()

    last = PriceObservation.objects.order_by("-date").values_list("date", flat=True)[0]
    for back in (3, 1, 0):
        quote(markets["hebei"], commodities["白菜"], last + dt.timedelta(days=7 - back), "5.55")
    prices_aggregate()
    assert stored() == by_frames()
