"""Own-trade aggregation: SalesDaily (per day × store × category × product × buyer county) and
SalesDailyTotal (per day × store, and per day for the whole platform with store empty, with the
repeat-buyer, promoter and after-sale counts of the staff figures).

Read straight from the orders tables in one INSERT … SELECT … GROUP BY each (analytics is the
top layer: it reads lower apps' tables, nothing imports it). A sale counts on the day it was
paid (Asia/Shanghai), net of refunds: quantity − refunded quantity; the line's paid amount less
its share of the order's refunds, shared in proportion to the order's total. Incremental runs
recompute every day from the earliest paid day among the orders changed since the last run;
`full=True` rebuilds everything.
"""

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from apps.aftersales.models import AfterSale
from apps.analytics.services.runs import (
    JobResult,
    job_run,
    last_watermark,
    secondary_indexes_deferred,
)
from apps.orders.models import Order

SALES_JOB = "sales_daily"
# An order saved just before a run starts may commit just after it has read: the next run
# looks this far back before the previous run's start.
WATERMARK_MARGIN = dt.timedelta(minutes=10)

# Net amount of a line: its paid amount less its share of the order's refunds.
_NET_AMOUNT = "l.paid_amount * (1 - COALESCE(o.refunded_amount / NULLIF(o.total_amount, 0), 0))"
_PAID_DAY = "(o.paid_at AT TIME ZONE %(tz)s)::date"

_INSERT_CELLS = f"""
INSERT INTO analytics_salesdaily (
    date, store_id, category_id, product_id, region_code, region_name,
    quantity, gmv, orders, buyers
)
SELECT {_PAID_DAY}, o.store_id, p.category_id, l.product_id,
       COALESCE(o.address->>'county_code', ''), MAX(COALESCE(o.address->>'county_name', '')),
       SUM(l.quantity - l.refunded_quantity), ROUND(SUM({_NET_AMOUNT}), 2),
       COUNT(DISTINCT o.id), COUNT(DISTINCT o.buyer_id)
FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
LEFT JOIN catalog_product p ON p.id = l.product_id
WHERE o.paid_at >= %(from_ts)s
GROUP BY 1, o.store_id, p.category_id, l.product_id, 5
"""

# Per order first (lines summed), then GROUPING SETS: one row per day and store and one per day
# for the platform (store empty), so distinct buyers are exact at both levels. The order-level
# facts of the staff figures ride along: whether the buyer had paid an order on an earlier day
# (at this store / anywhere: repeat-buyer rate), whether a promoter brought the order (promoter
# share), whether it has an after-sale claim not withdrawn, and the refunds shared to its lines.
_INSERT_TOTALS = f"""
INSERT INTO analytics_salesdailytotal (
    date, store_id, quantity, gmv, orders, buyers,
    returning_buyers, promoter_gmv, promoter_orders, aftersale_orders, refund_amount
)
WITH per_order AS (
    SELECT {_PAID_DAY} AS day, o.store_id, o.buyer_id,
           o.promoter_level1_id IS NOT NULL AS promoted,
           EXISTS (
               SELECT 1 FROM aftersales_aftersale a
               WHERE a.order_id = o.id AND a.status <> 'withdrawn'
           ) AS has_aftersale,
           SUM(l.quantity - l.refunded_quantity) AS quantity,
           SUM({_NET_AMOUNT}) AS amount,
           SUM(l.paid_amount) - SUM({_NET_AMOUNT}) AS refund
    FROM orders_orderline l
    JOIN orders_order o ON o.id = l.order_id
    WHERE o.paid_at >= %(from_ts)s
    GROUP BY o.id
),
firsts AS (
    -- The first paid day of each of these buyers at each store, and on the platform.
    SELECT buyer_id, store_id,
           (MIN(paid_at) AT TIME ZONE %(tz)s)::date AS store_first,
           (MIN(MIN(paid_at)) OVER (PARTITION BY buyer_id) AT TIME ZONE %(tz)s)::date
               AS platform_first
    FROM orders_order
    WHERE paid_at IS NOT NULL
      AND buyer_id IN (SELECT buyer_id FROM orders_order WHERE paid_at >= %(from_ts)s)
    GROUP BY buyer_id, store_id
)
SELECT day, p.store_id, SUM(quantity), ROUND(SUM(amount), 2), COUNT(*),
       COUNT(DISTINCT p.buyer_id),
       CASE WHEN GROUPING(p.store_id) = 1
            THEN COUNT(DISTINCT p.buyer_id) FILTER (WHERE day > f.platform_first)
            ELSE COUNT(DISTINCT p.buyer_id) FILTER (WHERE day > f.store_first) END,
       ROUND(COALESCE(SUM(amount) FILTER (WHERE promoted), 0), 2),
       COUNT(*) FILTER (WHERE promoted),
       COUNT(*) FILTER (WHERE has_aftersale),
       ROUND(SUM(refund), 2)
FROM per_order p
JOIN firsts f ON f.buyer_id = p.buyer_id AND f.store_id = p.store_id
GROUP BY GROUPING SETS ((day, p.store_id), (day))
"""


