"""Reactions to facts announced by lower apps; each calls one distribution service."""

import logging

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from apps.distribution.services.binding import referral_bind_from_session
from apps.distribution.services.commissions import (
    commissions_apply_refund,
    commissions_create_for_order,
)
from apps.orders.models import Order
from apps.orders.signals import order_paid, order_refunded

logger = logging.getLogger(__name__)


@receiver(order_paid, sender=Order, dispatch_uid="distribution-commissions-at-payment")
def _create_commissions(*, order: Order, **kwargs) -> None:
    commissions_create_for_order(order=order)


@receiver(order_refunded, sender=Order, dispatch_uid="distribution-commissions-refund")
def _apply_refund(*, order: Order, reference: str, **kwargs) -> None:
    commissions_apply_refund(order=order, reference=reference)


@receiver(user_logged_in, dispatch_uid="distribution-bind-at-login")
def _bind_remembered_referral(sender, request, user, **kwargs) -> None:
    referral_bind_from_session(session=getattr(request, "session", None), user=user)
