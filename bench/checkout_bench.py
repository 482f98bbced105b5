#!/usr/bin/env python
"""Checkout throughput: orders placed per second through the real API, gunicorn on 127.0.0.1.

Run by hand (not part of the test suite), from the project root:

    .venv/bin/python bench/checkout_bench.py            # uses database tianjian_checkout_bench

Steps: drop and re-create the database, migrate, seed one store with a "hot" SKU and 1,000
other SKUs (stock high enough never to run out) and one buyer per order to place (user, API
token, default address, a cart holding one piece of one SKU), start gunicorn (production
settings, DEBUG off, 2 sync workers) on 127.0.0.1:PORT, then POST /api/v1/checkout/ with an
Idempotency-Key from --concurrency client threads:

  hot     every order takes the same SKU (all checkouts queue on one row lock)
  spread  order i takes SKU i mod 1,000
  promo   as spread, with an active store spend-and-save (满10减1, every order reaches it) and
          a platform coupon (满10减2) held by each buyer: checkout reads the offers, picks the
          best combination, allocates both discounts to the line and uses the coupon by a
          guarded UPDATE (issue 20's figure: within 20 % of spread)
  race    --race-buyers buyers (200) each claim (API) a coupon with --race-left uses (50)
          left, then check out at once: exactly --race-left orders carry it, the rest place
          without it

and, on the same database, the raw baseline: autocommitted single-row conditional UPDATEs
(`UPDATE catalog_sku SET reserved = reserved + 1 WHERE id = %s AND stock - reserved >= 1`) on
one row from the same number of threads, each with its own connection. Prints a Markdown table
(orders/s, p50/p95 latency, ratio to the raw UPDATE rate), checks that stock.reserved equals the
orders placed, and stops gunicorn. Requests only ever go to 127.0.0.1.
"""

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = BASE_DIR / ".venv" / "bin"
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tianjian_checkout_bench"
SPREAD_SKUS = 1000
HUGE_STOCK = 10_000_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--orders", type=int, default=1500, help="orders per scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--raw-seconds", type=float, default=10.0)
    parser.add_argument("--race-buyers", type=int, default=200)
    parser.add_argument("--race-left", type=int, default=50)
    return parser.parse_args()


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "checkout-bench-not-secret",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_COOKIES": "False",
        "DJANGO_SECURE_SSL_REDIRECT": "False",  # plain HTTP on 127.0.0.1
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        # Keep the beat job's interval irrelevant: nothing expires during a run.
        "ORDER_PAYMENT_TIMEOUT_MINUTES": "600",
    }


def seed(orders_per_scenario: int, race_buyers: int = 0) -> dict:
    """Store, SKUs and one ready-to-check-out buyer per order (bulk inserts, a few seconds)."""
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from apps.accounts.models import User
    from apps.catalog.models import Category, Product, Sku
    from apps.orders.models import Address, Cart, CartLine
    from apps.stores.models import Store

    with transaction.atomic():
        store = Store.objects.create(
            name="压测农场",
            slug="bench-farm",
            type="family_farm",
            status="active",
            contact_name="张三",
            contact_phone="13800000000",
            county_code="230184",
        )
        category = Category.objects.create(name="压测分类", slug="bench")
        hot_product = Product.objects.create(
            store=store, category=category, title="热卖大米", status="on_sale"
        )
        hot = Sku.objects.create(
            product=hot_product, spec="5kg", retail_price="59.90", stock=HUGE_STOCK
        )
        products = Product.objects.bulk_create(
            [
                Product(store=store, category=category, title=f"商品{i}", status="on_sale")
                for i in range(100)
            ]
        )
        spread = Sku.objects.bulk_create(
            [
                Sku(
                    product=products[i // 10],
                    spec=f"规格{i}",
                    retail_price="12.50",
                    stock=HUGE_STOCK,
                )
                for i in range(SPREAD_SKUS)
            ]
        )
        # hot, spread, promo, race, then 20 warm-up buyers
        total = 3 * orders_per_scenario + race_buyers + 20
        users = User.objects.bulk_create(
            [
                User(email=f"bench{i}@example.com", name=f"买家{i}", password="!")
                for i in range(total)
            ]
        )
        tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in users])
        addresses = Address.objects.bulk_create(
            [
                Address(
                    user=u,
                    contact_name="买家",
                    contact_phone="+8613812345678",
                    province_id="23",
                    city_id="2301",
                    county_id="230184",
                    township_id="230184100",
                    detail="幸福村 8 号",
                    is_default=True,
                )
                for u in users
            ]
        )
        carts = Cart.objects.bulk_create([Cart(user=u) for u in users])
        lines = []
        for i, cart in enumerate(carts):
            # hot scenario and warm-up on the hot SKU; spread, promo and race spread out
            is_hot = i < orders_per_scenario or i >= total - 20
            sku = hot if is_hot else spread[i % SPREAD_SKUS]
            lines.append(CartLine(cart=cart, sku=sku, quantity=1))
        CartLine.objects.bulk_create(lines)
    buyers = [(t.key, a.pk) for t, a in zip(tokens, addresses, strict=True)]
    n = orders_per_scenario
    return {
        "store": store.pk,
        "hot_sku": hot.pk,
        "spread_skus": [s.pk for s in spread],
        "hot_buyers": buyers[:n],
        "spread_buyers": buyers[n : 2 * n],
        "promo_buyers": buyers[2 * n : 3 * n],
        "promo_users": [u.pk for u in users[2 * n : 3 * n]],
        "race_buyers": buyers[3 * n : 3 * n + race_buyers],
        "warm_buyers": buyers[3 * n + race_buyers :],
    }


