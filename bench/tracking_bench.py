#!/usr/bin/env python
"""Tracking webhook ingestion on PostgreSQL: 10,000 scans pushed over HTTP, each stored once.

Run by hand (not part of the test suite), from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tianjian_bench_track \\
    .venv/bin/python bench/tracking_bench.py [--shipments 1000] [--batch 100] [--clients 4]

The database is created and migrated when missing. The fixture (one store, 200 shipped orders
of 5 parcels each = 1,000 parcels, made with bulk inserts) is built once; every run first resets
the parcels to "created" and deletes their scans, so a rerun measures the same work.

Each parcel gets 10 distinct scans (collected, hub arrivals, transit, out for delivery,
delivered). They are pushed to gunicorn (2 workers, DEBUG off) on 127.0.0.1 through the generic
HMAC-signed webhook in two rounds, the way aggregators really send them: round 1 carries a random
6 of each parcel's scans, round 2 the other 4 (older ones arriving late) plus one repeat of a
round-1 scan, so 11,000 scans are pushed and 10,000 must be stored. Batches of --batch scans,
--clients concurrent senders. The run checks that exactly 10,000 scans are stored, that every
response reported 10,000 created and 1,000 duplicates, and that every parcel and order ended
delivered; it prints scans/s and writes the figures to bench/results/tracking-<time>.json.
"""

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from common import setup_django  # bench/common.py (the script's own folder)

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tianjian_bench_track"
TARGET_S = 60.0
PARCELS_PER_ORDER = 5
FEED_CODE = "bench-agg"
SECRET = "bench-secret"
STEPS = [
    ("collected", "金华市", "快件已被揽收"),
    ("arrived_at_hub", "金华转运中心", "到达金华转运中心"),
    ("in_transit", "金华转运中心", "离开金华转运中心，发往杭州"),
    ("arrived_at_hub", "杭州转运中心", "到达杭州转运中心"),
    ("in_transit", "杭州转运中心", "离开杭州转运中心，发往上海"),
    ("arrived_at_hub", "上海转运中心", "到达上海转运中心"),
    ("in_transit", "上海转运中心", "离开上海转运中心，发往浦东"),
    ("arrived_at_hub", "浦东营业部", "到达浦东营业部"),
    ("out_for_delivery", "浦东营业部", "快递员正在派件"),
    ("delivered", "浦东新区", "已签收，签收人：本人"),
]

sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "False"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shipments", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--port", type=int, default=8472)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


# --- Fixture ---------------------------------------------------------------------------------


