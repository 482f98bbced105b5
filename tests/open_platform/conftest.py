"""Fixtures of the open-platform tests: apps and tokens, a real HTTP receiver on 127.0.0.1,
and running the outbox by hand (a test's transaction never commits, so nothing runs after
it on its own)."""

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db.models import Q
from django.utils import timezone

from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_message_deliver
from apps.core.roles import roles_sync
from apps.open_platform.models import App
from apps.open_platform.scopes import Scope
from apps.open_platform.services.tokens import app_register, app_token_issue
from apps.open_platform.services.webhooks import WEBHOOK_DELIVERY
from tests.orders.conftest import address, divisions  # noqa: F401  (fixtures)

ALL_SCOPES = list(Scope.values)


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


@pytest.fixture
def app_a(store_a, merchant_a) -> App:
    return app_register(
        actor=merchant_a,
        name="五常 ERP",
        store=store_a,
        acting_user=merchant_a,
        contact_name="李工",
        contact_phone="13800000001",
    )


@pytest.fixture
def app_b(store_b, merchant_b) -> App:
    return app_register(
        actor=merchant_b,
        name="赣南 ERP",
        store=store_b,
        acting_user=merchant_b,
        contact_name="张工",
    )


def issue(app: App, actor, scopes=ALL_SCOPES, **kwargs) -> str:
    return app_token_issue(actor=actor, app=app, name="接口令牌", scopes=scopes, **kwargs)[1]


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@dataclass
class Received:
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the local server got, and what it answers next (200 when nothing is queued)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: deque = field(default_factory=deque)
    always: int | None = None


@pytest.fixture
def receiver():
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                state.requests.append(Received(dict(self.headers.items()), body))
                code = state.always or (state.answers.popleft() if state.answers else 200)
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if code < 300 else b"nope")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/tianjian"
    yield state
    server.shutdown()
    server.server_close()


def webhook_messages():
    return OutboxMessage.objects.filter(kind=WEBHOOK_DELIVERY)


def deliver_due(*, force: bool = False) -> int:
    """Run the outbox for webhook messages as the after-commit task and the dispatcher would:
    new ones, and failed ones whose back-off has passed (all failed ones with `force`).
    Returns how many were delivered."""
    pending = webhook_messages().filter(delivered_at__isnull=True)
    if force:
        pending.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    due = pending.filter(Q(attempts=0) | Q(next_attempt_at__lte=timezone.now()))
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    return sum(outbox_message_deliver(message_id=pk) for pk in ids)
