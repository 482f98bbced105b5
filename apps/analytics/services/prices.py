"""Price aggregation: PriceDaily (per commodity × scope × day) and PricePeriod (week, 旬, month).

Set-based SQL on PostgreSQL: one INSERT … SELECT that groups the quotes of every scope and
computes the moving averages, changes and z-scores with window functions, then one
INSERT … SELECT for the periods of every kind with their changes (LAG), and two for the alerts.
Incremental runs recompute every day from the earliest day of the quotes added since the last
run (watermark: the highest PriceObservation id seen), reading the year before it for the
windows; `full=True` drops and rebuilds everything.
"""

import datetime as dt
import math

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Max, Q

from apps.analytics.models import PriceAlert, PriceObservation
from apps.analytics.services.runs import (
    JobResult,
    job_run,
    last_watermark,
    secondary_indexes_deferred,
)
from apps.analytics.signals import price_alerts_computed

PRICES_JOB = "prices_daily"
# A moving average needs quotes on at least this share of its days (DOMAIN.md: ≥ 60 %).
MA_MIN_COVERAGE = 0.6
MA7_MIN_DAYS = math.ceil(7 * MA_MIN_COVERAGE)  # 5
MA30_MIN_DAYS = math.ceil(30 * MA_MIN_COVERAGE)  # 18
NATIONAL = "全国"
PRICE_TABLES = ("analytics_pricealert", "analytics_priceperiod", "analytics_pricedaily")

# The counties and provinces that hold exactly one market: their quotes are that market's
# quotes, so their daily prices, windows and periods are the market's rows under another scope
# and area. They are copied from the market's rows rather than computed again (with one market
# per county, that skips most of the window work of a rebuild).
_SINGLE_MARKET_AREAS = """
SELECT 'county'::varchar AS scope, county::varchar AS area, MIN(name)::varchar AS market
FROM analytics_market WHERE county <> '' GROUP BY county HAVING COUNT(*) = 1
UNION ALL
SELECT 'province', province, MIN(name)
FROM analytics_market GROUP BY province HAVING COUNT(*) = 1
"""
# Stored rows (unqualified columns scope, area) that are not such copies.
_NOT_A_COPY = "(scope, area) NOT IN (SELECT scope, area FROM ({single}) single)"

# scope → (area expression, extra condition) over observation o joined to market m: the
# counties and provinces computed from their quotes are those with several markets.
_SCOPES = {
    "market": ("m.name", "TRUE"),
    "county": (
        "m.county",
        "m.county <> '' AND m.county NOT IN"
        " (SELECT area FROM ({single}) single WHERE scope = 'county')",
    ),
    "province": (
        "m.province",
        "m.province NOT IN (SELECT area FROM ({single}) single WHERE scope = 'province')",
    ),
    "national": (f"'{NATIONAL}'", "TRUE"),
}

_BASE_PART = """
SELECT o.commodity_id, '{scope}'::varchar AS scope, {area}::varchar AS area, o.date,
       MIN(o.low_price) AS low_price, MAX(o.high_price) AS high_price,
       ROUND(AVG(o.avg_price), 2) AS avg_price,
       ROUND(SUM(o.avg_price * o.volume_kg) FILTER (WHERE o.volume_kg > 0)
             / NULLIF(SUM(o.volume_kg) FILTER (WHERE o.volume_kg > 0), 0), 2)
           AS weighted_avg_price,
       COUNT(*) AS observations, SUM(o.volume_kg) AS volume_kg
FROM analytics_priceobservation o
JOIN analytics_market m ON m.id = o.market_id
WHERE o.date >= %(date_from)s AND {condition}
GROUP BY o.commodity_id, 3, o.date
"""

