"""Analytics figures (issue 15): the full rebuild of every daily aggregate, the incremental daily
run, the sales rebuild against a bare GROUP BY of the same rows, dashboard page times and
forecasting speed. Run by hand; results go to docs/benchmarks.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tianjian_analytics_bench \\
        .venv/bin/python bench/analytics_bench.py [--lines 1000000] [--skip-seed]

Data (made once, kept for --skip-seed runs):
- quotes: the synthetic generator (730 days × 20 markets × 80 commodities ≈ 1.13 M rows);
- trade: `seed_demo` (stores, categories, 320 products), 20,000 buyers, then `--lines` order
  lines (3 per order) paid over `--days` days, written by set-based SQL: 15 % of orders brought
  by a promoter, 3 % partly refunded, 2 % with an after-sale, plus 1 % unpaid wholesale orders;
  and 200,000 searches of 60 terms (product words) over the same days.
Smaller sizes for development: --lines 30000 --days 120 --quotes-days 120.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tianjian_analytics_bench")

BUYERS = 20_000
PROMOTERS = 200
SEARCHES = 200_000
COUNTIES = [
    ("230184", "五常市"),
    ("360732", "兴国县"),
    ("360733", "会昌县"),
    ("110106", "丰台区"),
    ("370786", "昌邑市"),
    ("370783", "寿光市"),
    ("440305", "南山区"),
    ("510107", "武侯区"),
    ("330106", "西湖区"),
    ("420111", "洪山区"),
]
TERMS = [
    "大米", "五常大米", "脐橙", "赣南脐橙", "土鸡蛋", "黑木耳", "绿茶", "小米", "蜂蜜", "红薯",
    "猕猴桃", "苹果", "茶叶", "香菇", "核桃", "花生", "腊肉", "白菜", "土豆", "番茄",
]  # fmt: skip


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.2f} s")
    return seconds, result


def _execute(sql: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def _ids(sql: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def seed_trade(*, lines: int, days: int) -> None:
    """Buyers, orders, lines, refunds, after-sales, unpaid wholesale orders and searches (SQL)."""
    import random

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("seed_demo", verbosity=0)
    products = _ids("SELECT id FROM catalog_product WHERE category_id IS NOT NULL ORDER BY id")
    print(f"  seed_demo: {len(products)} products")
    end = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timezone.timedelta(days=days)
    orders = lines // 3
    counties = ", ".join(f"('{code}', '{name}')" for code, name in COUNTIES)
    terms = "ARRAY[" + ", ".join(f"'{t}'" for t in TERMS) + "]"
    params = {"start": start, "span": days * 86400, "orders": orders, "n": len(COUNTIES)}
    with transaction.atomic():
        _execute(
            """INSERT INTO accounts_user (password, is_superuser, phone_verified, name, is_staff,
                   is_active, date_joined, email)
               SELECT '!', false, false, '压测买家' || g, false, true, now(),
                      'bench-buyer-' || g || '@bench.local'
               FROM generate_series(1, %(n)s) g""",
            {"n": BUYERS + PROMOTERS},
        )
        users = _ids("SELECT id FROM accounts_user WHERE email LIKE 'bench-buyer-%%' ORDER BY id")
        buyers, promoters = users[:BUYERS], users[BUYERS:]
        _execute("CREATE TEMP TABLE bench_products (i int, id bigint, price numeric)")
        _execute(
            "INSERT INTO bench_products SELECT row_number() OVER (ORDER BY id) - 1, id, "
            "5 + (id %% 40) FROM catalog_product WHERE id = ANY(%(ids)s)",
            {"ids": products},
        )
        params.update(
            products=len(products),
            buyer_lo=min(buyers),
            buyer_n=len(buyers),
            promoter_lo=min(promoters),
            promoter_n=len(promoters),
        )
        # Order g has 3 lines k = 0..2: product (g·7 + k·13) mod P, quantity 1 + (g + k) mod 4.
        _execute(
            f"""CREATE TEMP TABLE bench_orders AS
            SELECT g,
                   %(start)s::timestamptz + (random() * %(span)s) * INTERVAL '1 second' AS paid_at,
                   %(buyer_lo)s + floor(random() * %(buyer_n)s)::bigint AS buyer_id,
                   c.code, c.name,
                   random() < 0.15 AS promoted, random() < 0.03 AS refunded,
                   random() < 0.02 AS claimed, random() < 0.01 AS wholesale_unpaid
            FROM generate_series(1, %(orders)s) g
            JOIN (SELECT row_number() OVER () - 1 AS i, code, name
                  FROM (VALUES {counties}) v(code, name)) c ON c.i = g %% %(n)s""",
            params,
        )
        _execute(
            """CREATE TEMP TABLE bench_lines AS
            SELECT o.g, k, p.id AS product_id, p.price, 1 + (o.g + k) %% 4 AS quantity
            FROM bench_orders o CROSS JOIN generate_series(0, 2) k
            JOIN bench_products p ON p.i = (o.g * 7 + k * 13) %% %(products)s""",
            params,
        )
        _execute(
            """INSERT INTO orders_paymentorder (created_at, updated_at, number, amount, status,
                   method, idempotency_key, expires_at, buyer_id, paid_at)
            SELECT o.paid_at, o.paid_at, 'BP' || o.g, t.total,
                   CASE WHEN o.wholesale_unpaid THEN 'pending' ELSE 'paid' END, 'wechat',
                   'bench-' || o.g, o.paid_at + INTERVAL '30 minutes', o.buyer_id,
                   CASE WHEN o.wholesale_unpaid THEN NULL ELSE o.paid_at END
            FROM bench_orders o
            JOIN (SELECT g, SUM(price * quantity) AS total FROM bench_lines GROUP BY g) t
              ON t.g = o.g"""
        )
        _execute(
            """INSERT INTO orders_order (created_at, updated_at, number, status, address,
                   delivery_method, goods_amount, freight_amount, discount_amount, total_amount,
                   refunded_amount, commission_rate, is_wholesale, buyer_note, carrier_name,
                   tracking_number, buyer_id, store_id, payment_order_id, delivery_slot,
                   is_cold_chain, paid_at, promoter_level1_id, freight_discount_amount,
                   freight_discount_code, freight_discount_funder)
            SELECT o.paid_at - INTERVAL '5 minutes', o.paid_at, 'BO' || o.g,
                   CASE WHEN o.wholesale_unpaid THEN 'pending_payment' ELSE 'completed' END,
                   jsonb_build_object('county_code', o.code, 'county_name', o.name),
                   'express', t.total, 0, 0, t.total,
                   CASE WHEN o.refunded AND NOT o.wholesale_unpaid
                        THEN ROUND(t.total * 0.2, 2) ELSE 0 END,
                   0.05, o.wholesale_unpaid, '', '', '', o.buyer_id, t.store_id, po.id, '',
                   false, CASE WHEN o.wholesale_unpaid THEN NULL ELSE o.paid_at END,
                   CASE WHEN o.promoted
                        THEN %(promoter_lo)s + (o.g %% %(promoter_n)s) END, 0, '', ''
            FROM bench_orders o
            -- The order's store: its first line's product's (the other lines' products may be
            -- another store's: the aggregates do not mind).
            JOIN (SELECT l.g, SUM(l.price * l.quantity) AS total,
                         MIN(p.store_id) FILTER (WHERE l.k = 0) AS store_id
                  FROM bench_lines l JOIN catalog_product p ON p.id = l.product_id
                  GROUP BY l.g) t ON t.g = o.g
            JOIN orders_paymentorder po ON po.number = 'BP' || o.g""",
            params,
        )
        _execute(
            """INSERT INTO orders_orderline (title, spec, image, unit_price, quantity,
                   line_amount, discount_amount, paid_amount, refunded_quantity, refunded_amount,
                   order_id, shipped_quantity, product_id)
            SELECT '压测商品', '1kg', '', l.price, l.quantity, l.price * l.quantity, 0,
                   l.price * l.quantity, 0, 0, ord.id, l.quantity, l.product_id
            FROM bench_lines l JOIN orders_order ord ON ord.number = 'BO' || l.g"""
        )
        _execute(
            """INSERT INTO aftersales_aftersale (created_at, updated_at, number, type, reason,
                   reason_text, status, amount_requested, reject_reason, dispute_reason,
                   is_arbitrated, return_carrier, return_tracking_number, buyer_id, order_id,
                   store_id)
            SELECT ord.paid_at + INTERVAL '2 days', ord.paid_at + INTERVAL '2 days',
                   'BA' || o.g, 'refund_only', 'quality', '',
                   CASE WHEN o.g %% 5 = 0 THEN 'withdrawn' ELSE 'refunded' END,
                   GREATEST(ROUND(ord.total_amount * 0.2, 2), 0.01), '', '', false, '', '',
                   ord.buyer_id, ord.id, ord.store_id
            FROM bench_orders o JOIN orders_order ord ON ord.number = 'BO' || o.g
            WHERE o.claimed AND NOT o.wholesale_unpaid"""
        )
        _execute(
            f"""INSERT INTO analytics_searchterm (term, user_id, created_at)
            SELECT ({terms})[1 + (g %% {len(TERMS)})],
                   CASE WHEN g %% 3 = 0 THEN NULL
                        ELSE %(buyer_lo)s + (g %% %(buyer_n)s) END,
                   %(start)s::timestamptz + (random() * %(span)s) * INTERVAL '1 second'
            FROM generate_series(1, {SEARCHES}) g""",
            params,
        )
        # Default addresses for a tenth of the buyers (the searches' county).
        rng = random.Random(3)
        _execute(
            """INSERT INTO orders_address (created_at, updated_at, contact_name, contact_phone,
                   detail, is_default, user_id, county_id, province_id, city_id)
            SELECT now(), now(), '压测', '13800000000', '某村', true, u, d.code,
                   left(d.code, 2), left(d.code, 4)
            FROM unnest(%(users)s::bigint[]) u
            JOIN orders_division d ON d.code = (%(codes)s::text[])[1 + u %% %(n)s]""",
            {
                "users": rng.sample(buyers, BUYERS // 10),
                "codes": [code for code, _name in COUNTIES],
                "n": len(COUNTIES),
            },
        )
    _execute("ANALYZE")


def new_day_of_trade(*, orders: int) -> None:
    """What a day brings: `orders` paid orders (3 lines each) today, a market's quotes re-sent,
    a thousand searches — for the incremental run."""
    from django.utils import timezone

    now = timezone.now()
    base = _ids("SELECT id FROM orders_order WHERE paid_at IS NOT NULL ORDER BY id DESC LIMIT 1")[0]
    _execute(
        """INSERT INTO orders_paymentorder (created_at, updated_at, number, amount, status, method,
               idempotency_key, expires_at, buyer_id, paid_at)
           SELECT %(now)s, %(now)s, 'BPD' || %(base)s || '-' || g, 30, 'paid', 'wechat',
                  'bench-day-' || %(base)s || '-' || g, %(now)s, buyer_id, %(now)s
           FROM generate_series(1, %(orders)s) g
           JOIN LATERAL (SELECT buyer_id FROM orders_order WHERE id = %(base)s - g) b ON true""",
        {"now": now, "base": base, "orders": orders},
    )
    _execute(
        """INSERT INTO orders_order (created_at, updated_at, number, status, address,
               delivery_method, goods_amount, freight_amount, discount_amount, total_amount,
               refunded_amount, commission_rate, is_wholesale, buyer_note, carrier_name,
               tracking_number, buyer_id, store_id, payment_order_id, delivery_slot,
               is_cold_chain, paid_at, freight_discount_amount, freight_discount_code,
               freight_discount_funder)
           SELECT %(now)s, %(now)s, 'BOD' || po.number, 'paid', src.address, 'express',
                  30, 0, 0, 30, 0, 0.05, false, '', '', '', po.buyer_id, src.store_id, po.id, '',
                  false, %(now)s, 0, '', ''
           FROM orders_paymentorder po
           JOIN orders_order src ON src.id = %(base)s - split_part(po.number, '-', 2)::int
           WHERE po.number LIKE 'BPD' || %(base)s || '-%%'""",
        {"now": now, "base": base},
    )
    _execute(
        """INSERT INTO orders_orderline (title, spec, image, unit_price, quantity, line_amount,
               discount_amount, paid_amount, refunded_quantity, refunded_amount, order_id,
               shipped_quantity, product_id)
           SELECT '压测商品', '1kg', '', 10, 1, 10, 0, 10, 0, 0, o.id, 0, l.product_id
           FROM orders_order o
           JOIN orders_order src ON src.id = %(base)s - split_part(o.number, '-', 2)::int
           JOIN orders_orderline l ON l.order_id = src.id
           WHERE o.number LIKE 'BODBPD' || %(base)s || '-%%'""",
        {"base": base},
    )
    _execute(
        "INSERT INTO analytics_searchterm (term, user_id, created_at) "
        "SELECT term, user_id, %(now)s FROM analytics_searchterm ORDER BY id LIMIT 1000",
        {"now": now},
    )


def page_p50(client, url: str, runs: int) -> float:
    client.get(url, HTTP_HOST="localhost", secure=True)  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost", secure=True)
        times.append(time.perf_counter() - start)
    assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def sales_ratio() -> None:
    """The daily sales aggregate (SalesDaily cells, and the totals) alone against the bare
    SELECT … GROUP BY of the same rows, in the same run and transaction. The rebuild is what the
    job's full run does for that table: TRUNCATE, its secondary indexes dropped, the INSERT …
    SELECT, the indexes built again. The bare query computes every output column of the same
    grouping (the outer sums read them all: a bare `count(*)` over the subquery lets PostgreSQL
    drop its unused aggregates, COUNT(DISTINCT …) included, and time a different query)."""
    from django.db import connection, transaction

    from apps.analytics.services.runs import job_memory_set, secondary_indexes_deferred
    from apps.analytics.services.sales import _INSERT_CELLS, _INSERT_TOTALS

    params = {"tz": "Asia/Shanghai", "from_ts": "2000-01-01T00:00:00+00:00"}
    selects = {
        "cells": "SELECT count(*), sum(date - '2000-01-01'), sum(store_id), sum(category_id),"
        " sum(product_id), max(region_code), max(region_name), sum(quantity), sum(gmv),"
        " sum(orders), sum(buyers) FROM (SELECT"
        + _INSERT_CELLS.split("SELECT", 1)[1]
        + ") q (date, store_id, category_id, product_id, region_code, region_name, quantity,"
        " gmv, orders, buyers)",
        "totals": "SELECT count(*), sum(date - '2000-01-01'), sum(store_id), sum(quantity),"
        " sum(gmv), sum(orders), sum(buyers), sum(returning_buyers), sum(promoter_gmv),"
        " sum(promoter_orders), sum(aftersale_orders), sum(refund_amount) FROM (WITH"
        + _INSERT_TOTALS.split("WITH", 1)[1]
        + ") q (date, store_id, quantity, gmv, orders, buyers, returning_buyers, promoter_gmv,"
        " promoter_orders, aftersale_orders, refund_amount)",
    }
    keys_only = {
        "cells": "SELECT count(*) FROM (SELECT" + _INSERT_CELLS.split("SELECT", 1)[1] + ") q",
        "totals": "SELECT count(*) FROM (WITH" + _INSERT_TOTALS.split("WITH", 1)[1] + ") q",
    }
    for name, insert in (("cells", _INSERT_CELLS), ("totals", _INSERT_TOTALS)):
        table = "analytics_salesdaily" if name == "cells" else "analytics_salesdailytotal"
        with transaction.atomic(), connection.cursor() as cursor:
            job_memory_set()  # as the job does
            start = time.perf_counter()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {table}")  # as the job's full rebuild does
            with secondary_indexes_deferred(table):
                cursor.execute(insert, params)
                inserted = time.perf_counter() - start
            rebuild = time.perf_counter() - start
            start = time.perf_counter()
            cursor.execute(selects[name], params)
            bare = time.perf_counter() - start
            # For comparison with the figures before 2026-12-07 21:30 UTC: the old bare query,
            # `count(*)` over the SELECT, whose aggregates PostgreSQL leaves out.
            start = time.perf_counter()
            cursor.execute(keys_only[name], params)
            keys = time.perf_counter() - start
        print(
            f"sales {name}: rebuild {rebuild:.2f} s (index builds {rebuild - inserted:.2f} s),"
            f" bare GROUP BY {bare:.2f} s, ratio {rebuild / bare:.2f}"
            f" (against the grouping keys only, {keys:.2f} s: {rebuild / keys:.2f})"
        )


PARTS = ("rebuild", "ratio", "incremental", "forecast", "pages")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--quotes-days", type=int, default=730)
    parser.add_argument("--page-runs", type=int, default=30)
    parser.add_argument("--series", type=int, default=500)
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, of {','.join(PARTS)} (default: all)",
    )
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if parts - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(parts - set(PARTS)))}")

    from common import setup_django

    setup_django()
    from django.db import connection
    from django.test import Client

    from apps.accounts.models import User
    from apps.analytics.forecasting import forecast_choose
    from apps.analytics.models import Commodity, PriceObservation
    from apps.analytics.services.demand import demand_aggregate
    from apps.analytics.services.forecasts import demand_forecast
    from apps.analytics.services.prices import prices_aggregate
    from apps.analytics.services.sales import sales_aggregate
    from apps.analytics.services.synthetic import market_prices_seed
    from apps.stores.models import StoreMember

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0])
    print("load average at start", os.getloadavg())
    if not args.skip_seed or PriceObservation.objects.count() < 1000:
        timed(
            f"seed quotes: {args.quotes_days} days × 20 markets × 80 commodities",
            lambda: market_prices_seed(days=args.quotes_days),
        )
    print("quotes:", PriceObservation.objects.count())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders_orderline")
        lines = cursor.fetchone()[0]
    if not args.skip_seed or lines < 1000:
        timed(
            f"seed trade: {args.lines} order lines over {args.days} days",
            lambda: seed_trade(lines=args.lines, days=args.days),
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM orders_orderline), (SELECT count(*) FROM orders_order),"
            " (SELECT count(*) FROM analytics_searchterm)"
        )
        lines, orders, searches = cursor.fetchone()
    print(f"order lines: {lines}, orders: {orders}, searches: {searches}")

    # --- the full rebuild of every daily aggregate -------------------------------------------
    if "rebuild" in parts:
        print("load average before the rebuild", os.getloadavg())
        prices_s, run = timed("prices: full rebuild", lambda: prices_aggregate(full=True))
        print("  rows written:", run.rows)
        sales_s, run = timed("sales: full rebuild", lambda: sales_aggregate(full=True))
        print("  rows written:", run.rows)
        demand_s, run = timed("demand: full rebuild", lambda: demand_aggregate(full=True))
        print("  rows written:", run.rows)
        print(f"FULL REBUILD of all daily aggregates: {prices_s + sales_s + demand_s:.2f} s")

    if "ratio" in parts:
        sales_ratio()

    # --- the incremental daily run -----------------------------------------------------------
    if "incremental" in parts:
        last = PriceObservation.objects.order_by("-date").values_list("date", flat=True).first()
        market_id = PriceObservation.objects.filter(date=last).values_list("market_id", flat=True)[
            0
        ]
        kept = list(PriceObservation.objects.filter(date=last, market_id=market_id))
        PriceObservation.objects.filter(pk__in=[o.pk for o in kept]).delete()
        for observation in kept:
            observation.pk = None
        PriceObservation.objects.bulk_create(kept)
        new_day_of_trade(orders=max(1, orders // args.days))
        print("load average before the incremental run", os.getloadavg())
        p_s, run = timed("prices: incremental daily run", prices_aggregate)
        print("  from", run.date_from, "rows", run.rows)
        s_s, run = timed("sales: incremental daily run", sales_aggregate)
        print("  from", run.date_from, "rows", run.rows)
        d_s, run = timed("demand: incremental daily run", demand_aggregate)
        print("  from", run.date_from, "rows", run.rows)
        print(f"INCREMENTAL daily run: {p_s + s_s + d_s:.2f} s")

    # --- forecasting -------------------------------------------------------------------------
    if "forecast" in parts:
        _seconds, run = timed("forecast job over the demand aggregate", demand_forecast)
        print("  forecast rows", run.rows)

    # --- dashboard pages ---------------------------------------------------------------------
    if "pages" in parts:
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)  # the manifest of production
        staff = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
            email="bench-staff@bench.local", password=None, name="压测运营"
        )
        merchant = StoreMember.objects.select_related("user").first().user
        commodity = Commodity.objects.order_by("id").first()
        anonymous, staff_client, merchant_client = Client(), Client(), Client()
        staff_client.force_login(staff)
        merchant_client.force_login(merchant)
        pages = [
            ("staff /admin/ (first page with the figures)", staff_client, "/admin/"),
            ("staff /figures/ (30 days)", staff_client, "/figures/"),
            (
                "staff /figures/?days=365&grain=week",
                staff_client,
                "/figures/?days=365&grain=week",
            ),
            ("merchant /figures/", merchant_client, "/figures/"),
            ("merchant /admin/ (first page with the figures)", merchant_client, "/admin/"),
            (
                "merchant /figures/?days=365&grain=week",
                merchant_client,
                "/figures/?days=365&grain=week",
            ),
            ("staff /api/v1/analytics/sales/", staff_client, "/api/v1/analytics/sales/"),
            ("/market/", anonymous, "/market/"),
            ("/market/<id>/?days=365", anonymous, f"/market/{commodity.pk}/?days=365"),
            ("/api/v1/market/quotes/", anonymous, "/api/v1/market/quotes/"),
        ]
        for label, client, url in pages:
            print(f"page {label}: p50 {page_p50(client, url, args.page_runs):.1f} ms")

    if "forecast" in parts:
        import random

        rng = random.Random(1)
        week = [10, 12, 14, 16, 18, 30, 40]
        series = [
            [max(0.0, week[t % 7] * (1 + 0.002 * t) + rng.gauss(0, 3)) for t in range(365)]
            for _ in range(args.series)
        ]
        _seconds, results = timed(
            f"forecast {args.series} series of 365 days",
            lambda: [forecast_choose(s) for s in series],
        )
        methods = [r.method for r in results]
        print("  methods:", {m: methods.count(m) for m in set(methods)})

    print("load average at the end", os.getloadavg())


if __name__ == "__main__":
    main()
