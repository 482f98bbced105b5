#!/usr/bin/env python
"""Customer-service figures on PostgreSQL: the SLA monitor over 100,000 open cases and the
agent's queue and case pages with that many cases.

Run by hand (not part of the test suite), from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tianjian_service_bench \\
    .venv/bin/python bench/service_bench.py [--cases 100000] [--page-requests 100]

The database is created and migrated when missing. Each run rebuilds the cases (bulk inserts:
a third breached on first response, a third on resolution, a third in time), then:

1. SLA monitor: `cases_escalate_breached()` timed once (it escalates the breached two thirds,
   one UPDATE per level, the events in one bulk insert), then a second time (must change
   nothing).
2. Pages: p50/p95 and SQL queries, in-process through the whole Django stack, of the staff
   back office under /service/ (the pages agents use): the queues "breached", "due_soon",
   "unassigned", "mine" and "all" (50 rows a page) and one case page whose case has a 40-row
   timeline and a customer with 100 earlier cases; then, for comparison, the admin changelist
   ("breached", 100 rows) and the admin case page. Each page also reports the p50 of this
   process's CPU time, which the machine's load does not inflate the way it does wall time.

Prints a Markdown table and writes the raw figures to bench/results/service-<time>.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import setup_django  # bench/common.py (the script's own folder)

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tianjian_service_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "False"
MONITOR_TARGET_S = 10.0
PAGE_P50_TARGET_MS = 50.0
QUERY_CEILING = 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--page-requests", type=int, default=100)
    return parser.parse_args()


def build_cases(count: int, customers: list, agent) -> None:
    from django.db import connection

    from apps.customer_service.models import CallbackVisit, Case, CaseEntry, CaseEvent

    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {CaseEvent._meta.db_table}, {CaseEntry._meta.db_table}, "
            f"{CallbackVisit._meta.db_table}, {Case._meta.db_table} RESTART IDENTITY CASCADE"
        )
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        kind = i % 3
        created = now - timedelta(days=3 if kind else 0, minutes=i % 600)
        rows.append(
            Case(
                number=f"KFBENCH{i:09d}",
                channel=Case.Channel.WEB,
                category=Case.Category.values[i % len(Case.Category.values)],
                priority="p2",
                status=Case.Status.NEW if i % 2 else Case.Status.IN_PROGRESS,
                contact_phone="+8613800138000",
                subject=f"压测工单 {i}",
                description="压测",
                first_response_due=created + timedelta(hours=4),
                resolution_due=created + (timedelta(days=1) if kind == 2 else timedelta(days=7)),
                public_key=f"bench-{i}",
                # 1,000 shoppers with 100 cases each; every tenth case is the agent's own.
                customer=customers[i % len(customers)],
                owner=agent if i % 10 == 0 else None,
            )
        )
        if len(rows) == 10_000:
            Case.objects.bulk_create(rows)
            rows = []
    Case.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Case._meta.db_table}")  # as autovacuum would after the load


def build_timeline(case, agent) -> None:
    """The measured case page's case: 20 moves and notes in its timeline, 20 messages."""
    from apps.core.transitions import event_record
    from apps.customer_service.models import CaseEntry

    for i in range(20):
        event_record(case, kind="note", actor=agent, reason=f"跟进 {i}")
        CaseEntry.objects.create(
            case=case,
            kind=CaseEntry.Kind.PUBLIC_REPLY if i % 2 else CaseEntry.Kind.INTERNAL_NOTE,
            author=agent,
            body=f"回复 {i}",
            is_public=bool(i % 2),
        )


def measure_monitor() -> dict:
    from django.urls import reverse

    from apps.customer_service.services import cases_escalate_breached

    reverse("admin:index")  # a running worker has its URLconf loaded already

    start = time.perf_counter()
    first = cases_escalate_breached()
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    second = cases_escalate_breached()
    second_s = time.perf_counter() - start
    return {
        "first_s": round(first_s, 2),
        "escalated": first.escalated,
        "second_s": round(second_s, 2),
        "second_changed": second.total,
    }


def measure_page(client, url: str, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    timings, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    timings.sort()
    return {
        "url": url,
        "queries": len(queries),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        # This process's CPU time (Python: view, ORM, template), without waiting for the
        # CPU or for PostgreSQL: on a loaded machine the wall time is several times this.
        "cpu_p50_ms": round(statistics.median(cpu), 1),
    }


def main() -> None:
    args = parse_args()
    setup_django()
    from django.contrib.auth.models import Group
    from django.core.signals import request_started
    from django.db import reset_queries

    # Count every query of a page (Django resets the log at each request otherwise).
    request_started.disconnect(reset_queries)
    from django.test import Client

    from apps.accounts.models import User
    from apps.core.roles import CS_AGENT, roles_sync
    from apps.customer_service.models import Case

    roles_sync()
    agent, _ = User.objects.get_or_create(
        email="bench-agent@tianjian.local", defaults={"name": "压测客服", "is_staff": True}
    )
    agent.groups.add(Group.objects.get(name=CS_AGENT))
    customers = list(User.objects.filter(email__startswith="bench-shopper-").order_by("pk"))
    if len(customers) < 1000:
        User.objects.bulk_create(
            [
                User(email=f"bench-shopper-{i}@tianjian.local", name=f"压测顾客{i}")
                for i in range(len(customers), 1000)
            ]
        )
        customers = list(User.objects.filter(email__startswith="bench-shopper-").order_by("pk"))
    build_cases(args.cases, customers, agent)
    monitor = measure_monitor()
    client = Client()
    client.force_login(agent)
    case = Case.objects.order_by("pk").first()
    build_timeline(case, agent)
    pages = {}
    for queue in ("breached", "due_soon", "unassigned", "mine", "all"):
        pages[f"/service/ queue ({queue})"] = measure_page(
            client, f"/service/queue/?queue={queue}", args.page_requests
        )
    pages["/service/ case page"] = measure_page(
        client, f"/service/cases/{case.number}/", args.page_requests
    )
    pages["admin queue (breached)"] = measure_page(
        client, "/admin/customer_service/case/?queue=breached", args.page_requests
    )
    pages["admin case page"] = measure_page(
        client, f"/admin/customer_service/case/{case.pk}/change/", args.page_requests
    )
    results = {"cases": args.cases, "monitor": monitor, "pages": pages}
    print("| figure | result | target |")
    print("|---|---|---|")
    print(
        f"| SLA monitor, {args.cases:,} open cases, first run | {monitor['first_s']} s "
        f"({monitor['escalated']}) | < {MONITOR_TARGET_S} s |"
    )
    print(
        f"| SLA monitor, second run | {monitor['second_s']} s, "
        f"{monitor['second_changed']} changed | 0 changed |"
    )
    for name, figures in pages.items():
        print(
            f"| {name} | p50 {figures['p50_ms']} ms (CPU {figures['cpu_p50_ms']} ms), "
            f"p95 {figures['p95_ms']} ms, {figures['queries']} queries "
            f"| p50 < {PAGE_P50_TARGET_MS} ms, "
            f"< {QUERY_CEILING} queries |"
        )
    out_dir = BASE_DIR / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"service-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
