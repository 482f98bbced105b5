"""Facts announced by payments that the after-sales act on (one line each)."""

from django.dispatch import receiver

from apps.aftersales.services import aftersale_refund_succeeded
from apps.payments.signals import refund_succeeded


@receiver(refund_succeeded, dispatch_uid="aftersales.refund_succeeded")
def on_refund_succeeded(sender, refund, **kwargs) -> None:
    aftersale_refund_succeeded(refund=refund)
