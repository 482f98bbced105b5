"""What the shopper hears about their orders from the orders app: the payment received.

Parcels (shipped, out for delivery, delivered) and the auto-receipt reminder are logistics'
(apps/logistics/services/notices.py), after-sale deadlines aftersales'. Each message carries
an event key, so a retried payment notification or task never tells the shopper twice.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.services import notification_send
from apps.orders.models import Order, PaymentOrder


def payment_order_notify_paid(*, payment_order: PaymentOrder, orders: list[Order]) -> None:
    """One message per payment: each store's order with what it cost and what comes next."""
    if not orders:
        return
    stores = dict(
        Order.objects.filter(pk__in=[order.pk for order in orders]).values_list("pk", "store__name")
    )
    lines = [
        _("%(store)s：订单 %(number)s，实付 ¥%(amount)s")
        % {"store": stores[order.pk], "number": order.number, "amount": order.total_amount}
        for order in orders
    ]
    url = orders[0].get_absolute_url() if len(orders) == 1 else reverse("orders:order_list")
    notification_send(
        user=payment_order.buyer,
        title=_("支付成功：¥%(amount)s") % {"amount": payment_order.amount},
        body="\n".join([*lines, _("商家发货后我们会通知您快递公司和运单号。")]),
        url=url,
        key=f"payment-order:{payment_order.pk}:paid",
    )