# One INSERT … SELECT: the day's aggregates of every scope (base), put after the stored days
# the windows need (ctx: the 30 days before, and the days 364 before the new ones), then the
# windows over calendar days (RANGE with an interval, so a missing day is simply absent): MA7 /
# MA30 with the count of days present (shown only at ≥ 60 % of the window), SD30 and the
# z-score, and the price exactly 1, 7, 30 and 364 days before. That one is found by position:
# the n rows of the frame ending on the day that is k − 1 days long (n7, n30, n364: counts the
# windows give anyway, 1 for k = 1) are followed, going back, by the latest row dated on or
# before t − k, so LAG by n is the quote of t − k exactly when LAG's date is t − k, and empty
# (NULL) when that day had no quote. Four LAGs over one sort replace four one-day frames: two
# window passes fewer over every daily row (docs/benchmarks.md).
_INSERT_DAILY = """
WITH base AS ({base}),
ctx AS (
    SELECT commodity_id, scope, area, date, avg_price, NULL::numeric AS low_price,
           NULL::numeric AS high_price, NULL::numeric AS weighted_avg_price,
           NULL::bigint AS observations, NULL::numeric AS volume_kg, FALSE AS is_new
    FROM analytics_pricedaily
    -- Only the stored days a window of a new day reads: the 30 days before the first new day
    -- (MA7, MA30, SD30, t−1, t−7, t−30) and the days exactly 364 before the new ones (YoY).
    WHERE date < %(date_from)s
      AND (date >= %(context_from)s
           OR date BETWEEN %(year_from)s AND %(date_to)s::date - 364)
      AND {not_a_copy}
    UNION ALL
    SELECT commodity_id, scope, area, date, avg_price, low_price, high_price,
           weighted_avg_price, observations, volume_kg, TRUE
    FROM base
),
counted AS (
    SELECT ctx.*,
           AVG(avg_price) OVER w7 AS ma7, COUNT(*) OVER w7 AS n7,
           AVG(avg_price) OVER w30 AS ma30, COUNT(*) OVER w30 AS n30,
           STDDEV_SAMP(avg_price) OVER w30 AS sd30, COUNT(*) OVER w364 AS n364
    FROM ctx
    WINDOW s AS (PARTITION BY commodity_id, scope, area ORDER BY date),
           w7 AS (s RANGE BETWEEN INTERVAL '6 days' PRECEDING AND CURRENT ROW),
           w30 AS (s RANGE BETWEEN INTERVAL '29 days' PRECEDING AND CURRENT ROW),
           w364 AS (s RANGE BETWEEN INTERVAL '363 days' PRECEDING AND CURRENT ROW)
),
w AS (
    SELECT counted.*,
           CASE WHEN LAG(date) OVER s = date - 1 THEN LAG(avg_price) OVER s END AS p1,
           CASE WHEN LAG(date, n7::int) OVER s = date - 7
                THEN LAG(avg_price, n7::int) OVER s END AS p7,
           CASE WHEN LAG(date, n30::int) OVER s = date - 30
                THEN LAG(avg_price, n30::int) OVER s END AS p30,
           CASE WHEN LAG(date, n364::int) OVER s = date - 364
                THEN LAG(avg_price, n364::int) OVER s END AS p364
    FROM counted
    WINDOW s AS (PARTITION BY commodity_id, scope, area ORDER BY date)
)
INSERT INTO analytics_pricedaily (
    commodity_id, scope, area, date, low_price, high_price, avg_price, weighted_avg_price,
    observations, volume_kg, ma7, ma30, sd30, zscore30,
    change_day, change_week, change_month, change_year
)
SELECT commodity_id, scope, area, date, low_price, high_price, avg_price, weighted_avg_price,
       observations, volume_kg,
       CASE WHEN n7 >= %(ma7_min)s THEN ROUND(ma7, 2) END,
       CASE WHEN n30 >= %(ma30_min)s THEN ROUND(ma30, 2) END,
       CASE WHEN n30 >= %(ma30_min)s THEN ROUND(sd30, 4) END,
       CASE WHEN n30 >= %(ma30_min)s AND sd30 > 0 THEN ROUND((avg_price - ma30) / sd30, 4) END,
       ROUND(avg_price / NULLIF(p1, 0) - 1, 4),
       ROUND(avg_price / NULLIF(p7, 0) - 1, 4),
       ROUND(avg_price / NULLIF(p30, 0) - 1, 4),
       ROUND(avg_price / NULLIF(p364, 0) - 1, 4)
FROM w
WHERE is_new
"""

