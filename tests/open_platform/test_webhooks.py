"""Webhooks out, against a real HTTP receiver on 127.0.0.1: events written with the change
(a rolled-back change sends nothing), HMAC signatures with a timestamp, retries with back-off,
pausing after failures and the owner's notice, redelivery by hand, SSRF refusal, and the
subscription API's isolation between apps."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import Notification
from apps.core.errors import ApplicationError
from apps.core.models import OutboxMessage
from apps.open_platform.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from apps.open_platform.services.tokens import app_register
from apps.open_platform.services.webhooks import (
    retry_delay,
    subscription_create,
    webhook_signature_verify,
)
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.traceability.services.lots import lot_recall
from tests.logistics.conftest import carriers_ensure
from tests.open_platform.conftest import bearer, deliver_due, issue, webhook_messages
from tests.orders.conftest import fill_cart, make_lot, make_sku, place

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def _place(shopper, address, store, key="webhook-key-0001"):
    sku = make_sku(store, price="20.00", stock=50)
    fill_cart(shopper, (sku, 1))
    return place(shopper, address, key=key)


def _pay(payment_order):
    return payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())


@pytest.fixture
def subscribed(app_a, receiver):
    return subscription_create(
        actor=None, app=app_a, url=receiver.url, events=["order.paid", "shipment.updated"]
    )


# --- written with the change ----------------------------------------------------------------


def test_a_rolled_back_payment_emits_nothing(subscribed, shopper, address, store_a):
    payment_order = _place(shopper, address, store_a)
    seen_inside = []

    def pay_then_fail():
        with transaction.atomic():
            _pay(payment_order)
            seen_inside.append(WebhookEvent.objects.count())
            raise RuntimeError("the payment's transaction fails after the order was paid")

    with pytest.raises(RuntimeError):
        pay_then_fail()

    assert seen_inside == [1]  # written inside the transaction ...
    assert WebhookEvent.objects.count() == 0  # ... and gone with it
    assert WebhookDelivery.objects.count() == 0
    assert not webhook_messages().exists()


def test_a_committed_payment_queues_one_delivery_per_subscription(
    subscribed, shopper, address, store_a
):
    _pay(_place(shopper, address, store_a))

    event = WebhookEvent.objects.get()
    assert event.type == "order.paid"
    assert event.store_id == store_a.pk
    assert event.payload["order"]["status"] == "paid"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.subscription, delivery.status) == (subscribed, Status.PENDING)
    assert webhook_messages().get().payload == {"delivery_id": delivery.pk}


def test_another_stores_events_do_not_reach_a_store_app_but_reach_platform_apps(
    subscribed, shopper, address, store_b, staff, receiver
):
    platform = app_register(
        actor=staff, name="县大数据中心", store=None, acting_user=staff, contact_name="王"
    )
    platform_subscription = subscription_create(
        actor=staff, app=platform, url=receiver.url, events=["order.paid"]
    )

    _pay(_place(shopper, address, store_b))

    assert list(WebhookDelivery.objects.values_list("subscription", flat=True)) == [
        platform_subscription.pk
    ]


# --- signed delivery, retries ---------------------------------------------------------------


def test_delivery_is_signed_with_a_timestamp_and_logged(
    subscribed, receiver, shopper, address, store_a
):
    _pay(_place(shopper, address, store_a))

    assert deliver_due() == 1

    (request,) = receiver.requests
    event = WebhookEvent.objects.get()
    headers = request.headers
    assert headers["X-Tianjian-Event-Id"] == str(event.event_id)
    assert headers["X-Tianjian-Event"] == "order.paid"
    assert webhook_signature_verify(
        secret=subscribed.secret,
        timestamp=headers["X-Tianjian-Timestamp"],
        body=request.body,
        signature=headers["X-Tianjian-Signature"],
    )
    # The timestamp is part of what is signed: the same body under another time fails.
    assert not webhook_signature_verify(
        secret=subscribed.secret,
        timestamp=str(int(headers["X-Tianjian-Timestamp"]) - 1),
        body=request.body,
        signature=headers["X-Tianjian-Signature"],
    )
    assert request.json["id"] == str(event.event_id)
    assert request.json["data"]["order"]["number"] == event.payload["order"]["number"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        Status.SUCCEEDED,
        1,
        200,
    )
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200
    assert attempt.response_body == "ok"
    assert json.loads(attempt.request_body)["id"] == str(event.event_id)
    assert "X-Tianjian-Signature" not in attempt.request_headers  # never stored


def test_a_failed_attempt_is_retried_after_its_back_off_with_the_same_event_id(
    subscribed, receiver, shopper, address, store_a, settings
):
    receiver.answers.extend([500, 503])
    _pay(_place(shopper, address, store_a))

    before = timezone.now()
    assert deliver_due() == 0
    message = webhook_messages().get()
    # The webhook back-off (60 s after the first failure), not the outbox default.
    assert message.next_attempt_at >= before + timedelta(seconds=60)
    assert message.next_attempt_at <= timezone.now() + timedelta(seconds=61)
    assert deliver_due() == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1

    assert deliver_due(force=True) == 0  # 503
    assert deliver_due(force=True) == 1  # 200

    ids = {request.headers["X-Tianjian-Event-Id"] for request in receiver.requests}
    assert len(receiver.requests) == 3
    assert len(ids) == 1
    assert list(WebhookAttempt.objects.order_by("pk").values_list("status_code", flat=True)) == [
        500,
        503,
        200,
    ]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.SUCCEEDED, 3)
    assert WebhookSubscription.objects.get().consecutive_failures == 0


def test_the_default_back_off_spans_more_than_a_day():
    from django.conf import settings

    waits = sum(
        (retry_delay(attempt) for attempt in range(1, settings.WEBHOOK_MAX_ATTEMPTS)),
        timedelta(),
    )
    assert retry_delay(1) == timedelta(seconds=60)
    assert retry_delay(2) == timedelta(seconds=120)
    assert waits >= timedelta(hours=24)


def test_an_unreachable_receiver_is_a_failed_attempt_with_the_error(
    app_a, shopper, address, store_a
):
    from tests.conftest import closed_port

    subscription_create(
        actor=None, app=app_a, url=f"http://127.0.0.1:{closed_port()}/x", events=["order.paid"]
    )
    _pay(_place(shopper, address, store_a))

    assert deliver_due() == 0

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "ConnectionRefused" in attempt.error
    assert WebhookDelivery.objects.get().status == Status.PENDING


# --- pause, notice, resume, redeliver -------------------------------------------------------


def test_repeated_failures_pause_the_subscription_notify_the_owner_and_hold_new_events(
    subscribed, receiver, shopper, address, store_a, merchant_a, settings
):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 3
    receiver.always = 500
    for number in range(3):
        _pay(_place(shopper, address, store_a, key=f"webhook-key-{number:04d}"))

    deliver_due()

    subscribed.refresh_from_db()
    assert subscribed.is_paused
    assert subscribed.consecutive_failures == 3
    assert len(receiver.requests) == 3
    notice = Notification.objects.get(user=merchant_a, title__startswith="事件订阅已暂停")
    assert subscribed.url in notice.body
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [
        Status.HELD,
        Status.PENDING,
        Status.PENDING,
    ]
    # Still queued ones are held when their turn comes; new events are held at once.
    deliver_due(force=True)
    _pay(_place(shopper, address, store_a, key="webhook-key-0099"))
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.HELD}
    assert len(receiver.requests) == 3


def test_resuming_over_the_api_sends_the_held_deliveries(
    subscribed, receiver, shopper, address, store_a, app_a, settings
):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    receiver.answers.append(500)
    _pay(_place(shopper, address, store_a))
    deliver_due()
    subscribed.refresh_from_db()
    assert subscribed.is_paused
    raw = issue(app_a, app_a.acting_user, scopes=["webhooks:manage"])
    client = APIClient()
    delivery = WebhookDelivery.objects.get()

    refused = client.post(
        f"/api/v1/open/webhook-deliveries/{delivery.pk}/redeliver/", **bearer(raw)
    )
    resumed = client.post(f"/api/v1/open/webhooks/{subscribed.pk}/resume/", **bearer(raw))
    deliver_due()

    assert refused.status_code == 409
    assert refused.json()["code"] == "open_platform_subscription_paused"
    assert resumed.status_code == 200
    assert resumed.json() == {"requeued": 1}
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert [r.headers["X-Tianjian-Event-Id"] for r in receiver.requests] == [
        str(delivery.event.event_id)
    ] * 2


def test_a_delivery_is_given_up_after_its_attempts_and_pauses_the_subscription(
    subscribed, receiver, shopper, address, store_a, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.always = 502
    _pay(_place(shopper, address, store_a))

    deliver_due()
    deliver_due(force=True)
    deliver_due(force=True)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 2)
    assert len(receiver.requests) == 2
    assert WebhookSubscription.objects.get().is_paused
    assert not webhook_messages().filter(delivered_at__isnull=True).exists()


def test_the_owner_redelivers_a_delivered_event_by_hand(
    subscribed, receiver, shopper, address, store_a, merchant_a
):
    _pay(_place(shopper, address, store_a))
    deliver_due()
    delivery = WebhookDelivery.objects.get()
    client = APIClient()
    client.force_authenticate(merchant_a)

    response = client.post(f"/api/v1/open/webhook-deliveries/{delivery.pk}/redeliver/")
    deliver_due()

    assert response.status_code == 202
    assert len(receiver.requests) == 2
    assert (
        receiver.requests[0].headers["X-Tianjian-Event-Id"]
        == (receiver.requests[1].headers["X-Tianjian-Event-Id"])
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.round) == (Status.SUCCEEDED, 1)


def test_another_merchant_cannot_redeliver_or_see_a_subscription(
    subscribed, receiver, shopper, address, store_a, merchant_b, app_b
):
    _pay(_place(shopper, address, store_a))
    deliver_due()
    delivery = WebhookDelivery.objects.get()
    as_merchant = APIClient()
    as_merchant.force_authenticate(merchant_b)
    raw_b = issue(app_b, merchant_b, scopes=["webhooks:manage"])

    redeliver = as_merchant.post(f"/api/v1/open/webhook-deliveries/{delivery.pk}/redeliver/")
    detail = APIClient().get(f"/api/v1/open/webhooks/{subscribed.pk}/", **bearer(raw_b))
    listing = APIClient().get("/api/v1/open/webhooks/", **bearer(raw_b))

    assert redeliver.status_code == 404
    assert detail.status_code == 404
    assert listing.json()["results"] == []
    assert len(receiver.requests) == 1


# --- subscriptions over the API, SSRF -------------------------------------------------------


def test_an_app_subscribes_with_its_token_and_gets_the_secret_once(app_a, receiver):
    raw = issue(app_a, app_a.acting_user, scopes=["webhooks:manage"])
    client = APIClient()

    created = client.post(
        "/api/v1/open/webhooks/",
        {"url": receiver.url, "events": ["order.paid", "lot.recalled"]},
        format="json",
        **bearer(raw),
    )
    shown = client.get(f"/api/v1/open/webhooks/{created.json()['id']}/", **bearer(raw))

    assert created.status_code == 201
    subscription = WebhookSubscription.objects.get()
    assert created.json()["secret"] == subscription.secret
    assert subscription.app == app_a
    assert subscription.events == ["order.paid", "lot.recalled"]
    assert "secret" not in shown.json()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://user:pw@example.com/hook",
    ],
)
def test_targets_on_private_or_loopback_addresses_are_refused(app_a, settings, url):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    raw = issue(app_a, app_a.acting_user, scopes=["webhooks:manage"])

    response = APIClient().post(
        "/api/v1/open/webhooks/",
        {"url": url, "events": ["order.paid"]},
        format="json",
        **bearer(raw),
    )

    assert response.status_code == 400
    assert response.json()["code"] in ("open_platform_url_refused", "invalid")
    assert "url" in response.json()["fields"]
    assert not WebhookSubscription.objects.exists()


def test_the_target_is_checked_again_at_delivery(
    subscribed, receiver, shopper, address, store_a, settings
):
    _pay(_place(shopper, address, store_a))
    settings.WEBHOOK_ALLOW_LOOPBACK = False  # as if its name now resolved to 127.0.0.1

    deliver_due()

    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "不能作为接收地址" in attempt.error


def test_a_token_without_webhooks_manage_cannot_subscribe(app_a, receiver):
    raw = issue(app_a, app_a.acting_user, scopes=["orders:read"])

    response = APIClient().post(
        "/api/v1/open/webhooks/",
        {"url": receiver.url, "events": ["order.paid"]},
        format="json",
        **bearer(raw),
    )

    assert response.status_code == 403
    assert not WebhookSubscription.objects.exists()


def test_service_refuses_unknown_events(app_a, receiver):
    with pytest.raises(ApplicationError) as refused:
        subscription_create(actor=None, app=app_a, url=receiver.url, events=["order.eaten"])

    assert refused.value.code == "open_platform_event_unknown"


# --- the other sending apps -----------------------------------------------------------------


def test_shipping_and_recalling_announce_shipment_and_lot_events(
    app_a, receiver, shopper, address, store_a, merchant_a
):
    from apps.logistics.services.shipments import shipment_create

    subscription_create(
        actor=None, app=app_a, url=receiver.url, events=["shipment.updated", "lot.recalled"]
    )
    sku = make_sku(store_a, price="20.00", stock=50)
    lot = make_lot(store_a, sku, "WC-2026-001")
    fill_cart(shopper, (sku, 1))
    order = _pay(place(shopper, address, key="webhook-ship-0001")).orders.get()
    carriers_ensure()

    shipment_create(
        order=order, actor=merchant_a, carrier_code="sf", tracking_number="SF000000000001"
    )
    lot_recall(lot=lot, actor=merchant_a, reason="农残复检超标")
    # The recall announces itself through the outbox after its commit (traceability).
    for message in OutboxMessage.objects.filter(kind="traceability.lot_recalled"):
        from apps.core.outbox import outbox_message_deliver

        outbox_message_deliver(message_id=message.pk)
    deliver_due()

    types = sorted(request.json["type"] for request in receiver.requests)
    assert types == ["lot.recalled", "shipment.updated"]
    recalled = next(r.json for r in receiver.requests if r.json["type"] == "lot.recalled")
    assert recalled["data"]["lots"][0]["lot_number"] == "WC-2026-001"
    assert recalled["data"]["reason"] == "农残复检超标"


def test_an_after_sale_announces_its_creation_and_each_move(
    app_a, receiver, shopper, address, store_a, merchant_a
):
    from apps.aftersales.services.aftersales import aftersale_create, aftersale_reject

    subscription_create(actor=None, app=app_a, url=receiver.url, events=["aftersale.updated"])
    order = _pay(_place(shopper, address, store_a)).orders.get()
    line = order.lines.get()

    aftersale = aftersale_create(
        buyer=shopper,
        order=order,
        type="refund_only",
        reason="quality",
        lines={line.pk: 1},
        reason_text="米里有虫",
    )
    aftersale_reject(aftersale=aftersale, actor=merchant_a, reason="照片看不出问题")
    deliver_due()

    moves = [
        (r.json["data"]["aftersale"]["previous_status"], r.json["data"]["aftersale"]["status"])
        for r in sorted(receiver.requests, key=lambda r: int(r.headers["X-Tianjian-Delivery"]))
    ]
    assert moves == [("", "requested"), ("requested", "rejected")]
    assert {r.json["data"]["aftersale"]["number"] for r in receiver.requests} == {aftersale.number}


# --- back office ----------------------------------------------------------------------------


def test_admin_refuses_a_private_target_on_the_form(client, app_a, merchant_a, settings):
    from django.urls import reverse

    settings.WEBHOOK_ALLOW_LOOPBACK = False
    client.force_login(merchant_a)

    response = client.post(
        reverse("admin:open_platform_webhooksubscription_add"),
        {"app": app_a.pk, "url": "http://169.254.169.254/latest/", "events": ["order.paid"]},
    )

    assert response.status_code == 200
    assert "不能作为接收地址" in response.text
    assert not WebhookSubscription.objects.exists()


def test_admin_redeliver_action_requeues_the_delivery(
    client, subscribed, receiver, shopper, address, store_a, merchant_a
):
    from django.urls import reverse

    _pay(_place(shopper, address, store_a))
    deliver_due()
    delivery = WebhookDelivery.objects.get()
    client.force_login(merchant_a)

    client.post(
        reverse("admin:open_platform_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    deliver_due()

    assert len(receiver.requests) == 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.round) == (Status.SUCCEEDED, 1)


def test_admin_subscription_list_names_the_events_by_label(client, subscribed, merchant_a):
    from django.urls import reverse

    client.force_login(merchant_a)

    response = client.get(reverse("admin:open_platform_webhooksubscription_changelist"))

    assert response.status_code == 200
    labels = subscribed.event_labels()
    assert labels == "订单已支付、包裹状态变化"
    assert labels in response.text
    assert "order.paid" not in response.text


def test_admin_subscription_and_app_pages_name_events_and_scopes_by_label(
    client, subscribed, app_a, merchant_a
):
    from django.urls import reverse

    from apps.open_platform.models import AppToken

    issue(app_a, app_a.acting_user, scopes=["webhooks:manage"])
    token = AppToken.objects.get(app=app_a)
    client.force_login(merchant_a)

    pages = [
        client.get(reverse("admin:open_platform_webhooksubscription_change", args=[subscribed.pk])),
        client.get(reverse("admin:open_platform_app_change", args=[app_a.pk])),
        client.get(reverse("admin:open_platform_apptoken_change", args=[token.pk])),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert "订单已支付、包裹状态变化" in pages[0].text
    assert "order.paid" not in pages[0].text
    for page in pages[1:]:
        assert token.scope_labels() in page.text
        assert "webhooks:manage" not in page.text