def build_fixture(shipments: int) -> list[tuple[str, str]]:
    """(carrier code, number) of `shipments` parcels of shipped orders; made once."""
    from django.db import transaction
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.logistics.models import Carrier, Shipment, TrackingFeed
    from apps.orders.models import Order, PaymentOrder
    from apps.stores.models import Store, StoreType

    TrackingFeed.objects.update_or_create(
        code=FEED_CODE, defaults={"name": "压测聚合平台", "adapter": "generic", "secret": SECRET}
    )
    store, _ = Store.objects.get_or_create(
        slug="tracking-bench",
        defaults={
            "name": "物流压测店铺",
            "type": StoreType.COOPERATIVE,
            "status": Store.Status.ACTIVE,
            "county_code": "230184",
            "county_name": "黑龙江省哈尔滨市五常市",
            "contact_name": "张三",
            "contact_phone": "13800000000",
        },
    )
    carrier = Carrier.objects.get(code="sf")
    have = Shipment.objects.filter(store=store).count()
    if have < shipments:
        buyer, _ = User.objects.get_or_create(
            email="tracking-bench@example.com", defaults={"name": "压测买家"}
        )
        now = timezone.now()
        with transaction.atomic():
            orders_needed = -(-(shipments - have) // PARCELS_PER_ORDER)
            payment = PaymentOrder.objects.create(
                number=f"BENCHPAY{have:08d}",
                buyer=buyer,
                amount=Decimal("10.00") * orders_needed,
                status="paid",
                method="online",
                idempotency_key=f"tracking-bench-{have}",
                expires_at=now,
                paid_at=now,
            )
            orders = Order.objects.bulk_create(
                Order(
                    number=f"BENCHTRK{have + i:010d}",
                    payment_order=payment,
                    buyer=buyer,
                    store=store,
                    status=Order.Status.SHIPPED,
                    address={"contact_name": "王小明", "contact_phone": "13812345678"},
                    delivery_method="express",
                    goods_amount=Decimal("10.00"),
                    total_amount=Decimal("10.00"),
                    commission_rate=Decimal("0.05"),
                    paid_at=now,
                    shipped_at=now,
                )
                for i in range(orders_needed)
            )
            Shipment.objects.bulk_create(
                Shipment(
                    order=order,
                    store=store,
                    carrier=carrier,
                    tracking_number=f"SF{900000000000 + have + n * PARCELS_PER_ORDER + k:013d}",
                    delivery_method="express",
                )
                for n, order in enumerate(orders)
                for k in range(PARCELS_PER_ORDER)
            )
    return list(
        Shipment.objects.filter(store=store)
        .order_by("pk")
        .values_list("carrier__code", "tracking_number")[:shipments]
    )


def reset(numbers: list[str]) -> None:
    """Parcels back to "created" without scans; their orders back to shipped."""
    from django.db import transaction

    from apps.logistics.models import Shipment, ShipmentEvent, TrackingEvent
    from apps.orders.models import Order

    with transaction.atomic():
        shipments = Shipment.objects.filter(tracking_number__in=numbers)
        TrackingEvent.objects.filter(shipment__in=shipments).delete()
        ShipmentEvent.objects.filter(shipment__in=shipments).delete()
        shipments.update(
            status="created",
            collected_at=None,
            delivered_at=None,
            last_event_at=None,
            has_exception=False,
        )
        Order.objects.filter(shipments__in=shipments).update(
            status=Order.Status.SHIPPED, delivered_at=None
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE logistics_trackingevent; ANALYZE logistics_shipment")


def scans_for(carrier: str, number: str, start: datetime) -> list[dict]:
    return [
        {
            "carrier": carrier,
            "tracking_number": number,
            "time": (start + timedelta(hours=3 * i)).isoformat(),
            "status": status,
            "location": location,
            "text": text,
        }
        for i, (status, location, text) in enumerate(STEPS)
    ]


def plan(parcels: list[tuple[str, str]], seed: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    first, second = [], []
    for carrier, number in parcels:
        scans = scans_for(carrier, number, start)
        rng.shuffle(scans)
        first.extend(scans[:6])
        second.extend([*scans[6:], scans[0]])  # the rest, late, plus one repeat
    return first, second


# --- HTTP ------------------------------------------------------------------------------------


def free_port(port: int) -> int:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) != 0:
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def send(url: str, events: list[dict]) -> dict:
    from apps.logistics.services.webhooks import generic_signature

    body = json.dumps({"events": events}, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Tianjian-Timestamp": stamp,
            "X-Tianjian-Signature": generic_signature(secret=SECRET, timestamp=stamp, body=body),
        },
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def push_all(url: str, rounds: list[list[dict]], batch: int, clients: int) -> dict:
    totals = {"requests": 0, "created": 0, "duplicates": 0, "rejected": 0}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for events in rounds:
            chunks = [events[i : i + batch] for i in range(0, len(events), batch)]
            for answer in pool.map(lambda chunk: send(url, chunk), chunks):
                totals["requests"] += 1
                totals["created"] += answer["created"]
                totals["duplicates"] += answer["duplicates"]
                totals["rejected"] += answer["rejected"]
    totals["seconds"] = round(time.perf_counter() - started, 2)
    return totals


def main() -> None:
    args = parse_args()
    setup_django()
    from apps.logistics.models import Shipment, TrackingEvent
    from apps.orders.models import Order

    parcels = build_fixture(args.shipments)
    numbers = [number for _, number in parcels]
    reset(numbers)
    first, second = plan(parcels, args.seed)
    pushed = len(first) + len(second)
    distinct = len(parcels) * len(STEPS)

    gunicorn = BASE_DIR / ".venv" / "bin" / "gunicorn"
    port = free_port(args.port)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "False"}
    server = subprocess.Popen(
        [
            *(str(gunicorn), "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"),
            *("--log-level", "warning", "--timeout", "120"),
        ],
        cwd=BASE_DIR,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/api/v1/logistics/webhooks/{FEED_CODE}/"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        send(url, [])  # warm both workers' imports a little
        send(url, [])
        totals = push_all(url, [first, second], args.batch, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)

    shipments = Shipment.objects.filter(tracking_number__in=numbers)
    stored = TrackingEvent.objects.filter(shipment__in=shipments).count()
    delivered = shipments.filter(status="delivered").count()
    orders = Order.objects.filter(shipments__in=shipments).distinct()
    orders_delivered = orders.filter(status=Order.Status.DELIVERED).count()
    checks = {
        "stored_once": stored == distinct,
        "created_reported": totals["created"] == distinct,
        "duplicates_reported": totals["duplicates"] == pushed - distinct,
        "none_rejected": totals["rejected"] == 0,
        "all_parcels_delivered": delivered == len(parcels),
        "all_orders_delivered": orders_delivered == orders.count(),
    }
    events_per_s = round(pushed / totals["seconds"])
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "setup": {
            "parcels": len(parcels),
            "pushed": pushed,
            "distinct": distinct,
            "batch": args.batch,
            "clients": args.clients,
            "server": "gunicorn -w 2, DEBUG off, 127.0.0.1",
        },
        "totals": totals,
        "stored": stored,
        "events_per_s": events_per_s,
        "checks": checks,
        "target_s": TARGET_S,
    }
    print("| figure | value | target |")
    print("| --- | --- | --- |")
    print(
        f"| {pushed:,} scans pushed ({distinct:,} distinct), {totals['requests']} requests "
        f"| {totals['seconds']} s, {events_per_s} scans/s | < {TARGET_S:.0f} s |"
    )
    print(f"| stored | {stored:,} (checks: {'all ok' if all(checks.values()) else checks}) | |")
    out_dir = BASE_DIR / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"tracking-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"raw figures: {out.relative_to(BASE_DIR)}")
    if not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
