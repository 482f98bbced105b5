#!/usr/bin/env python
"""Storefront figures: 10,000 products in PostgreSQL, gunicorn with 2 workers, wrk on 127.0.0.1.

Run by hand (not part of the test suite), from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tianjian_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/run.py

Steps: migrate and `seed_demo --products N` (timed; a no-op when the data is already there),
collectstatic, start gunicorn (production settings, DEBUG off) on 127.0.0.1:PORT, warm up, then
one bounded wrk run per page (at most --max-requests responses and --duration seconds each) and
one per search query. Prints Markdown tables with p50/p95/p99, the server CPU time per request
(gunicorn workers + their PostgreSQL backends, from /proc: what a request costs whatever else
shares the machine), the SQL queries each page makes and, per search query, the latency of the
search selectors alone; writes the raw figures to bench/results/<time>.json; stops gunicorn.
`--explain` also prints EXPLAIN ANALYZE of every SQL query the search and listing pages run.
`--page-cache-seconds 0` measures every request rendering (the default, 60, is the anonymous
page cache as deployed: wrk sends no cookies, so it is an anonymous shopper).

Requests only ever go to 127.0.0.1; wrk comes from Debian (`apt-get install -y wrk`).
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "bench"
VENV_BIN = BASE_DIR / ".venv" / "bin"
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tianjian_bench"

PAGE_P50_TARGET_MS = 30.0
SEARCH_P95_TARGET_MS = 50.0
# What a shopper types: words, a phrase, pinyin, a certification, a store name, a county.
SEARCH_QUERIES = [
    "大米",
    "五常大米",
    "脐橙",
    "wuchang",
    "铁观音",
    "有机",
    "东宁市绥阳黑木耳专业合作社",
    "信丰县",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8471)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=2, help="wrk open connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per page run (max)")
    parser.add_argument("--max-requests", type=int, default=3000, help="responses per run (max)")
    parser.add_argument("--search-duration", type=int, default=5, help="seconds per query (max)")
    parser.add_argument("--skip-seed", action="store_true", help="use the data already there")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE page queries")
    parser.add_argument(
        "--page-cache-seconds",
        type=int,
        default=60,
        help="STOREFRONT_PAGE_CACHE_SECONDS of the server (0: every request renders)",
    )
    args = parser.parse_args()
    if args.port == 8000:
        parser.error("port 8000 is kept for `make run`; pick another")
    return args


def bench_env() -> dict[str, str]:
    env = os.environ.copy()
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not env["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        sys.exit("bench/run.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    env["DJANGO_DEBUG"] = "0"
    env.setdefault("DJANGO_SECRET_KEY", f"bench-{secrets.token_hex(24)}")
    env.setdefault("DJANGO_SECURE_COOKIES", "0")  # plain HTTP on 127.0.0.1
    env.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    env.setdefault("DJANGO_SECURE_HSTS_SECONDS", "0")
    env.setdefault("MEDIA_ROOT", "/tmp/tianjian-bench-media")
    env.setdefault("LOG_LEVEL", "WARNING")
    # Production settings refuse to start without a mail backend; a benchmark sends no mail.
    env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    env.setdefault("SEARCH_REINDEX_ENABLED", "0")
    # One client sends thousands of requests a minute: the API's per-client limits would
    # answer 429 and measure the throttle, not the view.
    for scope in ("ANON", "USER", "SEARCH", "CHECKOUT"):
        env.setdefault(f"API_RATE_{scope}", "1000000/m")
    env.setdefault("DB_CONN_MAX_AGE", "600")  # persistent connections, as in production
    return env


def with_page_cache(env: dict[str, str], seconds: int) -> dict[str, str]:
    return {**env, "STOREFRONT_PAGE_CACHE_SECONDS": str(seconds)}


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args], cwd=BASE_DIR, env=env, check=True
    )


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((HOST, port)) != 0


def wait_for_healthz(base: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:  # 503: up, but the database is not
            return json.load(exc)
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {base}/readyz within {timeout:.0f}s")


def wrk(
    url: str, *, paths: list[str], args: argparse.Namespace, duration: int, cpu: "ServerCpu"
) -> dict:
    """One bounded wrk run against `url`, rotating through `paths`; returns its figures."""
    command = [
        "wrk",
        "-t1",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(BENCH_DIR / "percentiles.lua"),
        url,
    ]
    env = {
        **os.environ,
        "WRK_MAX_REQUESTS": str(args.max_requests),
        "WRK_PATHS": "\n".join(paths),
    }
    before = cpu.seconds()
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    spent = cpu.spent(before, cpu.seconds())
    figures = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    figures["server_cpu_ms_per_request"] = round(spent * 1000 / max(figures["requests"], 1), 1)
    figures["command"] = " ".join(command)
    return figures


class ServerCpu:
    """CPU time spent serving: the gunicorn workers plus their PostgreSQL backends, from /proc.

    Divided by the requests of a run it approximates each page's latency on an idle machine,
    which wall-clock percentiles cannot show while other jobs share the CPUs.
    """

    def __init__(self, master_pid: int) -> None:
        self.master_pid = master_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def _workers(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.master_pid:
                pids.append(int(stat.parent.name))
        return pids

    def _backends(self) -> list[int]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            return [row[0] for row in cursor.fetchall()]

    def seconds(self) -> dict[int, float]:
        used = {}
        for pid in [*self._workers(), *self._backends()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[pid] = (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime
        return used

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def pick_pages() -> dict[str, list[str]]:
    """Paths per page kind, chosen from what the seed put in the database."""
    from apps.catalog.models import Category, Product
    from apps.stores.models import Store

    top = Category.objects.filter(parent__isnull=True).order_by("sort_order", "id").first()
    leaf = Category.objects.filter(parent=top).order_by("sort_order", "id").first()
    ids = list(
        Product.objects.filter(status=Product.Status.ON_SALE)
        .order_by("id")
        .values_list("id", flat=True)
    )
    step = max(len(ids) // 100, 1)
    detail_ids = ids[::step][:100]
    own = Store.objects.get(type="self_operated")
    merchant = Store.objects.filter(status="active").exclude(pk=own.pk).order_by("id").first()
    return {
        "home": ["/"],
        "listing (top category)": [f"/c/{top.slug}/"],
        "listing (leaf, by sales)": [f"/c/{leaf.slug}/?sort=sales"],
        "listing (page 20)": [f"/c/{top.slug}/?page=20"],
        "detail (100 products)": [f"/p/{pk}/" for pk in detail_ids],
        "store (self-operated)": [f"/s/{own.slug}/"],
        "store (merchant)": [f"/s/{merchant.slug}/"],
    }


def search_path(query: str) -> str:
    return "/search/?" + urlencode({"q": query}, quote_via=quote)


def queries_per_page(path: str, *, explain: bool) -> int:
    """SQL queries one request makes (Django test client, same settings and database), with
    the page cache off: what a render costs, not a cache hit."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with (
        override_settings(STOREFRONT_PAGE_CACHE_SECONDS=0),
        CaptureQueriesContext(connection) as captured,
    ):
        status = client.get(path).status_code
    if status != 200:
        raise SystemExit(f"{path} answered {status}")
    if explain:
        print(f"\n### EXPLAIN ANALYZE for {path}")
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                print(f"\n-- {query['time']}s: {sql[:300]}\n{plan}")
    return len(captured.captured_queries)