def seed_promotions(data: dict, race_left: int) -> dict:
    """After the plain scenarios: a store spend-and-save every order reaches, a platform
    coupon held by each promo buyer, and the coupon the race buyers claim (race_left left)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from apps.promotions.models import Coupon, Promotion, UserCoupon

    now = timezone.now()
    window = {"valid_from": now - timedelta(hours=1), "valid_until": now + timedelta(days=1)}
    promotion = Promotion.objects.create(
        name="压测满减",
        store_id=data["store"],
        starts_at=window["valid_from"],
        ends_at=window["valid_until"],
    )
    promotion.tiers.create(threshold=Decimal("10.00"), amount_off=Decimal("1.00"))
    held = Coupon.objects.create(
        name="压测平台券", amount=Decimal("2.00"), threshold=Decimal("10.00"), **window
    )
    UserCoupon.objects.bulk_create(
        UserCoupon(coupon=held, user_id=user_id, source="send") for user_id in data["promo_users"]
    )
    Coupon.objects.filter(pk=held.pk).update(issued_count=len(data["promo_users"]))
    race = Coupon.objects.create(
        name="压测限量券",
        amount=Decimal("3.00"),
        threshold=Decimal("10.00"),
        total_quantity=race_left,
        **window,
    )
    return {"held_coupon": held.pk, "race_coupon": race.pk, "promotion": promotion.pk}


def claim(port: int, token: str, coupon_id: int) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.request(
        "POST",
        f"/api/v1/coupons/{coupon_id}/claim/",
        body="{}",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    status = conn.getresponse().status
    conn.close()
    return status


def run_race(port: int, buyers: list[tuple[str, int]], coupon_id: int) -> dict:
    """Every buyer at once (one thread each, released together): claim, then check out."""
    # Imported here, not at the top: cpu_compare loads this file to seed from another tree,
    # where bench/ is not on the path.
    from common import run_threads  # bench/common.py

    start = threading.Barrier(len(buyers))
    claims: list[int] = []
    orders: list[int] = []
    lock = threading.Lock()

    def buyer(token: str, address_id: int) -> None:
        start.wait()
        claimed = claim(port, token, coupon_id)
        status, _seconds, _content = checkout(port, token, address_id)
        with lock:
            claims.append(claimed)
            orders.append(status)

    elapsed = run_threads(buyer, buyers)
    return {
        "buyers": len(buyers),
        "claimed": claims.count(201) + claims.count(200),
        "claim_refused": sum(1 for c in claims if c == 409),
        "orders_placed": orders.count(201),
        "seconds": round(elapsed, 2),
    }


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) != 0


def start_gunicorn(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen:
    if not port_is_free(args.port):
        raise SystemExit(f"port {args.port} is in use; pass --port")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"{HOST}:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, args.port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not come up")


def checkout(port: int, token: str, address_id: int) -> tuple[int, float, bytes]:
    body = json.dumps({"address_id": address_id})
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": uuid.uuid4().hex,
    }
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.request("POST", "/api/v1/checkout/", body=body, headers=headers)
    response = conn.getresponse()
    content = response.read()
    conn.close()
    return response.status, time.perf_counter() - started, content


def run_scenario(port: int, buyers: list[tuple[str, int]], concurrency: int) -> dict:
    from common import run_threads  # bench/common.py (see run_race)

    statuses: list[int] = []
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(buyers))

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                token, address_id = queue.pop()
            status, seconds, content = checkout(port, token, address_id)
            with lock:
                statuses.append(status)
                latencies.append(seconds)
                if status != 201 and len(failures) < 3:
                    failures.append(f"{status} {content[:300].decode(errors='replace')}")

    elapsed = run_threads(worker, [()] * concurrency)
    latencies.sort()
    placed = statuses.count(201)
    return {
        "orders": placed,
        "errors": len(statuses) - placed,
        "seconds": round(elapsed, 2),
        "orders_per_second": round(placed / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
        "first_failures": failures,
    }


def raw_update_rate(url: str, sku_id: int, concurrency: int, seconds: float) -> dict:
    """Autocommitted single-row conditional UPDATEs, `concurrency` connections, one row."""
    import psycopg
    from common import run_threads  # bench/common.py (see run_race)

    counts = [0] * concurrency
    stop = time.monotonic() + seconds
    sql = "UPDATE catalog_sku SET reserved = reserved + 1 WHERE id = %s AND stock - reserved >= 1"

    def worker(index: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while time.monotonic() < stop:
                conn.execute(sql, (sku_id,))
                counts[index] += 1

    elapsed = run_threads(worker, [(i,) for i in range(concurrency)])
    return {
        "updates": sum(counts),
        "seconds": round(elapsed, 2),
        "updates_per_second": round(sum(counts) / elapsed, 1),
    }


def main() -> None:
    args = parse_args()
    env = django_env(args)
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    recreate_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - began
    data = seed(args.orders, args.race_buyers)
    connection.close()

    gunicorn = start_gunicorn(args, env)
    try:
        run_scenario(args.port, data["warm_buyers"], min(args.concurrency, 4))
        hot = run_scenario(args.port, data["hot_buyers"], args.concurrency)
        spread = run_scenario(args.port, data["spread_buyers"], args.concurrency)
        promotions = seed_promotions(data, args.race_left)
        connection.close()
        promo = run_scenario(args.port, data["promo_buyers"], args.concurrency)
        race = run_race(args.port, data["race_buyers"], promotions["race_coupon"])
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)

    from decimal import Decimal

    from apps.catalog.models import Sku
    from apps.orders.models import Order, OrderLineDiscount
    from apps.promotions.models import Coupon, UserCoupon

    reserved_hot = Sku.objects.get(pk=data["hot_sku"]).reserved
    placed_hot = Order.objects.filter(lines__sku_id=data["hot_sku"]).count()
    assert reserved_hot == placed_hot, (reserved_hot, placed_hot)
    held_code = f"coupon:{promotions['held_coupon']}"
    promo["orders_with_coupon"] = OrderLineDiscount.objects.filter(code=held_code).count()
    # a promo order: 12.50 − 1.00 (满10减1) − 2.00 (the held coupon) = 9.50
    promo["orders_with_promotion"] = OrderLineDiscount.objects.filter(
        code=f"promotion:{promotions['promotion']}",
        line__order__payment_order__amount=Decimal("9.50"),
    ).count()
    race_coupon = Coupon.objects.get(pk=promotions["race_coupon"])
    race.update(
        issued=race_coupon.issued_count,
        used=race_coupon.used_count,
        holdings_used=UserCoupon.objects.filter(coupon=race_coupon, status="used").count(),
        orders_with_it=OrderLineDiscount.objects.filter(code=f"coupon:{race_coupon.pk}").count(),
    )
    assert race["orders_with_it"] == race["used"] == race["issued"] == args.race_left, race
    connection.close()

    raw = raw_update_rate(args.database_url, data["hot_sku"], args.concurrency, args.raw_seconds)
    results = {
        "machine": f"{platform.node()} · {os.cpu_count()} CPU · Python {platform.python_version()}",
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
        "workers": args.workers,
        "concurrency": args.concurrency,
        "migrate_seconds": round(migrate_seconds, 1),
        "hot": hot,
        "spread": spread,
        "promo": promo,
        "race": race,
        "raw_update": raw,
        "hot_ratio": round(hot["orders_per_second"] / raw["updates_per_second"], 4),
        "spread_ratio": round(spread["orders_per_second"] / raw["updates_per_second"], 4),
        "promo_ratio": round(promo["orders_per_second"] / raw["updates_per_second"], 4),
        "promo_vs_spread": round(promo["orders_per_second"] / spread["orders_per_second"], 3),
    }
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print()
    print("| scenario | orders | errors | orders/s | p50 ms | p95 ms | ÷ raw UPDATE/s |")
    print("|---|---|---|---|---|---|---|")
    for name in ("hot", "spread", "promo"):
        r = results[name]
        print(
            f"| {name} | {r['orders']} | {r['errors']} | {r['orders_per_second']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {results[name + '_ratio']:.2%} |"
        )
    print(
        f"| raw conditional UPDATE (1 row, {args.concurrency} connections) | "
        f"{raw['updates']} | — | {raw['updates_per_second']} UPDATE/s | — | — | 100% |"
    )
    print()
    print(f"promo ÷ spread: {results['promo_vs_spread']:.1%} (target ≥ 80 %)")
    print(
        f"race: {race['buyers']} buyers for {args.race_left} coupons → claimed "
        f"{race['claimed']}, refused {race['claim_refused']}, orders {race['orders_placed']}, "
        f"orders with the coupon {race['orders_with_it']}, used {race['used']}"
    )


if __name__ == "__main__":
    main()
