"""Webhooks out: subscriptions, events written with the change, signed deliveries with retries.

    change (order paid, …) ──signal, same transaction──▶ webhook_event_record
        WebhookEvent + one WebhookDelivery and one outbox message per subscription
    outbox (apps.core.outbox, after the commit, Celery) ──▶ webhook_delivery_attempt
        POST, signed; WebhookAttempt row; 2xx: done; else RetryLater(back-off)

Because the event, its deliveries and their outbox messages are rows of the change's own
transaction, a change that rolls back announces nothing, and one that commits is announced even
if Redis or the worker is down at that moment (the outbox dispatcher picks it up).

Signature: `X-Tianjian-Signature: sha256=<hex>` is HMAC-SHA256 with the subscription's secret
over `<X-Tianjian-Timestamp>.<body>`; receivers recompute it and refuse old timestamps
(replays). `X-Tianjian-Event-Id` is the same on every attempt and redelivery of an event:
receivers deduplicate on it.

Back-off: WEBHOOK_RETRY_BASE_SECONDS doubling per failed attempt up to
WEBHOOK_RETRY_MAX_SECONDS; after WEBHOOK_MAX_ATTEMPTS the delivery is given up (the defaults
span 26.5 h of waiting). WEBHOOK_PAUSE_AFTER_FAILURES failed attempts in a row, or a given-up
delivery, pause the subscription and notify its owners; a paused subscription's deliveries are
held until staff or an owner resumes it (held ones are then sent) or redelivers one by hand.

History: a delivery's moves (pending → succeeded | failed | held, and back to pending when it
is queued again) and a subscription's pauses and resumes go through core.transitions, one
WebhookDeliveryEvent / WebhookSubscriptionEvent row each; a failed attempt that will be
retried is a "retry" event row of its delivery (no move). Concurrent workers stay safe as
before: a delivery is moved under its row lock, the failure count rises by a guarded
UPDATE, and a pause locks the subscription and moves it only from active, so two deliveries
failing at once pause it (and notify its owners) once.
"""

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.services import notification_send
from apps.core.errors import ApplicationError
from apps.core.outbox import RetryLater, outbox_message_record
from apps.core.transitions import event_record, transition, transition_check, transition_many
from apps.open_platform import webhook_http
from apps.open_platform.errors import OpenPlatformErrorCode as Code
from apps.open_platform.models import (
    App,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from apps.open_platform.scopes import EventType
from apps.open_platform.selectors import app_may_manage, subscriptions_for_event
from apps.stores.models import StoreMember

WEBHOOK_DELIVERY = "open_platform.webhook_delivery"  # the outbox kind
USER_AGENT = "Tianjian-Webhooks/1.0"


def _refuse(message: str, code: str, *, field: str | None = None, status: int = 400):
    return ApplicationError(
        message, code=code, fields={field: [message]} if field else None, status_code=status
    )


def webhook_url_check(url: str) -> None:
    try:
        webhook_http.target_resolve(url)
    except webhook_http.UrlRefused as exc:
        raise _refuse(str(exc), Code.URL_REFUSED, field="url") from exc


def _events_clean(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EventType.values))
    if unknown or not events:
        message = (
            _("未知的事件类型：%(events)s。") % {"events": "、".join(unknown)}
            if unknown
            else _("请至少订阅一种事件。")
        )
        raise _refuse(message, Code.EVENT_UNKNOWN, field="events")
    return [event for event in EventType.values if event in events]


def subscription_check(*, actor: User | None, app: App, url: str, events: list[str]) -> list[str]:
    """Refuse what subscription_create would refuse; returns the events in canonical order."""
    if actor is not None and not app_may_manage(user=actor, app=app):
        raise _refuse(_("应用不存在。"), Code.NOT_FOUND, field="app", status=404)
    events = _events_clean(events)
    webhook_url_check(url)
    return events


@transaction.atomic
def subscription_create(
    *, actor: User | None, app: App, url: str, events: list[str]
) -> WebhookSubscription:
    """Subscribe `app` to `events` at `url` (checked now and at every delivery).

    `actor` None: the app itself, through its own token (the API checked the token's app).
    """
    events = subscription_check(actor=actor, app=app, url=url, events=events)
    subscription = WebhookSubscription(
        app=app, url=url, events=events, secret=secrets.token_hex(32)
    )
    subscription.full_clean()
    subscription.save()
    return subscription


# --- events -------------------------------------------------------------------------------