def search_engine_latency(query: str, repeat: int = 60) -> dict:
    """The search itself, without HTTP or templates: what the search page asks the database
    (match count, first page of 20 with store, category and covers, and the facets)."""
    from apps.catalog.selectors import (
        ProductFilters,
        product_facets_for_storefront,
        product_list_for_storefront,
    )

    filters = ProductFilters(q=query)
    timings = []
    for _ in range(repeat + 5):
        started = time.perf_counter()
        queryset = product_list_for_storefront(filters)
        queryset.count()
        list(queryset[:20])
        product_facets_for_storefront(filters)
        timings.append((time.perf_counter() - started) * 1000)
    timings = sorted(timings[5:])  # the first runs warm caches

    def pick(q: float) -> float:
        return round(timings[min(int(q * len(timings)), len(timings) - 1)], 2)

    return {"p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99)}


def environment() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    gunicorn = subprocess.run(
        [str(VENV_BIN / "gunicorn"), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "gunicorn": gunicorn,
        "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0],
        "redis": os.environ.get("REDIS_URL", "") or "(none: local-memory cache)",
        "load_average_before": os.getloadavg(),
    }


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    env = bench_env()
    server_env = with_page_cache(env, args.page_cache_seconds)
    base = f"http://{HOST}:{args.port}"
    if not port_is_free(args.port):
        sys.exit(f"{HOST}:{args.port} is in use; pick another --port")

    manage(env, "migrate", "--noinput", "-v0")
    seed_seconds = None
    if not args.skip_seed:
        started = time.monotonic()
        manage(env, "seed_demo", "--products", str(args.products), "-v0")
        seed_seconds = round(time.monotonic() - started, 1)
        print(f"seed_demo --products {args.products}: {seed_seconds}s")
    manage(env, "collectstatic", "--noinput", "-v0")
    django_setup(env)
    from django.db import connection

    from apps.catalog.models import Product

    # The steady state autovacuum gives a production database: statistics for the planner and
    # a visibility map for index-only scans (this machine's PostgreSQL runs autovacuum=off).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    product_count = Product.objects.count()
    pages = pick_pages()

    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"{HOST}:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=server_env,
    )
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "products": product_count,
        "seed_seconds": seed_seconds,
        "environment": environment(),
        "args": vars(args),
        "pages": {},
        "search": {},
    }
    try:
        results["healthz"] = wait_for_healthz(base)
        for paths in [*pages.values(), *[[search_path(q)] for q in SEARCH_QUERIES]]:
            # Warm up workers, templates, PostgreSQL caches and the page cache (every path once:
            # the detail run rotates through 100 products and would otherwise measure only misses).
            for index, path in enumerate(paths):
                for _ in range(args.workers * 2 if index < 5 else 1):
                    urllib.request.urlopen(base + path, timeout=10).read()

        cpu = ServerCpu(server.pid)
        for name, paths in pages.items():
            figures = wrk(base + paths[0], paths=paths, args=args, duration=args.duration, cpu=cpu)
            figures["sql_queries"] = queries_per_page(paths[0], explain=False)
            results["pages"][name] = {"path": paths[0], **figures}
        mixed = [search_path(q) for q in SEARCH_QUERIES]
        figures = wrk(base + mixed[0], paths=mixed, args=args, duration=args.duration, cpu=cpu)
        figures["sql_queries"] = queries_per_page(mixed[0], explain=False)
        results["pages"]["search (all queries mixed)"] = {"path": "/search/?q=…", **figures}
        for query in SEARCH_QUERIES:
            path = search_path(query)
            figures = wrk(
                base + path, paths=[path], args=args, duration=args.search_duration, cpu=cpu
            )
            figures["sql_queries"] = queries_per_page(path, explain=False)
            figures["engine"] = search_engine_latency(query)
            results["search"][query] = {"path": path, **figures}
        if args.explain:
            for path in [pages["listing (top category)"][0], *mixed]:
                queries_per_page(path, explain=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    results["environment"]["load_average_after"] = os.getloadavg()
    report(results)
    out_dir = BENCH_DIR / "results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"{results['when'].replace(':', '')}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"\nraw figures: {out.relative_to(BASE_DIR)}")


