"""Receivers of other apps' facts; each calls one orders service."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from apps.catalog.signals import demo_seeded
from apps.orders.demo import delivery_demo_seed
from apps.orders.services.cart import cart_session_merge
from apps.orders.services.recall import recall_notify_buyers
from apps.traceability.signals import lot_recalled


@receiver(user_logged_in, dispatch_uid="orders-cart-merge-at-login")
def _merge_guest_cart(sender, request, user, **kwargs) -> None:
    cart_session_merge(session=getattr(request, "session", None), user=user)


@receiver(lot_recalled, dispatch_uid="orders-recall-notify-buyers")
def _notify_recall_buyers(sender, lot_ids, reason, **kwargs) -> None:
    recall_notify_buyers(lot_ids=lot_ids, reason=reason)


@receiver(demo_seeded, dispatch_uid="orders-delivery-demo")
def _seed_delivery_demo(sender, stores, log, **kwargs) -> None:
    log(f"配送方式与自提点：新增 {delivery_demo_seed(stores=stores)}")