def webhook_event_record(
    *,
    type: str,
    store_id: int | None,
    payload: dict[str, Any],
    key: str | None = None,
    subscriptions: list[WebhookSubscription] | None = None,
) -> WebhookEvent | None:
    """Record an event and queue it to every subscription that hears it, in the caller's
    transaction. Nothing is written when no subscription hears it, or when `key` was recorded
    before (a fact announced twice). A caller recording many events of one type and store
    passes `subscriptions` (subscriptions_for_event) once instead of it being read per event."""
    if subscriptions is None:
        subscriptions = subscriptions_for_event(event_type=type, store_id=store_id)
    if not subscriptions:
        return None
    if key and WebhookEvent.objects.filter(key=key).exists():
        return None
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    try:
        # A savepoint: a concurrent writer of the same key must not break the caller's change.
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                type=type, store_id=store_id, payload=payload, key=key
            )
    except IntegrityError:
        return None
    for subscription in subscriptions:
        status = (
            WebhookDelivery.Status.HELD
            if subscription.is_paused
            else WebhookDelivery.Status.PENDING
        )
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event=event, status=status
        )
        event_record(
            delivery,
            kind="created",
            from_status="",
            reason=_("订阅暂停，暂缓投递") if status == WebhookDelivery.Status.HELD else "",
            payload={"event_id": str(event.event_id), "type": type},
        )
        if status == WebhookDelivery.Status.PENDING:
            _delivery_queue(delivery)
    return event


def _delivery_queue(delivery: WebhookDelivery) -> None:
    _delivery_queue_round(delivery.pk, delivery.round)


def _delivery_queue_round(delivery_id: int, round: int) -> None:
    outbox_message_record(
        kind=WEBHOOK_DELIVERY,
        payload={"delivery_id": delivery_id},
        key=f"{WEBHOOK_DELIVERY}:{delivery_id}:{round}",
    )


# --- delivery -----------------------------------------------------------------------------


def webhook_body(event: WebhookEvent) -> bytes:
    document = {
        "id": str(event.event_id),
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "store_id": event.store_id,
        "data": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook_signature_verify(
    *, secret: str, timestamp: str, body: bytes, signature: str, tolerance: int | None = None
) -> bool:
    """What a receiver does (documented for integrators; the tests and bench use it)."""
    tolerance = settings.WEBHOOK_SIGNATURE_TOLERANCE_SECONDS if tolerance is None else tolerance
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return age <= tolerance and hmac.compare_digest(expected, signature)


def retry_delay(attempts: int) -> timedelta:
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(
        seconds=min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS)
    )