_DAILY_COLUMNS = """date, low_price, high_price, avg_price, weighted_avg_price, observations,
    volume_kg, ma7, ma30, sd30, zscore30, change_day, change_week, change_month, change_year"""

# The single-market counties and provinces: their market's new rows under their scope and area.
_COPY_DAILY = f"""
INSERT INTO analytics_pricedaily (commodity_id, scope, area, {_DAILY_COLUMNS})
SELECT d.commodity_id, single.scope, single.area, {_DAILY_COLUMNS}
FROM analytics_pricedaily d
JOIN ({{single}}) single ON single.market = d.area
WHERE d.scope = 'market' AND d.date >= %(date_from)s
"""

_PERIOD_COLUMNS = 'period, start, "end", low_price, high_price, avg_price, days, change'
_COPY_PERIODS = f"""
INSERT INTO analytics_priceperiod (commodity_id, scope, area, {_PERIOD_COLUMNS})
SELECT p.commodity_id, single.scope, single.area, {_PERIOD_COLUMNS}
FROM analytics_priceperiod p
JOIN ({{single}}) single ON single.market = p.area
WHERE p.scope = 'market' AND p.start >= %(period_from)s
"""

# Each period's first day, as SQL over a date column `date` (truncated as a timestamp without
# time zone: the same day, without the session time zone's conversions).
_PERIOD_START = {
    "week": "date_trunc('week', date::timestamp)::date",
    "xun": (
        "make_date(extract(year FROM date)::int, extract(month FROM date)::int,"
        " CASE WHEN extract(day FROM date) <= 10 THEN 1"
        " WHEN extract(day FROM date) <= 20 THEN 11 ELSE 21 END)"
    ),
    "month": "date_trunc('month', date::timestamp)::date",
}
# Its last day, from its first day `start`.
_PERIOD_END = {
    "week": "start + 6",
    "xun": (
        "CASE WHEN extract(day FROM start) < 21 THEN start + 9"
        " ELSE (date_trunc('month', start::timestamp) + INTERVAL '1 month - 1 day')::date END"
    ),
    "month": "(date_trunc('month', start::timestamp) + INTERVAL '1 month - 1 day')::date",
}

# Every period kind in one INSERT … SELECT: the periods that start on or after `period_from`,
# grouped from the daily prices in one pass (GROUPING SETS: one set per kind; GROUPING() tells
# the kind), put after the stored period of each kind a new one may follow (it starts before
# `period_from` and ends on or after the day before), then each period's change against the
# period of the same kind that ends the day before it starts (LAG over the periods in order:
# that one, when it exists, is the period just before).
_PERIODS_NEW = f"""
SELECT commodity_id, scope, area, period, start,
       CASE period WHEN 'week' THEN {_PERIOD_END["week"]} WHEN 'xun' THEN {_PERIOD_END["xun"]}
            ELSE {_PERIOD_END["month"]} END AS "end",
       low_price, high_price, avg_price, days, TRUE AS is_new
FROM (
    SELECT commodity_id, scope, area,
           (CASE GROUPING(wk, xn, mo) WHEN 3 THEN 'week' WHEN 5 THEN 'xun' ELSE 'month' END
           )::varchar AS period,
           COALESCE(wk, xn, mo) AS start,
           MIN(low_price) AS low_price, MAX(high_price) AS high_price,
           ROUND(AVG(avg_price), 2) AS avg_price, COUNT(*) AS days
    FROM (SELECT commodity_id, scope, area, low_price, high_price, avg_price,
                 {_PERIOD_START["week"]} AS wk, {_PERIOD_START["xun"]} AS xn,
                 {_PERIOD_START["month"]} AS mo
          FROM analytics_pricedaily WHERE date >= %(period_from)s AND {{not_a_copy}}) d
    GROUP BY commodity_id, scope, area, GROUPING SETS ((wk), (xn), (mo))
) p
WHERE start >= %(period_from)s
"""

