"""Reads of the open platform: which apps a user may manage, token lookup, deliveries."""

import hashlib

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.open_platform.models import (
    App,
    AppToken,
    WebhookDelivery,
    WebhookSubscription,
)
from apps.stores.selectors import (
    scope_to_user_stores,
    store_ids_for_user,
    user_can_manage_all_stores,
)

TOKEN_PREFIX = "tj_"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def app_token_get_by_raw(*, raw: str) -> AppToken | None:
    """The token whose secret is `raw` (any state: the caller decides what a stale one means)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    return (
        AppToken.objects.select_related("app", "app__acting_user")
        .filter(token_hash=token_digest(raw))
        .first()
    )


def app_list_for_user(*, user: User) -> QuerySet[App]:
    """Apps this user may manage: staff all, a merchant their own stores' (never platform apps)."""
    return scope_to_user_stores(App.objects.select_related("store"), user)


def app_may_manage(*, user: User, app: App) -> bool:
    if user_can_manage_all_stores(user):
        return True
    return app.store_id is not None and app.store_id in store_ids_for_user(user)


def subscription_list_for_app(*, app: App) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(app=app).select_related("app")


def subscription_list_for_user(*, user: User) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(app__in=app_list_for_user(user=user)).select_related(
        "app"
    )


def delivery_list_for_subscription(
    *, subscription: WebhookSubscription
) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(subscription=subscription)
        .select_related("event")
        .order_by("-created_at", "-pk")
    )


def subscriptions_for_event(*, event_type: str, store_id: int | None) -> list[WebhookSubscription]:
    """Subscriptions of active apps that hear this event: the store's own apps and the
    platform's apps (a platform-wide event, store_id None, goes to every app subscribed)."""
    subscriptions = WebhookSubscription.objects.filter(app__is_active=True)
    if store_id is not None:
        subscriptions = subscriptions.filter(app__store_id__in=[store_id]) | subscriptions.filter(
            app__store__isnull=True
        )
    # Few rows: filtered here rather than with a JSON containment lookup SQLite lacks.
    return [s for s in subscriptions.order_by("pk") if event_type in s.events]
