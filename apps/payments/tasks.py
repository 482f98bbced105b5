import logging

from celery import shared_task

from apps.payments.providers.base import ProviderError

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def sandbox_notify_task(self, payment_id: int, outcome: str) -> int | None:
    """Play the sandbox gateway: POST a signed notify for this payment to our notify URL.

    With a worker, an unreachable server is retried (each retry signs a fresh nonce, as a real
    gateway's retries do). Run eagerly, inside the shopper's request, there is nobody to
    retry later: the failure is logged and the payment simply stays unpaid.
    """
    from apps.payments.models import Payment
    from apps.payments.providers import get_provider

    payment = Payment.objects.get(pk=payment_id)
    try:
        status, _ = get_provider("sandbox").send_notification(payment, outcome)
    except ProviderError as exc:
        if self.request.is_eager:
            logger.error("sandbox notify for %s not delivered: %s", payment.out_trade_no, exc)
            return None
        raise self.retry(exc=exc) from exc
    if status >= 500 and not self.request.is_eager:
        raise self.retry(exc=ProviderError(f"notify endpoint answered HTTP {status}"))
    return status
