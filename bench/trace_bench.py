#!/usr/bin/env python
"""Traceability figures on PostgreSQL: trace page with 200 events, chain verification of
100,000 events, 10,000 trace codes with their QR label sheet.

Run by hand (not part of the test suite), from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tianjian_trace_bench \\
    .venv/bin/python bench/trace_bench.py [--events 100000] [--codes 10000] [--no-http]

The database is created and migrated when missing; the data is made once and reused
(a rerun measures again without rebuilding). Steps:

1. Trace page: a lot with 200 events (plus harvest, a test and a certificate). p50/p95 of
   GET /t/<code> in-process through the whole Django stack (middleware, selectors, the chain
   check of the lot, template) and, unless --no-http, over HTTP from gunicorn (2 workers,
   DEBUG off) measured with wrk on 127.0.0.1. SQL queries per page are counted too.
2. Chain verification: a store whose chain holds --events events (built with bulk inserts
   through the same hashing code the services use), timed with chain_verify().
3. Codes: trace_codes_generate() of --codes codes for one lot, then every page of the
   printable QR sheet rendered through the view (inline SVG QR codes) and the CSV export.

Prints a Markdown table and writes the raw figures to bench/results/trace-<time>.json.
"""

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from common import setup_django  # bench/common.py (the script's own folder)

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tianjian_trace_bench"
PAGE_P50_TARGET_MS = 30.0
VERIFY_TARGET_S = 10.0
CODES_TARGET_S = 60.0
PAGE_EVENTS = 200

sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "False"  # DEBUG would record every query and slow everything
# The bench hammers one code from one address: lift the per-IP lookup limit for it.
os.environ["TRACE_PAGE_RATE_LIMIT"] = "10000000/m"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=10_000)
    parser.add_argument("--page-requests", type=int, default=300)
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn + wrk run")
    parser.add_argument("--port", type=int, default=8473)
    return parser.parse_args()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- Fixtures ----------------------------------------------------------------------------------


def bench_store(slug: str, name: str):
    from apps.catalog.models import Category, Product, Sku
    from apps.stores.models import Store, StoreType

    store, _ = Store.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "type": StoreType.COOPERATIVE,
            "status": Store.Status.ACTIVE,
            "county_code": "230184",
            "county_name": "黑龙江省哈尔滨市五常市",
            "contact_name": "张三",
            "contact_phone": "13800000000",
        },
    )
    category, _ = Category.objects.get_or_create(slug="trace-bench", defaults={"name": "追溯压测"})
    product, created = Product.objects.get_or_create(
        store=store,
        title=f"{name} 五常稻花香大米 5kg",
        defaults={"category": category, "status": Product.Status.ON_SALE, "origin_code": "230184"},
    )
    if created:
        Sku.objects.create(product=product, spec="5kg/袋", retail_price=Decimal("59.90"), stock=100)
    return store, product


def bench_lot(store, product, number: str):
    from apps.traceability.models import Location, Lot, Party
    from apps.traceability.services.lots import lot_create
    from apps.traceability.services.records import location_save, party_save

    lot = Lot.objects.filter(store=store, lot_number=number).first()
    if lot is not None:
        return lot
    producer = Party.objects.filter(store=store).first() or party_save(
        party=Party(store=store, kind="cooperative", name="稻香合作社", phone="13812345678"),
        actor=None,
    )
    plot = Location.objects.filter(store=store).first() or location_save(
        location=Location(store=store, kind="plot", name="三号田", division_code="230184"),
        actor=None,
    )
    return lot_create(
        store=store,
        lot_number=number,
        product=product,
        producer=producer,
        plot=plot,
        harvest_date=datetime.now(UTC).date() - timedelta(days=3),
        quantity=Decimal("5000"),
        skus=list(product.skus.all()),
        actor=None,
    )


# --- 1. Trace page -----------------------------------------------------------------------------