def webhook_delivery_attempt(*, delivery_id: int) -> RetryLater | None:
    """Send one delivery once (the outbox handler). Returns RetryLater to be called again."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("event", "subscription", "subscription__app")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None  # sent, given up, held or deleted meanwhile: nothing to do
    subscription = delivery.subscription
    if subscription.is_paused or not subscription.app.is_active:
        transition(
            delivery,
            WebhookDelivery.Status.HELD,
            kind="held",
            reason=_("订阅已暂停") if subscription.is_paused else _("应用已停用"),
        )
        return None

    body = webhook_body(delivery.event)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Tianjian-Event": delivery.event.type,
        "X-Tianjian-Event-Id": str(delivery.event.event_id),
        "X-Tianjian-Delivery": str(delivery.pk),
        "X-Tianjian-Timestamp": timestamp,
        "X-Tianjian-Signature": webhook_signature(
            secret=subscription.secret, timestamp=timestamp, body=body
        ),
    }
    answer = webhook_http.post(subscription.url, body=body, headers=headers)
    WebhookAttempt.objects.create(
        delivery=delivery,
        url=subscription.url[:500],
        request_headers={k: v for k, v in headers.items() if k != "X-Tianjian-Signature"},
        request_body=body.decode(),
        status_code=answer.status_code,
        response_body=answer.body,
        error=answer.error,
        duration_ms=answer.duration_ms,
    )
    delivery.attempts += 1
    delivery.last_status_code = answer.status_code
    attempt = {"attempt": delivery.attempts, "status_code": answer.status_code}
    fields = ["attempts", "last_status_code", "last_error"]
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        delivery.last_error = ""
        transition(
            delivery,
            WebhookDelivery.Status.SUCCEEDED,
            kind="delivered",
            payload=attempt,
            fields=fields,
        )
        WebhookSubscription.objects.filter(pk=subscription.pk, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
        return None

    error = answer.error or _("接收方返回 %(code)s。") % {"code": answer.status_code}
    delivery.last_error = error[:500]
    failures = _failure_count(subscription)
    gave_up = delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
    if not gave_up and failures < settings.WEBHOOK_PAUSE_AFTER_FAILURES:
        delay = retry_delay(delivery.attempts)
        delivery.save(update_fields=[*fields, "updated_at"])
        event_record(
            delivery,
            kind="retry",
            reason=error,
            payload={**attempt, "retry_in_seconds": int(delay.total_seconds())},
        )
        return RetryLater(error=error, delay=delay)

    if gave_up:
        reason = _("一次投递连续 %(n)s 次失败，已放弃。") % {"n": delivery.attempts}
        transition(
            delivery,
            WebhookDelivery.Status.FAILED,
            kind="gave_up",
            reason=error,
            payload=attempt,
            fields=fields,
        )
    else:
        reason = _("连续 %(n)s 次投递失败。") % {"n": failures}
        transition(
            delivery,
            WebhookDelivery.Status.HELD,
            kind="held",
            reason=reason,
            payload={**attempt, "error": error[:200]},
            fields=fields,
        )
    subscription_pause(subscription=subscription, reason=reason, failures=failures)
    return None


def _failure_count(subscription: WebhookSubscription) -> int:
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    return (
        WebhookSubscription.objects.filter(pk=subscription.pk)
        .values_list("consecutive_failures", flat=True)
        .get()
    )


def _owners(app: App) -> list[User]:
    if app.store_id is None:
        return [app.acting_user]
    owners = list(
        User.objects.filter(
            store_memberships__store_id=app.store_id,
            store_memberships__role=StoreMember.Role.OWNER,
            is_active=True,
        )
    )
    return owners or [app.acting_user]


def subscription_pause(
    *, subscription: WebhookSubscription, reason: str, failures: int | None = None
) -> bool:
    """Pause a subscription (if not already) and tell its owners; True if it paused now.

    Locks the subscription and moves it only from active: of two workers whose deliveries fail
    at once, one pauses it (one event row, one notice), the other finds it paused."""
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.is_paused:
        return False
    locked.paused_reason = reason[:200]
    transition(
        locked,
        WebhookSubscription.Status.PAUSED,
        kind="paused",
        reason=reason,
        payload={} if failures is None else {"consecutive_failures": failures},
        fields=["paused_reason"],
    )
    for user in _owners(subscription.app):
        notification_send(
            user=user,
            title=_("事件订阅已暂停：%(app)s") % {"app": subscription.app.name},
            body=_("发往 %(url)s 的事件投递已暂停：%(reason)s 请检查接收地址后在后台恢复订阅。")
            % {"url": subscription.url, "reason": reason},
        )
    return True


@transaction.atomic
def subscription_resume(*, actor: User | None, subscription: WebhookSubscription) -> int:
    """Resume a paused subscription and send its held deliveries; returns how many."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if actor is not None and not app_may_manage(user=actor, app=subscription.app):
        raise _refuse(_("订阅不存在。"), Code.NOT_FOUND, status=404)
    held = WebhookDelivery.objects.filter(subscription=subscription)
    if subscription.is_paused:
        subscription.paused_at = None
        subscription.paused_reason = ""
        subscription.consecutive_failures = 0
        transition(
            subscription,
            WebhookSubscription.Status.ACTIVE,
            actor=actor,
            kind="resumed",
            fields=["paused_at", "paused_reason", "consecutive_failures"],
        )
    elif not held.filter(status=WebhookDelivery.Status.HELD).exists():
        # Active with nothing held (held ones stay after the app was disabled): no move.
        transition_check(subscription, WebhookSubscription.Status.ACTIVE)
    requeued = transition_many(
        held,
        WebhookDelivery.Status.PENDING,
        from_statuses=[WebhookDelivery.Status.HELD],
        actor=actor,
        kind="requeued",
        reason=_("订阅恢复，补发暂缓的事件"),
        values={"attempts": 0, "round": F("round") + 1},
        returning=("round",),
        payload=lambda row: {"round": row["round"] + 1},
    )
    for row in requeued:
        _delivery_queue_round(row["pk"], row["round"] + 1)
    return len(requeued)


@transaction.atomic
def webhook_delivery_redeliver(*, actor: User | None, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again by hand (any state but pending), same event id, fresh back-off."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("subscription__app")
        .get(pk=delivery.pk)
    )
    if actor is not None and not app_may_manage(user=actor, app=delivery.subscription.app):
        raise _refuse(_("投递记录不存在。"), Code.NOT_FOUND, status=404)
    if delivery.subscription.is_paused:
        raise _refuse(
            _("订阅已暂停，请先恢复订阅（恢复时会补发暂缓的事件）。"),
            Code.SUBSCRIPTION_PAUSED,
            status=409,
        )
    if delivery.status == WebhookDelivery.Status.PENDING:
        raise _refuse(_("这条投递正在排队，无需重发。"), Code.SUBSCRIPTION_PAUSED, status=409)
    delivery.attempts = 0
    delivery.round += 1
    transition(
        delivery,
        WebhookDelivery.Status.PENDING,
        actor=actor,
        kind="redelivered",
        reason=_("手动重新投递"),
        payload={"round": delivery.round},
        fields=["attempts", "round"],
    )
    _delivery_queue(delivery)
    return delivery


@transaction.atomic
def subscription_delete(*, actor: User | None, subscription: WebhookSubscription) -> None:
    """Unsubscribe; its deliveries and their log go with it (pending ones are never sent)."""
    if actor is not None and not app_may_manage(user=actor, app=subscription.app):
        raise _refuse(_("订阅不存在。"), Code.NOT_FOUND, status=404)
    subscription.delete()
