#!/usr/bin/env python
"""Webhooks out (issue 21): 10,000 events delivered by Celery to a local receiver, 10 % of
first attempts failing; every event must reach the receiver exactly once (as the receiver
sees it, deduplicating by X-Tianjian-Event-Id).

Run by hand (not part of the test suite), from the project root, with Redis running:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tianjian_bench_webhooks \\
    REDIS_URL=redis://127.0.0.1:6379/6 \\
    .venv/bin/python bench/webhook_bench.py [--events 10000] [--concurrency 4]

What it does, all through the production code path:
1. one store app with one subscription to a receiver this script serves on 127.0.0.1
   (ThreadingHTTPServer; WEBHOOK_ALLOW_LOOPBACK=True for this run only);
2. records --events order.paid events with `webhook_event_record` in transactions of 500
   (each commit queues its deliveries on Redis: the outbox's fast path);
3. starts a Celery worker (prefork, --concurrency processes) and, as beat would, queues
   `outbox_dispatch_task` every second; WEBHOOK_RETRY_BASE_SECONDS=1 so the failed tenth is
   retried a second later instead of a minute;
4. the receiver checks every signature, answers 500 to the first attempt of one event in ten
   (chosen by event id) and 200 otherwise, and counts acknowledgements per event id;
5. waits until every delivery succeeded (or --timeout), then stops the worker.

It prints deliveries/s (events acknowledged ÷ time from the first request to the last) and
attempts/s, and writes bench/results/webhooks-<time>.json.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import setup_django  # bench/common.py (the script's own folder)

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tianjian_bench_webhooks"
BATCH = 500

os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "False"
os.environ["WEBHOOK_ALLOW_LOOPBACK"] = "True"
os.environ["WEBHOOK_RETRY_BASE_SECONDS"] = "1"
os.environ["WEBHOOK_PAUSE_AFTER_FAILURES"] = "1000000"  # the bench's failures are planned
os.environ["OUTBOX_DISPATCH_BATCH"] = "1000"


class Receiver:
    def __init__(self, secret_holder: dict) -> None:
        self.lock = threading.Lock()
        self.secret = secret_holder
        self.attempts: Counter = Counter()
        self.acknowledged: Counter = Counter()
        self.bad_signatures = 0
        self.failed_on_purpose = 0
        self.first_at: float | None = None
        self.last_at: float | None = None

    def handle(self, headers, body: bytes) -> int:
        from apps.open_platform.services.webhooks import webhook_signature_verify

        event_id = headers["X-Tianjian-Event-Id"]
        valid = webhook_signature_verify(
            secret=self.secret["value"],
            timestamp=headers["X-Tianjian-Timestamp"],
            body=body,
            signature=headers["X-Tianjian-Signature"],
        )
        with self.lock:
            now = time.perf_counter()
            self.first_at = self.first_at or now
            self.last_at = now
            if not valid:
                self.bad_signatures += 1
                return 401
            self.attempts[event_id] += 1
            if self.attempts[event_id] == 1 and uuid.UUID(event_id).int % 10 == 0:
                self.failed_on_purpose += 1
                return 500
            self.acknowledged[event_id] += 1
            return 200


def serve(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            code = receiver.handle(self.headers, body)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()

    setup_django()
    from django.db import connection, transaction

    from apps.accounts.models import User
    from apps.core.models import OutboxMessage
    from apps.open_platform.models import (
        App,
        WebhookAttempt,
        WebhookDelivery,
        WebhookSubscription,
    )
    from apps.open_platform.services.tokens import app_register
    from apps.open_platform.services.webhooks import subscription_create, webhook_event_record
    from apps.stores.models import Store, StoreType
    from apps.stores.services import store_member_add
    from config.celery import app as celery_app

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(",")[0]
    print(pg_version, "| load average", os.getloadavg())

    # A clean slate: earlier runs' rows and queued tasks.
    celery_app.control.purge()
    WebhookSubscription.objects.all().delete()
    with connection.cursor() as cursor:  # events are append-only through the ORM
        cursor.execute("TRUNCATE open_platform_webhookevent CASCADE")
    OutboxMessage.objects.filter(kind="open_platform.webhook_delivery").delete()

    secret = {}
    receiver = Receiver(secret)
    server = serve(receiver)
    url = f"http://127.0.0.1:{server.server_address[1]}/tianjian"

    store, _ = Store.objects.get_or_create(
        slug="bench-webhooks",
        defaults={
            "name": "压测店铺",
            "status": Store.Status.ACTIVE,
            "type": StoreType.FAMILY_FARM,
            "county_code": "230184",
            "county_name": "黑龙江省哈尔滨市五常市",
            "contact_name": "张三",
            "contact_phone": "13800000000",
        },
    )
    owner, created = User.objects.get_or_create(
        email="bench-webhooks@example.com", defaults={"name": "压测商家"}
    )
    if created:
        store_member_add(store=store, user=owner, role="owner")
    bench_app = App.objects.filter(store=store).first() or app_register(
        actor=owner, name="压测 ERP", store=store, acting_user=owner, contact_name="压测"
    )
    subscription = subscription_create(actor=None, app=bench_app, url=url, events=["order.paid"])
    secret["value"] = subscription.secret

    started = time.perf_counter()
    for first in range(0, args.events, BATCH):
        with transaction.atomic():
            for number in range(first, min(first + BATCH, args.events)):
                webhook_event_record(
                    type="order.paid",
                    store_id=store.pk,
                    payload={"order": {"number": f"BENCH{number:08d}", "total_amount": "59.90"}},
                )
    recorded_s = time.perf_counter() - started
    print(f"recorded {args.events} events (+ deliveries, outbox rows) in {recorded_s:.1f} s")

    env = {**os.environ}
    worker = subprocess.Popen(
        [
            str(BASE_DIR / ".venv/bin/celery"),
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(args.concurrency),
            "--loglevel",
            "ERROR",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    from apps.core.tasks import outbox_dispatch_task

    deadline = time.perf_counter() + args.timeout
    pending = args.events
    try:
        while time.perf_counter() < deadline:
            time.sleep(1)
            outbox_dispatch_task.delay()  # what beat does every OUTBOX_DISPATCH_INTERVAL
            pending = WebhookDelivery.objects.exclude(
                status=WebhookDelivery.Status.SUCCEEDED
            ).count()
            print(
                f"  acknowledged {len(receiver.acknowledged)}, attempts "
                f"{sum(receiver.attempts.values())}, deliveries pending {pending}",
                flush=True,
            )
            if pending == 0:
                break
    finally:
        worker.terminate()  # warm shutdown: the worker lets its children finish their task
        try:
            worker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        server.shutdown()

    span = (receiver.last_at or 0) - (receiver.first_at or 0)
    acknowledged = len(receiver.acknowledged)
    duplicates = sum(count - 1 for count in receiver.acknowledged.values() if count > 1)
    attempts = sum(receiver.attempts.values())
    results = {
        "events": args.events,
        "acknowledged_unique": acknowledged,
        "acknowledged_twice_or_more": duplicates,
        "attempts_seen_by_receiver": attempts,
        "first_attempts_failed_on_purpose": receiver.failed_on_purpose,
        "bad_signatures": receiver.bad_signatures,
        "attempt_rows": WebhookAttempt.objects.count(),
        "deliveries_pending": pending,
        "record_seconds": round(recorded_s, 1),
        "delivery_seconds": round(span, 1),
        "deliveries_per_second": round(acknowledged / span, 1) if span else None,
        "attempts_per_second": round(attempts / span, 1) if span else None,
        "worker_concurrency": args.concurrency,
        "postgres": pg_version,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
    }
    print(json.dumps(results, indent=2, ensure_ascii=False))
    out = BASE_DIR / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"webhooks-{stamp}.json").write_text(json.dumps(results, indent=2))
    ok = acknowledged == args.events and duplicates == 0 and receiver.bad_signatures == 0
    print("OK: every event acknowledged exactly once" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
