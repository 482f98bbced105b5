"""Analytics figures (issue 15): price rebuild, incremental run, sales rebuild vs a bare
GROUP BY, dashboard page times, forecasting speed. Run by hand; results go to
docs/benchmarks.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tianjian_analytics_bench \\
        .venv/bin/python bench/analytics_bench.py [--skip-seed]

Quotes: the synthetic generator (730 days × 20 markets × 80 commodities ≈ 1.13 M rows) unless
--skip-seed and enough are there. Sales: whatever order lines the database holds (the script
prints their count; the 1 M-line figure needs a database filled beforehand).
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
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tianjian_analytics_bench")


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.2f} s")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--page-runs", type=int, default=30)
    parser.add_argument("--series", type=int, default=500)
    args = parser.parse_args()

    from common import setup_django

    setup_django()
    from django.db import connection
    from django.test import Client

    from apps.analytics.forecasting import forecast_choose
    from apps.analytics.models import Commodity, PriceObservation
    from apps.analytics.services.prices import prices_aggregate
    from apps.analytics.services.sales import _INSERT_CELLS, _INSERT_TOTALS, sales_aggregate
    from apps.analytics.services.synthetic import market_prices_seed

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0], "| load average", os.getloadavg())
    if not args.skip_seed or PriceObservation.objects.count() < 1_000_000:
        timed("seed 730 days × 20 markets × 80 commodities", market_prices_seed)
    print("quotes:", PriceObservation.objects.count())

    _seconds, run = timed("prices: full rebuild", lambda: prices_aggregate(full=True))
    print("  rows written:", run.rows)
    # The daily run: yesterday's quotes re-sent for one market (deleted, then added again).
    last = PriceObservation.objects.order_by("-date").values_list("date", flat=True).first()
    market_id = PriceObservation.objects.filter(date=last).values_list("market_id", flat=True)[0]
    kept = list(PriceObservation.objects.filter(date=last, market_id=market_id))
    PriceObservation.objects.filter(pk__in=[o.pk for o in kept]).delete()
    for observation in kept:
        observation.pk = None
    PriceObservation.objects.bulk_create(kept)
    _seconds, run = timed("prices: incremental daily run", prices_aggregate)
    print("  from", run.date_from, "rows", run.rows)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders_orderline")
        lines = cursor.fetchone()[0]
    print("order lines:", lines)
    sales_full, _ = timed("sales: full rebuild", lambda: sales_aggregate(full=True))
    # The same SELECTs without the INSERT: what a bare GROUP BY of those rows costs.
    selects = [
        "SELECT count(*) FROM (SELECT" + sql.split("SELECT", 1)[1] + ") q"
        for sql in (_INSERT_CELLS, _INSERT_TOTALS)
    ]
    params = {"tz": "Asia/Shanghai", "from_ts": "2000-01-01T00:00:00+00:00"}
    with connection.cursor() as cursor:
        start = time.perf_counter()
        for sql in selects:
            cursor.execute(sql, params)
        bare = time.perf_counter() - start
    print(f"sales: bare GROUP BYs of the same rows: {bare:.2f} s; ratio {sales_full / bare:.2f}")

    client = Client()
    commodity = Commodity.objects.order_by("id").first()
    pages = {
        "/market/": "/market/",
        "/market/<id>/?days=365": f"/market/{commodity.pk}/?days=365",
        "/api/v1/market/quotes/": "/api/v1/market/quotes/",
    }
    for label, url in pages.items():
        client.get(url)  # warm
        times = []
        for _ in range(args.page_runs):
            start = time.perf_counter()
            response = client.get(url, HTTP_HOST="localhost")
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        print(f"page {label}: p50 {statistics.median(times) * 1000:.1f} ms")

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


if __name__ == "__main__":
    main()
