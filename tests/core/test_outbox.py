"""The transactional outbox (apps/core/outbox.py), through notification_send's e-mails.

The broker is real: Celery not eager, pointed at a port that refuses (fixture broker_down).
"""

import logging
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections, transaction
from django.utils import timezone

from apps.accounts.services import NOTIFICATION_EMAIL, notification_send
from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_dispatch, outbox_message_deliver, outbox_message_record
from apps.core.tasks import outbox_dispatch_task
from config.celery import build_beat_schedule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def due_now() -> None:
    """Let time pass to the messages' next attempt."""
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_with_a_worker_the_email_is_sent_once_right_after_the_commit(shopper, after_commit):
    with after_commit():
        notification_send(user=shopper, title="订单已发货", body="请留意查收")

    assert [m.to for m in mail.outbox] == [[shopper.email]]
    message = OutboxMessage.objects.get()
    assert (message.kind, message.key) == (
        NOTIFICATION_EMAIL,
        f"{NOTIFICATION_EMAIL}:{message.payload['notification_id']}",
    )
    assert (message.attempts, message.is_delivered) == (1, True)
    # the dispatcher has nothing left to do, even when the message would be due
    due_now()
    assert outbox_dispatch() == 0
    assert len(mail.outbox) == 1


def test_a_rolled_back_change_leaves_no_message(shopper):
    @transaction.atomic
    def change_that_fails():
        notification_send(user=shopper, title="订单已发货")
        raise RuntimeError("the business change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert OutboxMessage.objects.count() == 0


def test_with_the_broker_down_the_email_waits_and_is_sent_once_when_it_is_back(
    shopper, broker_down, after_commit, caplog
):
    # when: the change commits while the broker refuses
    with caplog.at_level(logging.WARNING, logger="apps.core.outbox"), after_commit():
        notification_send(user=shopper, title="订单已发货")

    # then: nothing failed, nothing sent, the message waits
    assert "broker unavailable" in caplog.text
    assert mail.outbox == []
    message = OutboxMessage.objects.get()
    assert (message.attempts, message.is_delivered) == (0, False)
    # not yet due: the fast path has OUTBOX_RETRY_BASE_SECONDS before the dispatcher steps in
    assert outbox_dispatch() == 0

    # when: the broker is back and beat runs the dispatcher (twice: overlapping runs)
    due_now()
    assert outbox_dispatch_task.apply().get() == 1
    assert outbox_dispatch_task.apply().get() == 0

    # then: sent exactly once
    assert [m.subject for m in mail.outbox] == ["[田间] 订单已发货"]
    message.refresh_from_db()
    assert (message.attempts, message.is_delivered) == (1, True)


def test_a_failing_handler_is_retried_with_back_off_until_it_succeeds(
    shopper, settings, monkeypatch, after_commit
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 100

    def smtp_down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP server refused")

    monkeypatch.setattr("apps.accounts.services.send_mail", smtp_down)
    with after_commit():
        notification_send(user=shopper, title="订单已发货")
    message = OutboxMessage.objects.get()
    delays = []
    for _ in range(3):
        message.refresh_from_db()
        delays.append(round((message.next_attempt_at - timezone.now()).total_seconds(), -1))
        due_now()
        assert outbox_dispatch() == 0

    message.refresh_from_db()
    assert delays == [30, 60, 100]  # 30 s doubling, capped at OUTBOX_RETRY_MAX_SECONDS
    assert message.attempts == 4
    assert message.last_error == "ConnectionRefusedError: SMTP server refused"

    monkeypatch.undo()
    due_now()
    assert outbox_dispatch() == 1
    assert len(mail.outbox) == 1


def test_recording_with_a_known_key_returns_the_first_message(shopper):
    first = outbox_message_record(kind=NOTIFICATION_EMAIL, payload={"notification_id": 1}, key="k")
    again = outbox_message_record(kind=NOTIFICATION_EMAIL, payload={"notification_id": 2}, key="k")

    assert again.pk == first.pk
    assert again.payload == {"notification_id": 1}
    assert OutboxMessage.objects.count() == 1


def test_an_unknown_kind_is_refused_when_recorded():
    with pytest.raises(LookupError, match="no outbox handler"):
        outbox_message_record(kind="nobody.handles_this", payload={})

    assert OutboxMessage.objects.count() == 0


def test_beat_runs_the_dispatcher_every_15_seconds(settings):
    schedule = build_beat_schedule(settings.PERIODIC_TASKS)

    assert schedule["core-outbox-dispatch"] == {
        "task": "apps.core.tasks.outbox_dispatch_task",
        "schedule": 15.0,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_another_worker_is_delivering_is_skipped(shopper, broker_down):
    # given: a pending message, locked by "another worker" on its own connection
    notification_send(user=shopper, title="订单已发货")
    message = OutboxMessage.objects.get()
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            OutboxMessage.objects.select_for_update().get(pk=message.pk)
            locked.set()
            release.wait(10)
        connections.close_all()

    worker = threading.Thread(target=other_worker)
    worker.start()
    assert locked.wait(10)

    # when / then: this worker skips it at once instead of waiting or sending it twice
    try:
        assert outbox_message_deliver(message_id=message.pk) is False
        assert mail.outbox == []
    finally:
        release.set()
        worker.join()
    assert outbox_message_deliver(message_id=message.pk) is True
    assert len(mail.outbox) == 1


def test_a_superuser_sees_pending_messages_and_delivers_them_now(client, shopper, broker_down):
    notification_send(user=shopper, title="订单已发货")
    message = OutboxMessage.objects.get()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get("/admin/core/outboxmessage/?delivered_at__isempty=1")
    response = client.post(
        "/admin/core/outboxmessage/",
        {"action": "deliver_now", "_selected_action": [message.pk]},
        follow=True,
    )

    assert listing.status_code == 200
    assert NOTIFICATION_EMAIL in listing.content.decode()
    assert "已投递 1 条，0 条仍待重试。" in response.content.decode()
    assert len(mail.outbox) == 1


def test_merchants_and_staff_cannot_open_the_outbox(client, merchant_a, staff):
    for user in (merchant_a, staff):
        client.force_login(user)
        assert client.get("/admin/core/outboxmessage/").status_code == 403


def test_the_command_delivers_pending_messages_now(shopper, broker_down):
    from io import StringIO

    from django.core.management import call_command

    notification_send(user=shopper, title="订单已发货")  # not yet due: the fast path's grace
    out = StringIO()

    call_command("outbox_dispatch", stdout=out)
    call_command("outbox_dispatch", "--all", stdout=out)

    assert out.getvalue() == "delivered 0, still pending 1\ndelivered 1, still pending 0\n"
    assert len(mail.outbox) == 1
