"""Fault drill (issue 12): stop Redis under mixed load, start it again, count what happened.

Needs a running stack on its OWN Redis (never a shared one: this script shuts it down):
gunicorn on --base, a Celery worker and beat, all with REDIS_URL=redis://127.0.0.1:<port>/0,
mail written to files (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend,
EMAIL_OPTIONS={"file_path": ...}) and the demo data (manage.py seed_demo). Run with the same
DATABASE_URL / REDIS_URL as the stack:

    python bench/fault_drill.py --base http://127.0.0.1:8611 --redis-port 6391 --mail-dir DIR

Load: anonymous storefront pages, web log-ins, and shoppers who check out through the API and
pay in the sandbox cashier (each payment makes notification e-mails). Redis is stopped from
--down-at to --up-at seconds. Then it waits for the outbox to drain and prints: answers per
phase and status, every 5xx, outbox messages pending, e-mails sent vs. e-mails owed.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import django
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from apps.accounts.models import User  # noqa: E402
from apps.catalog.models import Product, Sku  # noqa: E402
from apps.core.models import OutboxMessage  # noqa: E402
from apps.orders.models import CartLine, Division  # noqa: E402
from apps.orders.services.addresses import address_save  # noqa: E402

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SHOPPER = ("shopper@tianjian.local", "shopper-2026")
results: list[tuple[float, str, int]] = []
lock = threading.Lock()


def record(started: float, kind: str, status: int, sent: float) -> None:
    with lock:
        results.append((sent - started, kind, status))


def get(session: requests.Session, url: str) -> requests.Response:
    return session.get(url, timeout=40, allow_redirects=False)


def form_post(session, base, path, data) -> requests.Response:
    page = get(session, base + path)
    token = CSRF.search(page.text)
    data = {**data, "csrfmiddlewaretoken": token.group(1) if token else ""}
    return session.post(
        base + path, data=data, timeout=40, allow_redirects=False, headers={"Referer": base + path}
    )


def storefront(base: str, paths: list[str], started: float, stop: threading.Event) -> None:
    session = requests.Session()
    i = 0
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        sent = time.monotonic()
        try:
            record(started, "storefront", get(session, base + path).status_code, sent)
        except requests.RequestException:
            record(started, "storefront", 0, sent)
        time.sleep(0.2)


def log_ins(base: str, started: float, stop: threading.Event) -> None:
    while not stop.is_set():
        session = requests.Session()
        sent = time.monotonic()
        try:
            response = form_post(
                session, base, "/accounts/login/", {"login": SHOPPER[0], "password": SHOPPER[1]}
            )
            record(started, "log-in", response.status_code, sent)
        except requests.RequestException:
            record(started, "log-in", 0, sent)
        time.sleep(3)  # below ACCOUNT_RATE_LIMITS["login"] (30 a minute per IP)


def buyer(base, sku_ids, address_id, started, stop) -> None:
    api = requests.Session()
    token = api.post(
        f"{base}/api/v1/auth/token/", json={"login": SHOPPER[0], "password": SHOPPER[1]}, timeout=40
    ).json()
    api.headers["Authorization"] = f"Token {token['token']}"
    web = requests.Session()
    form_post(web, base, "/accounts/login/", {"login": SHOPPER[0], "password": SHOPPER[1]})
    n = 0
    while not stop.is_set():
        n += 1
        sent = time.monotonic()
        try:
            api.post(
                f"{base}/api/v1/cart/lines/",
                json={"sku_id": sku_ids[n % len(sku_ids)], "quantity": 1},
                timeout=40,
            )
            checkout = api.post(
                f"{base}/api/v1/checkout/",
                json={"address_id": address_id},
                headers={"Idempotency-Key": f"drill-{os.getpid()}-{threading.get_ident()}-{n}"},
                timeout=40,
            )
            record(started, "checkout", checkout.status_code, sent)
            if checkout.status_code != 201:
                continue
            number = checkout.json()["number"]
            start = form_post(web, base, f"/pay/{number}/", {"provider": "sandbox"})
            record(started, "pay", start.status_code, time.monotonic())
            cashier = urlsplit(start.headers.get("Location", "")).path
            if cashier.startswith("/pay/sandbox/"):
                clicked = time.monotonic()
                click = form_post(web, base, cashier, {"outcome": "paid"})
                record(started, "cashier paid", click.status_code, clicked)
        except (requests.RequestException, KeyError, ValueError) as exc:
            record(started, f"buyer {type(exc).__name__}", 0, sent)
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8611")
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--mail-dir", required=True)
    parser.add_argument("--seconds", type=int, default=150)
    parser.add_argument("--down-at", type=int, default=30)
    parser.add_argument("--up-at", type=int, default=90)
    args = parser.parse_args()
    if args.redis_port == 6379:
        raise SystemExit("refusing to stop the shared Redis on 6379")

    shopper = User.objects.get(email=SHOPPER[0])
    county = (
        Division.objects.filter(code="230184").first()
        or Division.objects.filter(level=Division.Level.COUNTY).first()
    )
    address = shopper.addresses.first() or address_save(
        user=shopper,
        contact_name="王小明",
        contact_phone="13812345678",
        province=county.code[:2],
        city=county.code[:4],
        county=county.code,
        township=Division.objects.filter(parent=county).order_by("code").first().code,
        detail="演练村 1 号",
    )
    # Ambient goods (no cold chain needed), plenty in stock; an empty cart to begin with.
    sellable = Sku.objects.filter(
        product__status="on_sale", product__storage="ambient", is_held=False
    )
    sellable.update(stock=100000)
    skus = list(sellable.order_by("pk").values_list("pk", flat=True)[:5])
    CartLine.objects.filter(cart__user=shopper).delete()
    product = Product.objects.filter(status="on_sale").first()
    paths = ["/", "/search/?q=大米", f"/p/{product.pk}/", f"/s/{product.store.slug}/"]
    mail_before = len(list(Path(args.mail_dir).glob("*")))
    outbox_before = OutboxMessage.objects.count()

    stop = threading.Event()
    started = time.monotonic()
    threads = [
        threading.Thread(target=storefront, args=(args.base, paths, started, stop))
        for _ in range(2)
    ]
    threads.append(threading.Thread(target=log_ins, args=(args.base, started, stop)))
    threads += [
        threading.Thread(target=buyer, args=(args.base, skus, address.pk, started, stop))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    time.sleep(args.down_at)
    subprocess.run(["redis-cli", "-p", str(args.redis_port), "shutdown", "nosave"], check=False)
    print(f"{time.monotonic() - started:.0f}s Redis stopped", flush=True)
    time.sleep(args.up_at - args.down_at)
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(args.redis_port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
        ],
        check=True,
    )
    print(f"{time.monotonic() - started:.0f}s Redis started", flush=True)
    time.sleep(max(0, args.seconds - args.up_at))
    stop.set()
    for thread in threads:
        thread.join()

    deadline = time.monotonic() + 180
    while OutboxMessage.objects.filter(delivered_at__isnull=True).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(3)

    def phase(t: float) -> str:
        return "before" if t < args.down_at else "redis down" if t < args.up_at else "after"

    table = collections.Counter((phase(t), kind, status) for t, kind, status in results)
    for key in sorted(table):
        print(*key, table[key], sep="\t")
    errors = [
        (round(t), kind, status) for t, kind, status in results if status >= 500 or status == 0
    ]
    print("5xx or no answer:", errors or "none")
    new = OutboxMessage.objects.all()[: OutboxMessage.objects.count() - outbox_before]
    pending = [m for m in new if m.delivered_at is None]
    owed = sum(1 for m in new if m.kind == "accounts.notification_email")
    mail_files = sorted(Path(args.mail_dir).glob("*"))[mail_before:]
    sent = sum(f.read_text(errors="replace").count("\nSubject: ") for f in mail_files)
    print(f"outbox messages: {len(new)}, pending: {len(pending)}; e-mails owed {owed}, sent {sent}")


if __name__ == "__main__":
    main()
