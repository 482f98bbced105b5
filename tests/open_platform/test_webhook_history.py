"""The history of webhooks out: every move of a delivery and every pause and resume of a
subscription is a row through core.transitions (each failed attempt that will be retried an
event row too), illegal moves are refused, and two deliveries failing at once pause their
subscription once."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import Notification
from apps.core import outbox
from apps.core.errors import ApplicationError
from apps.core.transitions import transition
from apps.open_platform.errors import OpenPlatformErrorCode
from apps.open_platform.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryEvent,
    WebhookSubscription,
    WebhookSubscriptionEvent,
)
from apps.open_platform.services.webhooks import (
    subscription_create,
    subscription_pause,
    subscription_resume,
    webhook_delivery_attempt,
)
from apps.orders.services.lifecycle import payment_order_mark_paid
from tests.open_platform.conftest import bearer, deliver_due, issue
from tests.orders.conftest import fill_cart, make_sku, place

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
Sub = WebhookSubscription.Status


def _pay(shopper, address, store, key="history-key-0001"):
    fill_cart(shopper, (make_sku(store, price="20.00", stock=50), 1))
    payment_order_mark_paid(payment_order=place(shopper, address, key=key), paid_at=timezone.now())


def history(delivery) -> list[tuple]:
    return list(
        delivery.events.order_by("pk").values_list("kind", "from_status", "to_status", "payload")
    )


def subscription_history(subscription) -> list[tuple]:
    return list(
        subscription.status_changes.order_by("pk").values_list(
            "kind", "from_status", "to_status", "actor", "reason"
        )
    )


@pytest.fixture
def subscribed(app_a, receiver):
    return subscription_create(actor=None, app=app_a, url=receiver.url, events=["order.paid"])


def test_a_delivery_records_its_creation_and_its_success(
    subscribed, receiver, shopper, address, store_a
):
    _pay(shopper, address, store_a)
    delivery = WebhookDelivery.objects.get()
    event_id = str(delivery.event.event_id)

    deliver_due()

    delivery.refresh_from_db()
    assert delivery.delivered_at is not None  # stamped by the move (STATUS_TIMESTAMPS)
    assert history(delivery) == [
        ("created", "", "pending", {"event_id": event_id, "type": "order.paid"}),
        ("delivered", "pending", "succeeded", {"attempt": 1, "status_code": 200}),
    ]
    assert not subscribed.status_changes.exists()


def test_each_failed_attempt_is_a_retry_row_with_its_back_off(
    subscribed, receiver, shopper, address, store_a
):
    receiver.answers.extend([500, 503])
    _pay(shopper, address, store_a)

    deliver_due()
    deliver_due(force=True)
    deliver_due(force=True)

    delivery = WebhookDelivery.objects.get()
    assert [row[:3] for row in history(delivery)] == [
        ("created", "", "pending"),
        ("retry", "pending", "pending"),
        ("retry", "pending", "pending"),
        ("delivered", "pending", "succeeded"),
    ]
    retries = delivery.events.filter(kind="retry").order_by("pk")
    assert [(e.payload, e.reason) for e in retries] == [
        ({"attempt": 1, "status_code": 500, "retry_in_seconds": 60}, "接收方返回 500。"),
        ({"attempt": 2, "status_code": 503, "retry_in_seconds": 120}, "接收方返回 503。"),
    ]


def test_giving_up_is_a_move_to_failed_and_pauses_the_subscription_once(
    subscribed, receiver, shopper, address, store_a, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.always = 502
    _pay(shopper, address, store_a)

    deliver_due()
    deliver_due(force=True)

    delivery = WebhookDelivery.objects.get()
    assert [row[:3] for row in history(delivery)] == [
        ("created", "", "pending"),
        ("retry", "pending", "pending"),
        ("gave_up", "pending", "failed"),
    ]
    subscribed.refresh_from_db()
    assert (subscribed.status, subscribed.paused_reason) == (
        Sub.PAUSED,
        "一次投递连续 2 次失败，已放弃。",
    )
    assert subscribed.paused_at is not None  # stamped by the move
    assert subscription_history(subscribed) == [
        ("paused", "active", "paused", None, "一次投递连续 2 次失败，已放弃。")
    ]


def test_repeated_failures_pause_then_queued_and_new_deliveries_are_held_with_their_rows(
    subscribed, receiver, shopper, address, store_a, settings
):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 2
    receiver.always = 500
    for number in range(3):
        _pay(shopper, address, store_a, key=f"history-key-{number:04d}")

    deliver_due()  # two fail and the second pauses; the third finds it paused
    _pay(shopper, address, store_a, key="history-key-0099")

    first, second, third, new = WebhookDelivery.objects.order_by("pk")
    assert [row[:3] for row in history(first)] == [
        ("created", "", "pending"),
        ("retry", "pending", "pending"),
    ]
    assert [row[:3] for row in history(second)] == [
        ("created", "", "pending"),
        ("held", "pending", "held"),
    ]
    assert second.events.get(kind="held").reason == "连续 2 次投递失败。"
    assert [row[:3] for row in history(third)] == [
        ("created", "", "pending"),
        ("held", "pending", "held"),
    ]
    assert third.events.get(kind="held").reason == "订阅已暂停"
    assert [row[:3] for row in history(new)] == [("created", "", "held")]
    assert subscription_history(subscribed) == [
        ("paused", "active", "paused", None, "连续 2 次投递失败。")
    ]
    assert subscribed.status_changes.get().payload == {"consecutive_failures": 2}


def test_resuming_records_the_resume_and_each_requeued_delivery(
    subscribed, receiver, shopper, address, store_a, merchant_a, settings
):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    receiver.answers.append(500)
    _pay(shopper, address, store_a)
    deliver_due()
    client = APIClient()
    client.force_authenticate(merchant_a)

    response = client.post(f"/api/v1/open/webhooks/{subscribed.pk}/resume/")
    deliver_due()

    assert response.json() == {"requeued": 1}
    subscribed.refresh_from_db()
    assert (subscribed.status, subscribed.paused_at, subscribed.paused_reason) == (
        Sub.ACTIVE,
        None,
        "",
    )
    assert subscription_history(subscribed) == [
        ("paused", "active", "paused", None, "连续 1 次投递失败。"),
        ("resumed", "paused", "active", merchant_a.pk, ""),
    ]
    delivery = WebhookDelivery.objects.get()
    assert [row[:3] for row in history(delivery)] == [
        ("created", "", "pending"),
        ("held", "pending", "held"),
        ("requeued", "held", "pending"),
        ("delivered", "pending", "succeeded"),
    ]
    requeued = delivery.events.get(kind="requeued")
    assert (requeued.actor, requeued.payload) == (merchant_a, {"round": 1})
    assert (delivery.round, delivery.attempts) == (1, 1)


def test_a_redelivery_by_hand_is_a_move_back_to_pending_by_its_actor(
    subscribed, receiver, shopper, address, store_a, app_a
):
    _pay(shopper, address, store_a)
    deliver_due()
    delivery = WebhookDelivery.objects.get()
    raw = issue(app_a, app_a.acting_user, scopes=["webhooks:manage"])

    response = APIClient().post(
        f"/api/v1/open/webhook-deliveries/{delivery.pk}/redeliver/", **bearer(raw)
    )
    deliver_due()

    assert response.status_code == 202
    assert (response.json()["status"], response.json()["status_label"]) == ("pending", "待投递")
    assert (response.json()["event_type"], response.json()["event_type_label"]) == (
        "order.paid",
        "订单已支付",
    )
    assert [row[:3] for row in history(delivery)] == [
        ("created", "", "pending"),
        ("delivered", "pending", "succeeded"),
        ("redelivered", "succeeded", "pending"),
        ("delivered", "pending", "succeeded"),
    ]
    redelivered = delivery.events.get(kind="redelivered")
    assert (redelivered.actor, redelivered.payload) == (None, {"round": 1})  # the app itself
    assert len(receiver.requests) == 2


def test_illegal_moves_are_refused_and_write_nothing(
    subscribed, receiver, shopper, address, store_a, merchant_a
):
    _pay(shopper, address, store_a)
    delivery = WebhookDelivery.objects.get()
    client = APIClient()
    client.force_authenticate(merchant_a)

    # a queued delivery cannot be redelivered; an active subscription with nothing held
    # cannot be resumed
    redeliver = client.post(f"/api/v1/open/webhook-deliveries/{delivery.pk}/redeliver/")
    resume = client.post(f"/api/v1/open/webhooks/{subscribed.pk}/resume/")

    assert redeliver.status_code == 409
    assert (resume.status_code, resume.json()["code"]) == (
        409,
        OpenPlatformErrorCode.INVALID_TRANSITION,
    )
    assert "不能从「正常」变为「正常」" in resume.json()["message"]
    assert [row[0] for row in history(delivery)] == ["created"]
    assert not subscribed.status_changes.exists()

    # a delivered one cannot be given up; the table refuses it with the app's own code
    deliver_due()
    delivery.refresh_from_db()
    with pytest.raises(ApplicationError) as refused:
        transition(delivery, Status.FAILED)
    assert (refused.value.code, refused.value.status_code) == (
        OpenPlatformErrorCode.INVALID_TRANSITION,
        409,
    )
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED

    # pausing a paused subscription is no second move
    assert subscription_pause(subscription=subscribed, reason="手工暂停") is True
    assert subscription_pause(subscription=subscribed, reason="又一次") is False
    assert [row[0] for row in subscription_history(subscribed)] == ["paused"]


def test_the_held_deliveries_of_a_disabled_app_are_sent_by_resuming_an_active_subscription(
    subscribed, app_a, receiver, shopper, address, store_a, merchant_a
):
    _pay(shopper, address, store_a)
    app_a.is_active = False  # disabled after the event was written, before it was sent
    app_a.save(update_fields=["is_active"])
    deliver_due()
    app_a.is_active = True
    app_a.save(update_fields=["is_active"])

    assert subscription_resume(actor=merchant_a, subscription=subscribed) == 1
    deliver_due()

    delivery = WebhookDelivery.objects.get()
    assert [row[:3] for row in history(delivery)] == [
        ("created", "", "pending"),
        ("held", "pending", "held"),
        ("requeued", "held", "pending"),
        ("delivered", "pending", "succeeded"),
    ]
    assert delivery.events.get(kind="held").reason == "应用已停用"
    assert not subscribed.status_changes.exists()  # it never paused


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_failing_at_once_pause_the_subscription_once(
    subscribed, receiver, shopper, address, store_a, merchant_a, settings, monkeypatch
):
    # given two queued deliveries of one subscription (committed, the after-commit fast path
    # off so that they wait for the workers below), and a receiver that fails
    monkeypatch.setattr(outbox, "_queue_delivery", lambda message_id: None)
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    receiver.always = 500
    for number in range(2):
        _pay(shopper, address, store_a, key=f"history-key-{number:04d}")
    ids = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))
    barrier, errors = threading.Barrier(2), []

    def attempt(delivery_id):
        try:
            barrier.wait()
            with transaction.atomic():
                webhook_delivery_attempt(delivery_id=delivery_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    # when two workers send them at the same moment
    threads = [threading.Thread(target=attempt, args=(pk,)) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every failure counted (a worker that read the pause first sends nothing), both
    # deliveries are held, and the pause happened once, with one notice
    assert errors == []
    subscribed.refresh_from_db()
    assert subscribed.status == Sub.PAUSED
    assert subscribed.consecutive_failures == WebhookAttempt.objects.count() >= 1
    assert WebhookSubscriptionEvent.objects.filter(subscription=subscribed).count() == 1
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.HELD}
    assert WebhookDeliveryEvent.objects.filter(kind="held").count() == 2
    assert Notification.objects.filter(title__startswith="事件订阅已暂停").count() == 1
