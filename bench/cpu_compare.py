#!/usr/bin/env python
"""Server CPU per request, this tree beside a baseline commit, both measured in the same run.

Run by hand (not part of the test suite), from the project root:

    .venv/bin/python bench/cpu_compare.py [--baseline main] [--products 10000]

The machines this runs on are shared and noisy, so only a ratio taken in one run counts:
the baseline commit is checked out in a git worktree (--baseline-tree, created when missing)
and served by its own gunicorn beside this tree's, each on its own copy of the same data, and
the two are measured turn by turn (A B B A …) on every page.

What it measures (gunicorn `config.settings.production`, DEBUG off, 2 sync workers each,
the whole-page cache off, PostgreSQL on 127.0.0.1): the CPU time of the gunicorn workers plus
their PostgreSQL backends, read from /proc before and after each run, divided by the responses
(or the orders placed) of that run.

- pages: `seed_demo --products N` once into `<prefix>_base` by the baseline tree (kept and
  reused by later runs), `VACUUM ANALYZE`; `<prefix>_cur` is re-made from it each run
  (CREATE DATABASE … TEMPLATE, then this tree's migrations). Home, a top category's page 1 and
  page 50, the product page rotating through 100 products, a search. Every request is an
  anonymous GET with no cookies; a Python client on keep-alive connections (2 threads).
- checkout: the data of bench/checkout_bench.py (a hot SKU, 1,000 spread SKUs, one ready buyer
  per order) seeded by the baseline tree into `<prefix>_co_base`, copied to `<prefix>_co_cur`;
  POST /api/v1/checkout/ with an Idempotency-Key from 8 threads, hot then spread; the hot SKU's
  `reserved` must equal the orders placed on it on both sides.

Prints Markdown tables (ms per request, the ratio today ÷ baseline, SQL queries of one render)
and writes the raw figures to bench/results/cpu-compare-<time>.json.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from common import run_threads  # bench/common.py (the script's own folder)

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PG = "postgres://postgres@127.0.0.1:5432"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="main", help="commit (or ref) to compare with")
    parser.add_argument("--baseline-tree", default="/work/wt/perf-base")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--db-prefix", default="tj_perf_cmp")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--requests", type=int, default=200, help="per page, side and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--orders", type=int, default=300, help="per checkout scenario")
    parser.add_argument("--only", choices=["pages", "checkout"], default=None)
    parser.add_argument("--reseed", action="store_true", help="re-seed the baseline databases")
    parser.add_argument("--port", type=int, default=8631, help="baseline; today's is port + 1")
    return parser.parse_args()


# --- trees and databases -------------------------------------------------------------------


@dataclass
class Side:
    name: str  # "baseline" / "today"
    tree: Path
    commit: str
    port: int
    cache_prefix: str
    server: subprocess.Popen | None = None
    cpu_seconds: dict = field(default_factory=dict)

    @property
    def python(self) -> str:
        return str(self.tree / ".venv" / "bin" / "python")

    @property
    def gunicorn(self) -> str:
        return str(self.tree / ".venv" / "bin" / "gunicorn")


def git(*args: str, cwd: Path = BASE_DIR) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def baseline_tree(commit: str, tree: Path) -> Path:
    """A detached worktree at `commit` sharing this checkout's venv."""
    if not tree.exists():
        git("worktree", "add", "--detach", str(tree), commit)
    elif git("rev-parse", "HEAD", cwd=tree) != commit:
        git("checkout", "--detach", commit, cwd=tree)
    venv = tree / ".venv"
    if not venv.exists():
        venv.symlink_to((BASE_DIR / ".venv").resolve())
    return tree


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def db_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def db_query(name: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(f"{PG}/{name}", autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def django_env(side: Side, db: str, *, redis_url: str, extra: dict | None = None) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "PYTHONPATH"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "cpu-compare-bench-not-secret",
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on 127.0.0.1
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DATABASE_URL": f"{PG}/{db}",
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": side.cache_prefix,
            "MEDIA_ROOT": "/tmp/tianjian-bench-media",
            "LOG_LEVEL": "WARNING",
            "SEARCH_REINDEX_ENABLED": "0",
            "DB_CONN_MAX_AGE": "600",
            "STOREFRONT_PAGE_CACHE_SECONDS": "0",
            "ORDER_PAYMENT_TIMEOUT_MINUTES": "600",
            "API_RATE_CHECKOUT": "100000/m",
        }
    )
    env.update(extra or {})
    return env