def page_lot():
    from apps.traceability.models import Certificate, TraceEvent
    from apps.traceability.selectors import lot_primary_code
    from apps.traceability.services.certificates import certificate_issue
    from apps.traceability.services.events import EventLotInput, trace_event_record
    from apps.traceability.services.inspections import ItemInput, inspection_record

    store, product = bench_store("trace-bench-page", "追溯压测店铺")
    lot = bench_lot(store, product, "PAGE-200")
    have = TraceEvent.objects.filter(event_lots__lot=lot).count()
    if not lot.inspections.exists():
        inspection_record(
            lot=lot,
            kind="lab",
            lab_name="县检测站",
            inspected_on=datetime.now(UTC).date(),
            items=[
                ItemInput(
                    substance="毒死蜱", result_value=Decimal("0.01"), limit_value=Decimal("0.1")
                )
            ],
            actor=None,
        )
        certificate_issue(lot=lot, basis=Certificate.Basis.SELF_TEST, actor=None)
        have += 2
    steps = ["packing", "storing", "shipping", "receiving", "storing"]
    for i in range(max(0, PAGE_EVENTS + 3 - have)):
        trace_event_record(
            store=store,
            business_step=steps[i % len(steps)],
            lots=[EventLotInput(lot=lot, quantity=Decimal(10))],
            actor=None,
            extra={"temperature_c": str(2 + i % 6), "note": f"第 {i + 1} 条"},
        )
    return lot, lot_primary_code(lot=lot).code


