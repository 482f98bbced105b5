#!/usr/bin/env python
"""Search figures (issue 18): the logged-in search page and the product API over 10,000 products.

Run by hand (not part of the test suite), from the project root, with PostgreSQL and Redis:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tianjian_search_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/search_bench.py [--skip-seed]

Steps: migrate, `seed_demo --products N` (a no-op when the data is there), rebuild stale search
documents, collectstatic, VACUUM ANALYZE; gunicorn (production settings, DEBUG off, the
anonymous page cache OFF, 2 sync workers) on 127.0.0.1:PORT; a demo shopper logged in (session
cookie); then per query type (one word, two words, pinyin, initials, synonyms and traditional
characters, a typo) `--requests` requests from `--clients` keep-alive connections to the
logged-in search page `/search/?q=` and to the API `/api/v1/products/?search=` (with the same
session), rotating through the type's queries. Prints p50/p95/max per type and target, the
SQL queries of each request (counted in-process with the same settings) and the server CPU
per request (gunicorn workers + their PostgreSQL backends, from /proc).
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

import run as storefront  # noqa: E402  (bench/run.py: env, gunicorn helpers, server CPU)

BASE_DIR = BENCH_DIR.parent
HOST = "127.0.0.1"
P95_TARGET_MS = 50.0
SHOPPER = "shopper@tianjian.local"  # a demo account of seed_demo
QUERY_TYPES = {
    "one word": ["大米", "脐橙", "猕猴桃", "有机", "铁观音"],
    "two words": ["五常 大米", "赣南 脐橙", "有机 大米", "东北 木耳"],
    "pinyin": ["wuchang", "qicheng", "mihoutao", "dami"],
    "initials": ["wcdm", "qc", "mht", "tgy"],
    "synonym / traditional": ["土豆", "西红柿", "蘋果", "雞蛋"],
    "typo (did you mean)": ["五长大米"],
}
TARGETS = {
    "page": lambda q: "/search/?" + urlencode({"q": q}),
    "api": lambda q: "/api/v1/products/?" + urlencode({"search": q}),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8473)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2, help="concurrent connections")
    parser.add_argument("--requests", type=int, default=200, help="per query type and target")
    parser.add_argument("--skip-seed", action="store_true", help="use the data already there")
    return parser.parse_args()


def prepare(env: dict[str, str], args: argparse.Namespace) -> None:
    storefront.manage(env, "migrate", "--noinput", "-v0")
    if not args.skip_seed:
        started = time.monotonic()
        storefront.manage(env, "seed_demo", "--products", str(args.products))
        print(f"seed_demo --products {args.products}: {time.monotonic() - started:.0f} s")
    storefront.manage(
        env,
        "shell",
        "-c",
        "from apps.catalog.services.search import products_reindex_stale as r; print(r())",
    )
    storefront.manage(env, "collectstatic", "--noinput", "-v0")
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def session_cookie() -> str:
    """A logged-in demo shopper's session, saved where gunicorn reads it."""
    from django.conf import settings
    from django.test import Client

    from apps.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=SHOPPER))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def query_counts(cookie: str) -> dict[tuple[str, str], int]:
    """SQL queries of one request per query and target (in-process, same settings)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.catalog.search import warm_up

    warm_up()
    client = Client(HTTP_COOKIE=cookie)
    counts = {}
    for queries in QUERY_TYPES.values():
        for q in queries:
            for target, path in TARGETS.items():
                client.get(path(q))  # synonyms cached, connection open: a steady state
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(path(q))
                assert response.status_code == 200, (path(q), response.status_code)
                counts[(target, q)] = len(ctx.captured_queries)
    return counts


def hammer(port: int, paths: list[str], cookie: str, total: int, clients: int) -> list[float]:
    """`total` GETs rotating through `paths` from `clients` keep-alive connections; ms each."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        headers = {"Cookie": cookie, "Accept": "text/html,application/json"}
        for n in counter:
            path = paths[n % len(paths)]
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")
            with lock:
                latencies.append(elapsed)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    args = parse_args()
    env = storefront.bench_env()
    env["STOREFRONT_PAGE_CACHE_SECONDS"] = "0"  # what a logged-in shopper gets anyway
    os.environ.update(env)
    from common import setup_django  # bench/common.py

    setup_django()
    prepare(env, args)
    cookie = session_cookie()
    counts = query_counts(cookie)
    if not storefront.port_is_free(args.port):
        raise SystemExit(f"port {args.port} is busy")
    server = subprocess.Popen(
        [
            str(storefront.VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{args.port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    try:
        storefront.wait_for_healthz(f"http://{HOST}:{args.port}")
        cpu = storefront.ServerCpu(server.pid)
        queries = [q for qs in QUERY_TYPES.values() for q in qs]
        all_paths = [path(q) for q in queries for path in TARGETS.values()]
        hammer(args.port, all_paths * 2, cookie, len(all_paths) * 2, args.clients)  # warm-up
        load_before = os.getloadavg()[0]
        print(
            f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {args.products} products, gunicorn "
            f"-w {args.workers}, {args.clients} connections, {args.requests} requests per row, "
            f"logged in, no page cache; load average {load_before:.1f}\n"
        )
        print(
            "| query type | target | p50 ms | p95 ms | max ms | server CPU ms/req "
            "| SQL queries | p95 < 50 ms |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---|")
        every: list[float] = []
        for kind, queries in QUERY_TYPES.items():
            for target, path in TARGETS.items():
                before = cpu.seconds()
                latencies = hammer(
                    args.port, [path(q) for q in queries], cookie, args.requests, args.clients
                )
                spent = cpu.spent(before, cpu.seconds())
                every += latencies
                sql = sorted({counts[(target, q)] for q in queries})
                p95 = percentile(latencies, 0.95)
                print(
                    f"| {kind} | {target} | {statistics.median(latencies):.1f} | {p95:.1f} "
                    f"| {max(latencies):.1f} | {spent * 1000 / len(latencies):.1f} "
                    f"| {'–'.join(map(str, (sql[0], sql[-1]))) if len(sql) > 1 else sql[0]} "
                    f"| {'yes' if p95 < P95_TARGET_MS else 'no'} |"
                )
        print(
            f"\nall {len(every)} requests: p50 {statistics.median(every):.1f} ms, "
            f"p95 {percentile(every, 0.95):.1f} ms, max {max(every):.1f} ms; "
            f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
