#!/usr/bin/env python
"""Channels: product feed latency and channel orders taken in per second, in process.

Run by hand (not part of the test suite), from the project root:

    .venv/bin/python bench/channels_bench.py                 # 1,000 listings, 300 orders
    .venv/bin/python bench/channels_bench.py --listings 50 --orders 20   # while developing

Uses its own database (BENCH_DATABASE_URL, default tianjian_channels_bench), re-seeded on each
run: one store with --listings SKUs listed on taobao, each with an image row, an active lot and
its trace code (the database is dropped and migrated afresh first). Then, through Django's
test client (the whole request path: authentication, throttles, serializers; no HTTP server)
with the merchant's API token:

  feed.json / feed.csv   --repeat GETs each; median and p95 milliseconds, queries per request
  channel orders         --orders POSTs of a new order (1 piece of SKU i mod listings), then
                         the same number of repeats (200, nothing written); orders/s each

and checks that the SKUs' reserved pieces equal the orders placed. Prints a Markdown table.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tianjian_channels_bench"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--listings", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=20)
    return parser.parse_args()


def seed(listings: int):
    from datetime import timedelta
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from apps.accounts.models import User
    from apps.catalog.models import Category, Product, ProductImage, Sku
    from apps.channels.models import Channel, ChannelListing
    from apps.stores.models import Store, StoreType
    from apps.stores.services import store_member_add
    from apps.traceability.models import Lot, Party, TraceCode
    from apps.traceability.services.codes import code_new

    store = Store.objects.create(
        name="渠道压测店",
        slug="channels-bench",
        type=StoreType.FAMILY_FARM,
        status=Store.Status.ACTIVE,
        county_code="230184",
        county_name="五常市",
        contact_name="张三",
        contact_phone="13800000000",
    )
    merchant = User.objects.create_user(email="channels-bench@example.com", password=None)
    store_member_add(store=store, user=merchant, role="owner")
    category = Category.objects.create(slug="bench-rice", name="米")
    producer = Party.objects.create(store=store, name="王大伯", kind=Party.Kind.PRODUCER)
    taobao = Channel.objects.get(code="taobao")
    today = timezone.localdate()
    with transaction.atomic():
        products = Product.objects.bulk_create(
            Product(
                store=store,
                category=category,
                title=f"压测大米{i}",
                status=Product.Status.ON_SALE,
                published_at=timezone.now(),
            )
            for i in range(listings)
        )
        skus = Sku.objects.bulk_create(
            Sku(product=p, spec="5kg/袋", retail_price=Decimal("50.00"), stock=10_000)
            for p in products
        )
        ProductImage.objects.bulk_create(
            ProductImage(product=p, image=f"products/bench/{p.pk}.jpg") for p in products
        )
        lots = Lot.objects.bulk_create(
            Lot(
                store=store,
                lot_number=f"BENCH-{i}",
                product=p,
                producer=producer,
                harvest_date=today - timedelta(days=2),
                quantity=Decimal("1000"),
            )
            for i, p in enumerate(products)
        )
        Lot.skus.through.objects.bulk_create(
            Lot.skus.through(lot=lot, sku=sku) for lot, sku in zip(lots, skus, strict=True)
        )
        TraceCode.objects.bulk_create(
            TraceCode(code=code_new(), store=store, lot=lot) for lot in lots
        )
        ChannelListing.objects.bulk_create(
            ChannelListing(
                store=store,
                channel=taobao,
                sku=sku,
                channel_item_id=f"TB-{sku.pk}",
                channel_price=Decimal("45.00"),
            )
            for sku in skus
        )
    return store, skus, Token.objects.create(user=merchant).key


def recreate_database(url: str) -> None:
    """A fresh database each run (then migrated by setup_django), so runs do not mix."""
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def timed(call, repeat: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    for _ in range(repeat):
        # The query log is a bounded deque (9,000): once full, a capture would count nothing.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = call()
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 201), response.content[:500]
        queries = max(queries, len(captured.captured_queries))
    return times, queries


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def main() -> None:
    args = parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["API_RATE_USER"] = "1000000/m"
    from bench.common import setup_django

    recreate_database(args.database_url)
    setup_django()
    from django.test import Client

    from apps.catalog.models import Sku

    _store, skus, key = seed(args.listings)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR="127.0.0.1")
    rows = []
    for kind in ("json", "csv"):
        url = f"/api/v1/channels/taobao/feed.{kind}"
        times, queries = timed(lambda url=url: client.get(url), args.repeat)
        rows.append((f"feed.{kind} ({args.listings} items)", times, queries, None))

    counter = iter(range(10**9))

    def order(number: str, sku) -> dict:
        return {
            "channel": "taobao",
            "channel_order_number": number,
            "lines": [{"sku": sku.pk, "quantity": 1}],
            "address": {"contact_name": "李四", "contact_phone": "13912345678", "detail": "村"},
        }

    def place(prefix: str):
        i = next(counter)
        sku = skus[i % len(skus)]
        return client.post(
            "/api/v1/channels/orders/",
            order(f"{prefix}{i % args.orders}", sku),
            content_type="application/json",
        )

    started = time.perf_counter()
    times, queries = timed(lambda: place("N"), args.orders)
    rate_new = args.orders / (time.perf_counter() - started)
    rows.append(("channel order, new (201)", times, queries, rate_new))
    counter = iter(range(10**9))
    started = time.perf_counter()
    times, queries = timed(lambda: place("N"), args.orders)
    rate_repeat = args.orders / (time.perf_counter() - started)
    rows.append(("channel order, repeat (200)", times, queries, rate_repeat))

    reserved = sum(
        Sku.objects.filter(pk__in=[s.pk for s in skus]).values_list("reserved", flat=True)
    )
    assert reserved == args.orders, (reserved, args.orders)
    print(f"\n{platform.node()} · Python {platform.python_version()} · load {os.getloadavg()}")
    print("\n| what | median ms | p95 ms | queries/request (max) | per second |")
    print("|---|---|---|---|---|")
    for label, times, queries, rate in rows:
        per_second = f"{rate:.0f}" if rate else f"{1000 / statistics.median(times):.0f}"
        print(
            f"| {label} | {statistics.median(times):.1f} | {p95(times):.1f} | {queries} | "
            f"{per_second} |"
        )
    print(f"\nreserved pieces = orders placed = {reserved}")


if __name__ == "__main__":
    main()