def measure_page_in_process(code: str, requests: int) -> dict:
    from django.db import connection
    from django.test import Client

    client = Client()
    url = f"/t/{code}"
    for _ in range(10):
        assert client.get(url).status_code == 200
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # Counted by a wrapper rather than CaptureQueriesContext: the request may reconnect.
    with connection.execute_wrapper(count):
        client.get(url, REMOTE_ADDR="10.9.9.9")  # a new visitor: the scan is counted
    timings, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
    # The first view of a lot after any change (a cache miss): build the timeline too.
    from django.core.cache import cache

    cold = []
    for _ in range(max(10, requests // 10)):
        cache.clear()
        start = time.perf_counter()
        assert client.get(url).status_code == 200
        cold.append((time.perf_counter() - start) * 1000)
    html = client.get(url).content.decode()
    return {
        "requests": requests,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cold_p50_ms": round(statistics.median(cold), 2),
        "queries": len(executed),
        "timeline_entries": html.count('class="trace-step"'),
        "integrity_ok": "记录未被篡改" in html,
    }


def free_port(port: int) -> int:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) != 0:
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_page_http(code: str, port: int) -> dict | None:
    import urllib.request

    wrk = shutil.which("wrk")
    gunicorn = BASE_DIR / ".venv" / "bin" / "gunicorn"
    if wrk is None or not gunicorn.exists():
        return None
    port = free_port(port)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "False"}
    server = subprocess.Popen(
        [
            str(gunicorn),
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/t/{code}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        for _ in range(20):
            urllib.request.urlopen(url, timeout=5).read()
        result = subprocess.run(
            [wrk, "-t1", "-c1", "-d10s", "--latency", url],
            capture_output=True,
            text=True,
            check=True,
        )
        out = result.stdout

        def ms(label: str) -> float:
            match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
            value, unit = float(match.group(1)), match.group(2)
            return round(
                value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2
            )

        requests = int(re.search(r"(\d+) requests in", out).group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {
            "tool": "wrk -t1 -c1 -d10s, gunicorn -w 2",
            "requests": requests,
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "p50_ms": ms("50"),
            "p90_ms": ms("90"),
            "p99_ms": ms("99"),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- 2. Chain verification ---------------------------------------------------------------------


def build_long_chain(target: int) -> int:
    """Bring the bench store's chain to `target` events with bulk inserts.

    Hashes come from apps.traceability.hashing exactly as trace_event_append computes them;
    the store's ChainHead is moved along, so chain_verify sees a genuine chain.
    """
    from django.db import transaction
    from django.utils import timezone

    from apps.traceability.hashing import chain_hash, event_hash, truncate_to_milliseconds
    from apps.traceability.models import ChainHead, TraceEvent, TraceEventLot
    from apps.traceability.services.events import chain_head_lock, event_facts

    store, product = bench_store("trace-bench-chain", "追溯链压测店铺")
    lots = [bench_lot(store, product, f"CHAIN-{i}") for i in range(5)]
    batch = 5000
    steps = ["packing", "storing", "shipping", "receiving", "retail_selling"]
    while True:
        with transaction.atomic():
            head = chain_head_lock(store.pk)
            if head.last_sequence >= target:
                return head.last_sequence
            count = min(batch, target - head.last_sequence)
            previous = head.last_chain_hash
            base_time = timezone.now() - timedelta(days=30)
            events, links = [], []
            for i in range(count):
                sequence = head.last_sequence + i + 1
                moment = truncate_to_milliseconds(base_time + timedelta(seconds=sequence))
                lot = lots[sequence % len(lots)]
                event = TraceEvent(
                    store=store,
                    sequence=sequence,
                    uuid=uuid.uuid4(),
                    event_type="object",
                    action="OBSERVE",
                    business_step=steps[sequence % len(steps)],
                    disposition="in_progress",
                    event_time=moment,
                    recorded_at=moment,
                    actor_ref="system",
                    extra={"temperature_c": str(sequence % 9), "n": sequence},
                )
                link = TraceEventLot(
                    lot=lot, role="subject", quantity=Decimal(sequence % 50 + 1), unit="kg"
                )
                event.event_hash = event_hash(event_facts(event, [link]))
                event.previous_hash = previous
                event.chain_hash = chain_hash(previous, event.event_hash)
                previous = event.chain_hash
                events.append(event)
                links.append(link)
            TraceEvent.objects.bulk_create(events)
            for event, link in zip(events, links, strict=True):
                link.event = event
            TraceEventLot.objects.bulk_create(links)
            ChainHead.objects.filter(pk=head.pk).update(
                last_sequence=events[-1].sequence, last_chain_hash=previous
            )
        print(f"  chain: {events[-1].sequence} events", flush=True)


def analyze() -> None:
    """Fresh planner statistics after bulk loads, as autovacuum would gather them shortly."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "traceability_traceevent",
            "traceability_traceeventlot",
            "traceability_tracecode",
        ):
            cursor.execute(f"ANALYZE {table}")


def measure_verify(events: int) -> dict:
    from apps.stores.models import Store
    from apps.traceability.chain import chain_verify

    build_start = time.perf_counter()
    total = build_long_chain(events)
    build_s = time.perf_counter() - build_start
    analyze()
    store = Store.objects.get(slug="trace-bench-chain")
    runs, cpu = [], []
    report = None
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        report = chain_verify(store_id=store.pk)
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {
        "events": total,
        "build_s": round(build_s, 1),
        "verify_s_runs": [round(r, 2) for r in runs],
        "verify_s": round(min(runs), 2),
        "verify_s_median": round(statistics.median(runs), 2),
        "verify_cpu_s": round(min(cpu), 2),
        "valid": report.is_valid,
        "checked": report.checked,
        "events_per_s": round(report.checked / statistics.median(runs)),
    }


# --- 3. Codes and the QR sheet ------------------------------------------------------------------


def measure_codes(quantity: int) -> dict:
    from django.contrib.auth.models import Group
    from django.test import Client

    from apps.accounts.models import User
    from apps.core.roles import PLATFORM_OPERATIONS, roles_sync
    from apps.traceability.services.codes import trace_codes_generate
    from apps.traceability.views import SHEET_PAGE_SIZE

    store, product = bench_store("trace-bench-codes", "追溯码压测店铺")
    lot = bench_lot(store, product, f"CODES-{datetime.now(UTC):%Y%m%d%H%M%S}")
    roles_sync()
    staff, created = User.objects.get_or_create(
        email="trace-bench@example.com", defaults={"name": "压测运营", "is_staff": True}
    )
    if created:
        staff.groups.add(Group.objects.get(name=PLATFORM_OPERATIONS))
    client = Client()
    client.force_login(staff)

    start, start_cpu = time.perf_counter(), time.process_time()
    batch = trace_codes_generate(lot=lot, quantity=quantity, actor=None)
    generated = time.perf_counter()
    pages = (quantity + SHEET_PAGE_SIZE - 1) // SHEET_PAGE_SIZE
    sheet_bytes = 0
    labels = 0
    for page in range(1, pages + 1):
        response = client.get(f"/trace/code-batches/{batch.pk}/sheet/?page={page}")
        assert response.status_code == 200
        html = response.content.decode()
        labels += html.count("<svg")
        sheet_bytes += len(response.content)
    sheet_done = time.perf_counter()
    csv_response = client.get(f"/trace/code-batches/{batch.pk}/codes.csv")
    assert csv_response.status_code == 200
    csv_done = time.perf_counter()
    return {
        "codes": quantity,
        "generate_s": round(generated - start, 2),
        "sheet_pages": pages,
        "sheet_labels": labels,
        "sheet_mb": round(sheet_bytes / 1024 / 1024, 1),
        "sheet_s": round(sheet_done - generated, 2),
        "total_s": round(sheet_done - start, 2),
        "total_cpu_s": round(time.process_time() - start_cpu, 2),
        "csv_s": round(csv_done - sheet_done, 2),
        "csv_rows": csv_response.content.decode("utf-8-sig").count("\n") - 1,
    }


def main() -> None:
    args = parse_args()
    setup_django()
    from django.db import connection

    print(f"PostgreSQL {connection.pg_version}, database {connection.settings_dict['NAME']}")
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} CPUs · Python {platform.python_version()}",
        "load_average": os.getloadavg(),
    }

    print("1. trace page with 200 events …", flush=True)
    _lot, code = page_lot()
    analyze()
    results["page_in_process"] = measure_page_in_process(code, args.page_requests)
    if not args.no_http:
        results["page_http"] = measure_page_http(code, args.port)
    print("2. chain verification …", flush=True)
    results["verify"] = measure_verify(args.events)
    print("3. codes and QR sheet …", flush=True)
    results["codes"] = measure_codes(args.codes)

    page, verify, codes = results["page_in_process"], results["verify"], results["codes"]
    http = results.get("page_http")
    rows = [
        (
            f"Trace page, {PAGE_EVENTS} events (in-process, {page['requests']} requests)",
            f"p50 {page['p50_ms']} ms (CPU {page['cpu_p50_ms']} ms), p95 {page['p95_ms']} ms; "
            f"first view after a change p50 {page['cold_p50_ms']} ms; "
            f"{page['queries']} SQL queries",
            f"p50 < {PAGE_P50_TARGET_MS:.0f} ms",
        ),
    ]
    if http:
        rows.append(
            (
                f"Trace page, {PAGE_EVENTS} events (HTTP: {http['tool']}, {http['requests']} req)",
                f"p50 {http['p50_ms']} ms, p90 {http['p90_ms']} ms, p99 {http['p99_ms']} ms",
                f"p50 < {PAGE_P50_TARGET_MS:.0f} ms",
            )
        )
    rows += [
        (
            f"Chain verification, {verify['checked']:,} events",
            f"{verify['verify_s']} s best of 3 (median {verify['verify_s_median']} s, "
            f"process CPU {verify['verify_cpu_s']} s), valid: {verify['valid']}",
            f"< {VERIFY_TARGET_S:.0f} s",
        ),
        (
            f"{codes['codes']:,} codes + QR sheet ({codes['sheet_pages']} pages, "
            f"{codes['sheet_mb']} MB)",
            f"{codes['total_s']} s (generate {codes['generate_s']} s, sheet {codes['sheet_s']} s, "
            f"process CPU {codes['total_cpu_s']} s); "
            f"CSV {codes['csv_s']} s",
            f"< {CODES_TARGET_S:.0f} s",
        ),
    ]
    print()
    print(f"load average at the end: {os.getloadavg()}")
    print("| figure | measured | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    out_dir = BASE_DIR / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"trace-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"\nraw figures: {out.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
