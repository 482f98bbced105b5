#!/usr/bin/env python
"""Distribution figures on PostgreSQL: the release job over many commission records, and a
promoter's dashboard with a large team.

Run by hand (not part of the test suite), from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tianjian_bench_distribution \\
    .venv/bin/python bench/distribution_bench.py [--orders 100000] [--members 10000]

The database is created and migrated when missing and the fixture rebuilt on every run (set-based
INSERT … SELECT from one template order, line and user): --orders orders of 5 lines each, two
commission records per line (level 1 → promoter A; level 2 → promoter C on every fifth order,
B otherwise), so 100,000 orders give 1,000,000 records, 100,000 of them C's. Every tenth
order was received 30 days ago (due); the rest are paid, not received. C has --members level-1
team members.

It then times `commissions_release_due` (target < 60 s; the second run must release nothing),
checks that every promoter's balance equals the sum of its ledger and that each released
record has one balance entry and one settlement entry, and times C's dashboard page (target
< 20 SQL queries and < 50 ms, median of 20 requests after one warm-up; the first request
after clearing the cache, which computes the promoter's cached sums, is reported as cold).
Figures go to stdout and bench/results/distribution-<time>.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from common import setup_django  # bench/common.py (the script's own folder)

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tianjian_bench_distribution"
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=10_000)
    return parser.parse_args()


def _columns(model, overrides: dict[str, str], alias: str) -> tuple[str, str]:
    """(column list, select list) copying every column of `alias` except the overridden."""
    names = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    select = [overrides.get(name, f"{alias}.{name}") for name in names]
    return ", ".join(names), ", ".join(select)


def build_fixture(orders: int, members: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.distribution.models import CommissionRecord, Promoter, ReferralBinding
    from apps.distribution.services.config import config_update
    from apps.distribution.services.promoters import promoter_appoint
    from apps.orders.models import Order, OrderLine, PaymentOrder
    from apps.stores.models import Store

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE distribution_commissionevent, distribution_balanceentry, "
            "distribution_commissionrecord, distribution_withdrawalevent, "
            "distribution_withdrawal, distribution_bindingchange, distribution_referralbinding, "
            "distribution_promoterevent, distribution_promoter, settlement_ledgerentry, "
            "orders_orderevent, orders_orderline, orders_order, orders_paymentorder, "
            "accounts_notification CASCADE"
        )
        cursor.execute("DELETE FROM accounts_user WHERE email LIKE 'bench-%%'")
    config_update(actor=None, freeze_days=7)
    store, _created = Store.objects.get_or_create(
        slug="bench-distribution",
        defaults={
            "name": "分销压测店",
            "type": "family_farm",
            "status": "active",
            "county_code": "230184",
            "county_name": "五常市",
            "contact_name": "压测",
            "contact_phone": "13800000000",
        },
    )
    users = [User.objects.create_user(email=f"bench-{n}@example.com", name=n) for n in "ABCD"]
    a, b, c = (promoter_appoint(user=user, actor=None) for user in users[:3])
    buyer = users[3]
    now = timezone.now()
    payment = PaymentOrder.objects.create(
        number="BENCH-P",
        buyer=buyer,
        amount=Decimal("100.00"),
        status="paid",
        method="online",
        idempotency_key="bench",
        expires_at=now,
        paid_at=now,
    )
    order = Order.objects.create(
        number="BENCH-T",
        payment_order=payment,
        buyer=buyer,
        store=store,
        status="paid",
        address={},
        goods_amount=Decimal("100.00"),
        total_amount=Decimal("100.00"),
        commission_rate=Decimal("0.0500"),
        paid_at=now,
        promoter_level1=a.user,
    )
    line = OrderLine.objects.create(
        order=order,
        title="五常大米",
        spec="5kg",
        unit_price=Decimal("20.00"),
        quantity=1,
        line_amount=Decimal("20.00"),
        paid_amount=Decimal("20.00"),
    )
    order_cols, order_select = _columns(
        Order,
        {
            "number": "'B' || g",
            "status": "CASE WHEN g %% 10 = 0 THEN 'completed' ELSE 'paid' END",
            "completed_at": "CASE WHEN g %% 10 = 0 THEN now() - interval '30 days' END",
            "promoter_level2_id": f"CASE WHEN g %% 5 = 1 THEN {c.user_id} ELSE {b.user_id} END",
        },
        "t",
    )
    line_cols, line_select = _columns(OrderLine, {"order_id": "o.id"}, "t")
    record_cols, record_select = _columns(
        CommissionRecord,
        {
            "order_id": "l.order_id",
            "line_id": "l.id",
            "store_id": str(store.pk),
            "promoter_id": "v.promoter",
            "level": "v.level",
            "base": "20.00",
            "rate": "v.rate",
            "fixed_amount": "NULL",
            "amount": "v.amount",
            "reversed_amount": "0",
            "status": "'frozen'",
            "available_at": "NULL",
            "cancelled_at": "NULL",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "l",
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH o AS (
                INSERT INTO orders_order ({order_cols})
                SELECT {order_select} FROM orders_order t, generate_series(1, %s) g
                WHERE t.id = %s
                RETURNING id, number
            ), l AS (
                INSERT INTO orders_orderline ({line_cols})
                SELECT {line_select} FROM o, orders_orderline t, generate_series(1, 5) k
                WHERE t.id = %s
                RETURNING id, order_id
            )
            INSERT INTO distribution_commissionrecord ({record_cols})
            SELECT {record_select}
            FROM l
            JOIN o ON o.id = l.order_id
            CROSS JOIN LATERAL (VALUES
                (1, {a.pk}, 10.00, 2.00),
                (2, CASE WHEN substr(o.number, 2)::int %% 5 = 1 THEN {c.pk} ELSE {b.pk} END,
                 5.00, 1.00)
            ) v(level, promoter, rate, amount)
            """,
            [orders, order.pk, line.pk],
        )
        user_cols, user_select = _columns(
            User,
            {"email": "'bench-m' || g || '@example.com'", "phone": "NULL", "name": "'成员' || g"},
            "t",
        )
        cursor.execute(
            f"""
            WITH u AS (
                INSERT INTO accounts_user ({user_cols})
                SELECT {user_select} FROM accounts_user t, generate_series(1, %s) g
                WHERE t.id = %s RETURNING id
            )
            INSERT INTO distribution_referralbinding
                (user_id, promoter_id, source, bound_at, created_at, updated_at)
            SELECT u.id, %s, 'link', now(), now(), now() FROM u
            """,
            [members, buyer.pk, c.pk],
        )
        cursor.execute("ANALYZE")
    built = time.perf_counter() - started
    return {
        "promoters": {"A": a.pk, "B": b.pk, "C": c.pk},
        "c_user": c.user_id,
        "records": CommissionRecord.objects.count(),
        "c_records": CommissionRecord.objects.filter(promoter=c).count(),
        "c_members": ReferralBinding.objects.filter(promoter=c).count(),
        "fixture_seconds": round(built, 1),
        "promoter_ids": list(Promoter.objects.values_list("pk", flat=True)),
    }


