"""A shopper's after-sale request while the broker is down: answered normally, the merchant's
e-mail sent once the broker is back (the outbox, apps/core/outbox.py)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.aftersales.models import AfterSale
from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_dispatch
from tests.aftersales.conftest import lines_of

pytestmark = pytest.mark.django_db


def test_an_after_sale_request_succeeds_with_the_broker_down_and_its_email_follows(
    client, shopper, shipped_order, merchant_a, broker_down, after_commit
):
    client.force_login(shopper)
    small, large = lines_of(shipped_order)

    with after_commit():
        response = client.post(
            f"/aftersales/new/?order={shipped_order.number}",
            {
                "type": "refund_only",
                "reason": "damaged",
                "reason_text": "外袋破了",
                "amount": "",
                f"line_{small.pk}": "1",
                f"line_{large.pk}": "0",
            },
        )

    aftersale = AfterSale.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/aftersales/{aftersale.number}/"
    assert mail.outbox == []
    assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() >= 1

    # the broker is back: beat's dispatcher runs (and runs again)
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    delivered = outbox_dispatch()
    assert outbox_dispatch() == 0

    assert delivered == OutboxMessage.objects.count()
    assert merchant_a.email in [address for m in mail.outbox for address in m.to]
    assert len(mail.outbox) == delivered