def report(results: dict) -> None:
    env = results["environment"]
    print(
        f"\n{results['products']} products · {env['cpus']} CPUs · PostgreSQL {env['postgresql']} "
        f"· {env['gunicorn']} ({results['args']['workers']} workers) · {env['wrk']} "
        f"· {results['args']['connections']} connections · cache: {env['redis']} "
        f"· page cache for anonymous shoppers: {results['args']['page_cache_seconds']} s"
    )
    load = " → ".join(
        "/".join(f"{x:.1f}" for x in env[key])
        for key in ("load_average_before", "load_average_after")
    )
    print(f"healthz: {results['healthz']['status']} · load average (1/5/15 min): {load}\n")
    print(
        "| page | requests | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req "
        "| SQL queries | p50 < 30 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, r in results["pages"].items():
        ok = "yes" if r["p50_ms"] < PAGE_P50_TARGET_MS else "**no**"
        errors = f" ({r['non_2xx_3xx']} non-2xx)" if r["non_2xx_3xx"] else ""
        print(
            f"| {name} `{r['path']}` | {r['requests']}{errors} | {r['rps']} | {r['p50_ms']} "
            f"| {r['p95_ms']} | {r['p99_ms']} | {r['server_cpu_ms_per_request']} "
            f"| {r['sql_queries']} | {ok} |"
        )
    print(
        "\n| search query | requests | p50 ms | p95 ms | p99 ms | server CPU ms/req "
        "| SQL queries | p95 < 50 ms | search engine p50 / p95 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for query, r in results["search"].items():
        ok = "yes" if r["p95_ms"] < SEARCH_P95_TARGET_MS else "**no**"
        print(
            f"| {query} | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} "
            f"| {r['server_cpu_ms_per_request']} | {r['sql_queries']} | {ok} "
            f"| {r['engine']['p50_ms']} / {r['engine']['p95_ms']} |"
        )
    first = next(iter(results["pages"].values()))
    print(f"\nwrk command (per page): {first['command']}")


if __name__ == "__main__":
    main()