_INSERT_PERIODS = """
WITH new AS ({new}),
ctx AS (
    SELECT commodity_id, scope, area, period, start, "end", NULL::numeric AS low_price,
           NULL::numeric AS high_price, avg_price, NULL::bigint AS days, FALSE AS is_new
    FROM analytics_priceperiod
    WHERE start < %(period_from)s AND "end" >= %(period_from)s::date - 1 AND {not_a_copy}
    UNION ALL
    SELECT * FROM new
),
w AS (
    SELECT ctx.*,
           LAG(avg_price) OVER s AS prev_avg, LAG("end") OVER s AS prev_end
    FROM ctx
    WINDOW s AS (PARTITION BY commodity_id, scope, area, period ORDER BY start)
)
INSERT INTO analytics_priceperiod (
    commodity_id, scope, area, period, start, "end", low_price, high_price, avg_price, days,
    change
)
SELECT commodity_id, scope, area, period, start, "end", low_price, high_price, avg_price, days,
       CASE WHEN prev_end = start - 1 THEN ROUND(avg_price / NULLIF(prev_avg, 0) - 1, 4) END
FROM w
WHERE is_new
"""


# Spikes: |z30| at or past the setting. 旬 signals: |change| against the most specific
# threshold (commodity name, then its second-, then its first-level category).
_INSERT_SPIKES = """
INSERT INTO analytics_pricealert (commodity_id, scope, area, date, kind, level, value, price)
SELECT commodity_id, scope, area, date, 'spike', 'red', zscore30, avg_price
FROM analytics_pricedaily
WHERE date >= %(date_from)s AND ABS(zscore30) >= %(spike_z)s
"""
_INSERT_XUN_ALERTS = """
INSERT INTO analytics_pricealert (commodity_id, scope, area, date, kind, level, value, price)
SELECT p.commodity_id, p.scope, p.area, p.start, 'xun',
       CASE WHEN ABS(p.change) * 100 >= t.red_pct THEN 'red' ELSE 'yellow' END,
       p.change, p.avg_price
FROM analytics_priceperiod p
JOIN analytics_commodity c ON c.id = p.commodity_id
JOIN LATERAL (
    SELECT yellow_pct, red_pct FROM analytics_alertthreshold t
    WHERE t.match IN (c.name, c.category_l2, c.category_l1)
    ORDER BY CASE t.match WHEN c.name THEN 1 WHEN c.category_l2 THEN 2 ELSE 3 END
    LIMIT 1
) t ON TRUE
WHERE p.period = 'xun' AND p.start >= %(period_from)s AND ABS(p.change) * 100 >= t.yellow_pct
"""


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the week (Monday), 旬 (1st, 11th, 21st) or month that holds `day`."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "xun":
        return day.replace(day=1 if day.day <= 10 else 11 if day.day <= 20 else 21)
    return day.replace(day=1)