def run_release() -> dict:
    from django.db.models import Count, Sum

    from apps.distribution.models import BalanceEntry, CommissionRecord, Promoter
    from apps.distribution.services.commissions import commissions_release_due
    from apps.settlement.models import LedgerEntry

    started = time.perf_counter()
    released = commissions_release_due()
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = commissions_release_due()
    second = time.perf_counter() - started
    sums = dict(
        BalanceEntry.objects.values("promoter")
        .annotate(total=Sum("amount"))
        .values_list("promoter", "total")
    )
    balanced = all(p.balance == (sums.get(p.pk) or Decimal("0.00")) for p in Promoter.objects.all())
    available = CommissionRecord.objects.filter(status="available").aggregate(n=Count("id"))["n"]
    return {
        "released": released,
        "release_seconds": round(first, 2),
        "second_run_released": again,
        "second_run_seconds": round(second, 2),
        "available_records": available,
        "balance_entries": BalanceEntry.objects.count(),
        "settlement_entries": LedgerEntry.objects.filter(type="distribution_commission").count(),
        "balances_equal_ledger": balanced,
    }


def vacuum_analyze() -> None:
    """What autovacuum does after the release's 100,000 updates (this machine's PostgreSQL
    runs with autovacuum off): statistics and the visibility map the dashboard's index-only
    scan relies on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE distribution_commissionrecord")


def run_dashboard(c_user: int) -> dict:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from apps.accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(User.objects.get(pk=c_user))
    cache.clear()  # the first request computes the promoter's sums (cold), later ones hit
    started = time.perf_counter()
    assert client.get("/distribution/").status_code == 200
    cold = (time.perf_counter() - started) * 1000
    times = []
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # CaptureQueriesContext loses them: each request starts by resetting the queries log.
    with connection.execute_wrapper(count):
        client.get("/distribution/")
    for _i in range(20):
        started = time.perf_counter()
        response = client.get("/distribution/")
        times.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200
    return {
        "dashboard_queries": len(queries),
        "dashboard_median_ms": round(statistics.median(times), 1),
        "dashboard_cold_ms": round(cold, 1),
    }


def main() -> None:
    args = parse_args()
    setup_django()
    fixture = build_fixture(args.orders, args.members)
    print("fixture", fixture)
    release = run_release()
    print("release", release)
    vacuum_analyze()
    dashboard = run_dashboard(fixture["c_user"])
    print("dashboard", dashboard)
    results = BASE_DIR / "bench" / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (results / f"distribution-{stamp}.json").write_text(
        json.dumps({"args": vars(args), **fixture, **release, **dashboard}, indent=2)
    )


if __name__ == "__main__":
    main()