# The monthly roll-up of the cells (SalesMonthly), from the first day of `month_from`'s month:
# the cells of those months summed, read back from the cells just written.
_INSERT_MONTHS = """
INSERT INTO analytics_salesmonthly (
    month, store_id, category_id, product_id, region_code, region_name, quantity, gmv
)
SELECT date_trunc('month', date)::date, store_id, category_id, product_id, region_code,
       MAX(region_name), SUM(quantity), SUM(gmv)
FROM analytics_salesdaily
WHERE date >= %(month_from)s
GROUP BY 1, store_id, category_id, product_id, region_code
"""

SALES_TABLES = ("analytics_salesdaily", "analytics_salesdailytotal", "analytics_salesmonthly")


def sales_recompute(*, date_from: dt.date) -> int:
    """Rebuild the sales aggregates of every day from `date_from` on, and the monthly roll-up of
    the months holding them (caller's transaction). Returns the daily rows written (cells and
    totals; the roll-up's rows are not counted)."""
    params = {
        "tz": settings.TIME_ZONE,
        "from_ts": timezone.make_aware(dt.datetime.combine(date_from, dt.time.min)),
    }
    month_from = date_from.replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_salesdaily WHERE date >= %s", [date_from])
        cursor.execute("DELETE FROM analytics_salesdailytotal WHERE date >= %s", [date_from])
        cursor.execute("DELETE FROM analytics_salesmonthly WHERE month >= %s", [month_from])
        cursor.execute(_INSERT_CELLS, params)
        rows = cursor.rowcount
        cursor.execute(_INSERT_TOTALS, params)
        rows += cursor.rowcount
        cursor.execute(_INSERT_MONTHS, {"month_from": month_from})
    return rows


def sales_aggregate(*, full: bool = False):
    """The sales job: recompute the days of the orders changed since the last run (or all)."""

    def work() -> JobResult:
        started = timezone.now()
        watermark = None if full else last_watermark(SALES_JOB)
        changed = Order.objects.filter(paid_at__isnull=False)
        if watermark is not None:
            since = dt.datetime.fromisoformat(watermark) - WATERMARK_MARGIN
            # An order changes its day's figures when it is paid or refunded, or when an
            # after-sale on it is opened or moves (withdrawn ones stop counting).
            claimed = AfterSale.objects.filter(updated_at__gte=since).values("order_id")
            changed = changed.filter(Q(updated_at__gte=since) | Q(pk__in=claimed))
        first_paid = changed.order_by("paid_at").values_list("paid_at", flat=True).first()
        if not full:
            if first_paid is None:
                return JobResult(rows=0, watermark=started.isoformat())
            date_from = timezone.localtime(first_paid).date()
            rows = sales_recompute(date_from=date_from)
            return JobResult(rows=rows, watermark=started.isoformat(), date_from=date_from)
        with connection.cursor() as cursor:
            # TRUNCATE is transactional in PostgreSQL: a failed rebuild restores them. It
            # refuses tables with deferred foreign-key checks pending in this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(SALES_TABLES)}")
        if first_paid is None:
            return JobResult(rows=0, watermark=started.isoformat())
        date_from = timezone.localtime(first_paid).date()
        # Emptied tables: the indexes are built once after the rows (docs/benchmarks.md).
        with secondary_indexes_deferred(*SALES_TABLES):
            rows = sales_recompute(date_from=date_from)
        with connection.cursor() as cursor:
            # Fresh statistics, so the next incremental run reads the new rows by index.
            cursor.execute(f"ANALYZE {', '.join(SALES_TABLES)}")
        return JobResult(rows=rows, watermark=started.isoformat(), date_from=date_from)

    return job_run(job=SALES_JOB, is_full=full, work=work)