def prices_recompute(*, date_from: dt.date) -> int:
    """Rebuild PriceDaily from `date_from` on and PricePeriod from the periods holding it.

    Runs inside the caller's transaction (job_run); returns the number of rows written.
    """
    date_to = (
        PriceObservation.objects.filter(date__gte=date_from).aggregate(last=Max("date"))["last"]
        or date_from
    )
    params = {
        "date_from": date_from,
        "date_to": date_to,
        "context_from": date_from - dt.timedelta(days=30),
        "year_from": date_from - dt.timedelta(days=364),
        "ma7_min": MA7_MIN_DAYS,
        "ma30_min": MA30_MIN_DAYS,
    }
    single = _SINGLE_MARKET_AREAS
    not_a_copy = _NOT_A_COPY.format(single=single)
    base = " UNION ALL ".join(
        _BASE_PART.format(scope=scope, area=area, condition=condition.format(single=single))
        for scope, (area, condition) in _SCOPES.items()
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_pricedaily WHERE date >= %s", [date_from])
        cursor.execute(_INSERT_DAILY.format(base=base, not_a_copy=not_a_copy), params)
        rows = cursor.rowcount
        cursor.execute(_COPY_DAILY.format(single=single), params)
        rows += cursor.rowcount
        # Every period that holds a recomputed day is rebuilt whole (a week may start in the
        # month before).
        period_from = min(period_start(date_from, "week"), period_start(date_from, "month"))
        cursor.execute("DELETE FROM analytics_priceperiod WHERE start >= %s", [period_from])
        new_periods = _PERIODS_NEW.format(not_a_copy=not_a_copy)
        cursor.execute(
            _INSERT_PERIODS.format(new=new_periods, not_a_copy=not_a_copy),
            {"period_from": period_from},
        )
        rows += cursor.rowcount
        cursor.execute(_COPY_PERIODS.format(single=single), {"period_from": period_from})
        rows += cursor.rowcount
        cursor.execute(
            "DELETE FROM analytics_pricealert WHERE (kind = 'spike' AND date >= %s)"
            " OR (kind = 'xun' AND date >= %s)",
            [date_from, period_from],
        )
        cursor.execute(
            _INSERT_SPIKES, {"date_from": date_from, "spike_z": settings.ANALYTICS_SPIKE_Z}
        )
        rows += cursor.rowcount
        cursor.execute(_INSERT_XUN_ALERTS, {"period_from": period_from})
        rows += cursor.rowcount
    # On the primary: these are this transaction's own writes (the router reads alerts from
    # the replica otherwise).
    alerts = (
        PriceAlert.objects.using(DEFAULT_DB_ALIAS)
        .filter(
            Q(kind=PriceAlert.Kind.SPIKE, date__gte=date_from)
            | Q(kind=PriceAlert.Kind.XUN, date__gte=period_from)
        )
        .select_related("commodity")
    )
    price_alerts_computed.send(sender=PriceAlert, alerts=alerts)
    return rows


def prices_aggregate(*, full: bool = False):
    """The price job: recompute what the quotes added since the last run touched (or all)."""

    def work() -> JobResult:
        watermark = None if full else last_watermark(PRICES_JOB)
        newest = PriceObservation.objects.order_by("-id").values_list("id", flat=True).first()
        added = PriceObservation.objects.all()
        if watermark is not None:
            added = added.filter(id__gt=int(watermark))
        date_from = added.order_by("date").values_list("date", flat=True).first()
        if not full:
            if date_from is None:
                return JobResult(rows=0, watermark=str(newest or watermark or 0))
            rows = prices_recompute(date_from=date_from)
            return JobResult(rows=rows, watermark=str(newest), date_from=date_from)
        with connection.cursor() as cursor:
            # TRUNCATE is transactional in PostgreSQL: a failed rebuild restores them. It
            # refuses tables with deferred foreign-key checks pending in this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(PRICE_TABLES)}")
        if date_from is None:
            return JobResult(rows=0, watermark=str(newest or watermark or 0))
        # Emptied tables: their indexes are built once after the rows (docs/benchmarks.md).
        with secondary_indexes_deferred(*PRICE_TABLES):
            rows = prices_recompute(date_from=date_from)
        with connection.cursor() as cursor:
            # Fresh statistics for the next incremental run: with the empty tables' ones it
            # scans the millions of daily rows instead of using the date index.
            cursor.execute(f"ANALYZE {', '.join(PRICE_TABLES)}")
        return JobResult(rows=rows, watermark=str(newest), date_from=date_from)

    return job_run(job=PRICES_JOB, is_full=full, work=work)