def manage(side: Side, env: dict, *args: str) -> None:
    subprocess.run([side.python, "manage.py", *args], cwd=side.tree, env=env, check=True)


def copy_database(source: str, target: str) -> None:
    admin_sql(
        f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)',
        # No session may be connected to the template while it is copied.
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{source}' AND pid <> pg_backend_pid()",
        f'CREATE DATABASE "{target}" TEMPLATE "{source}"',
    )


def vacuum(db: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def prepare_pages_databases(args, base: Side, cur: Side) -> tuple[str, str]:
    base_db, cur_db = f"{args.db_prefix}_base", f"{args.db_prefix}_cur"
    env = django_env(base, base_db, redis_url=args.redis_url)
    seeded = False
    if not args.reseed and db_exists(base_db):
        rows = db_query(base_db, "SELECT to_regclass('catalog_product') IS NOT NULL")
        if rows[0][0]:
            count = db_query(base_db, "SELECT count(*) FROM catalog_product")[0][0]
            seeded = count >= args.products
    if not seeded:
        admin_sql(
            f'DROP DATABASE IF EXISTS "{base_db}" WITH (FORCE)', f'CREATE DATABASE "{base_db}"'
        )
        started = time.monotonic()
        manage(base, env, "migrate", "--noinput", "-v0")
        manage(base, env, "seed_demo", "--products", str(args.products), "-v0")
        print(f"seeded {base_db} in {time.monotonic() - started:.0f}s", flush=True)
    copy_database(base_db, cur_db)
    manage(cur, django_env(cur, cur_db, redis_url=args.redis_url), "migrate", "--noinput", "-v0")
    for db in (base_db, cur_db):
        vacuum(db)
    return base_db, cur_db


def collectstatic(side: Side) -> None:
    """The manifest storage of production settings renders {% static %} from the manifest."""
    manage(side, django_env(side, "postgres", redis_url=""), "collectstatic", "--noinput", "-v0")


CHECKOUT_SEED = """
import json, sys, importlib.util
sys.path.insert(0, ".")
import django
django.setup()
spec = importlib.util.spec_from_file_location("checkout_bench", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(module.seed(int(sys.argv[2]))))
"""


def prepare_checkout_databases(args, base: Side, cur: Side) -> tuple[str, str, dict]:
    """The checkout bench's data, seeded by the baseline tree (its models, its migrations)."""
    base_db, cur_db = f"{args.db_prefix}_co_base", f"{args.db_prefix}_co_cur"
    admin_sql(f'DROP DATABASE IF EXISTS "{base_db}" WITH (FORCE)', f'CREATE DATABASE "{base_db}"')
    env = django_env(base, base_db, redis_url="")
    manage(base, env, "migrate", "--noinput", "-v0")
    out = subprocess.run(
        [
            base.python,
            "-c",
            CHECKOUT_SEED,
            str(BASE_DIR / "bench" / "checkout_bench.py"),
            str(args.orders),
        ],
        cwd=base.tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    copy_database(base_db, cur_db)
    manage(cur, django_env(cur, cur_db, redis_url=""), "migrate", "--noinput", "-v0")
    for db in (base_db, cur_db):
        vacuum(db)
    return base_db, cur_db, data


# --- servers and CPU -----------------------------------------------------------------------


def start(side: Side, env: dict) -> None:
    side.server = subprocess.Popen(
        [
            side.gunicorn,
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"{HOST}:{side.port}",
            "--log-level",
            "warning",
        ],
        cwd=side.tree,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, side.port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    stop(side)
    raise SystemExit(f"{side.name}: gunicorn did not come up on {side.port}")


def stop(side: Side) -> None:
    if side.server is None:
        return
    side.server.terminate()
    try:
        side.server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        side.server.kill()
        side.server.wait()
    side.server = None


TICK = os.sysconf("SC_CLK_TCK")


def _proc_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def server_cpu(side: Side, db: str) -> dict[int, float]:
    """CPU seconds so far of `side`'s gunicorn workers and of the PostgreSQL backends on `db`
    (each side has its own database, so its backends are exactly those)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == side.server.pid:
            pids.append(int(stat.parent.name))
    rows = db_query(
        "postgres",
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
        [db],
    )
    pids += [row[0] for row in rows]
    return {pid: s for pid in pids if (s := _proc_seconds(pid)) is not None}


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# --- load ----------------------------------------------------------------------------------


def get_many(port: int, paths: list[str], count: int, threads: int = 2) -> tuple[int, int]:
    """`count` GETs rotating through `paths` over `threads` keep-alive connections;
    returns (responses, non-200 responses)."""
    lock = threading.Lock()
    state = {"next": 0, "done": 0, "bad": 0}

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while True:
            with lock:
                if state["next"] >= count:
                    break
                index = state["next"]
                state["next"] += 1
            path = paths[index % len(paths)]
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                ok = False
            with lock:
                state["done"] += 1
                state["bad"] += 0 if ok else 1
        conn.close()

    run_threads(worker, [()] * threads)
    return state["done"], state["bad"]


def pick_pages(db: str) -> dict[str, list[str]]:
    """The top category with the most products on sale (page 50 must exist), 100 products."""
    top = db_query(
        db,
        """
        SELECT c.slug, count(*) FROM catalog_category c
        JOIN catalog_category leaf ON leaf.id = c.id OR leaf.parent_id = c.id
        JOIN catalog_product p ON p.category_id = leaf.id AND p.status = 'on_sale'
        WHERE c.parent_id IS NULL AND c.is_active GROUP BY c.slug ORDER BY 2 DESC LIMIT 1
        """,
    )[0]
    ids = [
        row[0]
        for row in db_query(
            db,
            "SELECT p.id FROM catalog_product p JOIN stores_store s ON s.id = p.store_id "
            "WHERE p.status = 'on_sale' AND s.status = 'active' ORDER BY p.id",
        )
    ]
    step = max(len(ids) // 100, 1)
    pages = {
        "home": ["/"],
        f"category page 1 ({top[1]} products)": [f"/c/{top[0]}/"],
        "category page 50": [f"/c/{top[0]}/?page=50"],
        "product detail (100 rotated)": [f"/p/{pk}/" for pk in ids[::step][:100]],
        "search 五常大米": ["/search/?" + urlencode({"q": "五常大米"}, quote_via=quote)],
    }
    if top[1] < 50 * 20:
        del pages["category page 50"]
    return pages


QUERY_COUNT = """
import json, sys
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
out = {}
client = Client()
for path in json.loads(sys.argv[1]):
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        status = client.get(path).status_code
    out[path] = [status, len(captured.captured_queries)]
print(json.dumps(out))
"""


def query_counts(side: Side, env: dict, paths: list[str]) -> dict:
    env = {**env, "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1"}
    out = subprocess.run(
        [side.python, "-c", QUERY_COUNT, json.dumps(paths)],
        cwd=side.tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure_pages(args, base: Side, cur: Side) -> dict:
    base_db, cur_db = prepare_pages_databases(args, base, cur)
    dbs = {base.name: base_db, cur.name: cur_db}
    pages = pick_pages(base_db)
    envs = {s.name: django_env(s, dbs[s.name], redis_url=args.redis_url) for s in (base, cur)}
    counts = {
        s.name: query_counts(s, envs[s.name], [paths[0] for paths in pages.values()])
        for s in (base, cur)
    }
    results: dict = {}
    for side in (base, cur):
        start(side, envs[side.name])
    try:
        for name, paths in pages.items():
            for side in (base, cur):  # warm: templates, caches, every rotated path once
                get_many(side.port, paths, max(len(paths), 20))
            spent = {base.name: 0.0, cur.name: 0.0}
            served = {base.name: 0, cur.name: 0}
            bad = {base.name: 0, cur.name: 0}
            for round_ in range(args.rounds):
                order = (base, cur) if round_ % 2 == 0 else (cur, base)
                for side in order:
                    before = server_cpu(side, dbs[side.name])
                    done, failed = get_many(side.port, paths, args.requests)
                    spent[side.name] += cpu_spent(before, server_cpu(side, dbs[side.name]))
                    served[side.name] += done
                    bad[side.name] += failed
            row = {
                s: {
                    "cpu_ms_per_request": round(spent[s] * 1000 / max(served[s], 1), 2),
                    "requests": served[s],
                    "non_200": bad[s],
                    "sql_queries": counts[s][paths[0]][1],
                }
                for s in spent
            }
            row["ratio"] = round(
                row[cur.name]["cpu_ms_per_request"]
                / max(row[base.name]["cpu_ms_per_request"], 1e-9),
                3,
            )
            row["path"] = paths[0]
            results[name] = row
            print(
                f"{name}: baseline {row[base.name]['cpu_ms_per_request']} ms, "
                f"today {row[cur.name]['cpu_ms_per_request']} ms → {row['ratio']:.0%}",
                flush=True,
            )
    finally:
        for side in (base, cur):
            stop(side)
    return results


def post_checkout(port: int, token: str, address_id: int) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.request(
        "POST",
        "/api/v1/checkout/",
        body=json.dumps({"address_id": address_id}),
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def checkout_run(port: int, buyers: list, concurrency: int = 8) -> tuple[int, int, float]:
    lock = threading.Lock()
    queue = list(reversed(buyers))
    statuses: list[int] = []

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                token, address_id = queue.pop()
            status = post_checkout(port, token, address_id)
            with lock:
                statuses.append(status)

    elapsed = run_threads(worker, [()] * concurrency)
    placed = statuses.count(201)
    return placed, len(statuses) - placed, elapsed


def measure_checkout(args, base: Side, cur: Side) -> dict:
    base_db, cur_db, data = prepare_checkout_databases(args, base, cur)
    dbs = {base.name: base_db, cur.name: cur_db}
    for side in (base, cur):
        start(side, django_env(side, dbs[side.name], redis_url=""))
    results: dict = {}
    try:
        for side in (base, cur):
            checkout_run(side.port, [tuple(b) for b in data["warm_buyers"]], 4)
        for scenario in ("hot", "spread"):
            buyers = [tuple(b) for b in data[f"{scenario}_buyers"]]
            row = {}
            # Each side places the same orders on its own copy; halves alternate A B B A.
            halves = [buyers[: len(buyers) // 2], buyers[len(buyers) // 2 :]]
            totals = {s.name: [0.0, 0, 0, 0.0] for s in (base, cur)}
            for index, half in enumerate(halves):
                for side in (base, cur) if index == 0 else (cur, base):
                    before = server_cpu(side, dbs[side.name])
                    placed, errors, elapsed = checkout_run(side.port, half)
                    total = totals[side.name]
                    total[0] += cpu_spent(before, server_cpu(side, dbs[side.name]))
                    total[1] += placed
                    total[2] += errors
                    total[3] += elapsed
            for name, (spent, placed, errors, elapsed) in totals.items():
                row[name] = {
                    "cpu_ms_per_order": round(spent * 1000 / max(placed, 1), 2),
                    "orders": placed,
                    "errors": errors,
                    "orders_per_second": round(placed / elapsed, 1),
                }
            row["ratio"] = round(
                row[cur.name]["cpu_ms_per_order"] / max(row[base.name]["cpu_ms_per_order"], 1e-9), 3
            )
            results[scenario] = row
            print(
                f"checkout {scenario}: baseline {row[base.name]['cpu_ms_per_order']} ms, "
                f"today {row[cur.name]['cpu_ms_per_order']} ms → {row['ratio']:.0%}",
                flush=True,
            )
    finally:
        for side in (base, cur):
            stop(side)
    for name, db in dbs.items():
        reserved = db_query(db, "SELECT reserved FROM catalog_sku WHERE id = %s", [data["hot_sku"]])
        placed = db_query(
            db,
            "SELECT count(DISTINCT o.id) FROM orders_order o JOIN orders_orderline l "
            "ON l.order_id = o.id WHERE l.sku_id = %s",
            [data["hot_sku"]],
        )
        assert reserved[0][0] == placed[0][0], (name, reserved, placed)
        results.setdefault("hot_reserved_equals_orders", {})[name] = reserved[0][0]
    return results


def report(results: dict) -> None:
    base, cur = results["baseline"], results["today"]
    print(
        f"\nbaseline {base['commit'][:10]} · today {cur['commit'][:10]}"
        f"{' (+ uncommitted changes)' if cur.get('dirty') else ''} · {results['products']} "
        f"products · 2 sync workers each · page cache off · load average "
        f"{'/'.join(f'{x:.1f}' for x in results['load_before'])} → "
        f"{'/'.join(f'{x:.1f}' for x in results['load_after'])}\n"
    )
    if results.get("pages"):
        print("| page | baseline CPU ms/req | today CPU ms/req | today ÷ baseline | SQL queries |")
        print("|---|---:|---:|---:|---|")
        for name, row in results["pages"].items():
            b, c = row["baseline"], row["today"]
            print(
                f"| {name} `{row['path']}` | {b['cpu_ms_per_request']} | "
                f"{c['cpu_ms_per_request']} | **{row['ratio']:.0%}** | "
                f"{b['sql_queries']} → {c['sql_queries']} |"
            )
    if results.get("checkout"):
        print(
            "\n| checkout | baseline CPU ms/order | today CPU ms/order | today ÷ baseline "
            "| orders/s baseline → today |"
        )
        print("|---|---:|---:|---:|---|")
        for scenario in ("hot", "spread"):
            row = results["checkout"][scenario]
            b, c = row["baseline"], row["today"]
            print(
                f"| {scenario} ({b['orders']} + {c['orders']} orders, errors {b['errors']}/"
                f"{c['errors']}) | {b['cpu_ms_per_order']} | {c['cpu_ms_per_order']} "
                f"| **{row['ratio']:.0%}** | {b['orders_per_second']} → "
                f"{c['orders_per_second']} |"
            )
        hot = results["checkout"]["hot"]["today"]["orders_per_second"]
        spread = results["checkout"]["spread"]["today"]["orders_per_second"]
        print(f"\ntoday: hot SKU rate ÷ spread rate = {hot / max(spread, 1e-9):.0%}")


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(BASE_DIR))
    commit = git("rev-parse", args.baseline)
    tree = baseline_tree(commit, Path(args.baseline_tree))
    base = Side("baseline", tree, commit, args.port, "cmpbase")
    cur = Side("today", BASE_DIR, git("rev-parse", "HEAD"), args.port + 1, "cmpcur")
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "products": args.products,
        "baseline": {"commit": base.commit},
        "today": {
            "commit": cur.commit,
            "dirty": bool(git("status", "--porcelain", "--", "apps", "config", "templates")),
        },
        "load_before": os.getloadavg(),
        "args": vars(args),
    }
    for side in (base, cur):
        collectstatic(side)
    if args.only in (None, "pages"):
        results["pages"] = measure_pages(args, base, cur)
    if args.only in (None, "checkout"):
        results["checkout"] = measure_checkout(args, base, cur)
    results["load_after"] = os.getloadavg()
    report(results)
    out_dir = BASE_DIR / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"cpu-compare-{results['when'].replace(':', '')}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"\nraw figures: {out.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
