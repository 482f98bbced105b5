"""The back office's first page shows paid orders and sales twice — analytics' 30-day summary
at the top, the workbench's today and this week below — and both come from one selector
(orders.selectors.paid_order_figures), so for the same orders they say the same thing."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.analytics.services.sales import sales_aggregate
from apps.orders.models import Order
from apps.orders.services.lifecycle import order_record_refund
from tests.analytics.conftest import buy
from tests.factories import UserFactory
from tests.orders.conftest import make_sku

pytestmark = pytest.mark.django_db


def _figures(page: str) -> dict[str, tuple[int, str]]:
    """(orders, amount) as the summary, the workbench's today and this week print them."""
    summary = re.search(r"成交额 <strong>¥([\d,.]+)</strong> ·\s*订单 <strong>(\d+)</strong>", page)
    today = re.search(r"今日支付订单</dt><dd>(\d+) 单 · ¥([\d.]+)", page)
    week = re.search(r"本周支付订单</dt><dd>(\d+) 单 · ¥([\d.]+)", page)
    return {
        "summary": (int(summary[2]), summary[1].replace(",", "")),
        "today": (int(today[1]), today[2]),
        "week": (int(week[1]), week[2]),
    }


@pytest.fixture
def paid_today(store_a, store_b, shopper, divisions):
    """Paid a minute ago: A 3 × 10 and 1 × 10 refunded in full before shipping (cancelled),
    B 2 × 70 with 20 refunded."""
    now = timezone.now() - timezone.timedelta(minutes=1)
    sku_a = make_sku(store_a, price="10.00", title="五常大米")
    sku_b = make_sku(store_b, price="70.00", title="赣南脐橙")
    buy(shopper, [(sku_a, 3)], paid_at=now)
    (cancelled,) = buy(UserFactory(name="顾客小赵"), [(sku_a, 1)], paid_at=now)
    (part,) = buy(UserFactory(name="顾客小李"), [(sku_b, 2)], paid_at=now)
    line = cancelled.lines.get()
    order_record_refund(
        order=cancelled,
        amount=cancelled.total_amount,
        lines={line.pk: line.quantity},
        restock=True,
        reference="AS-CANCEL",
    )
    order_record_refund(
        order=part, amount=Decimal("20.00"), lines={}, restock=False, reference="AS-P"
    )
    assert Order.objects.get(pk=cancelled.pk).status == Order.Status.CANCELLED
    sales_aggregate()


def test_staff_see_the_same_orders_and_sales_at_the_top_and_in_the_workbench(
    client, staff, paid_today
):
    client.force_login(staff)

    figures = _figures(client.get(reverse("admin:index")).content.decode())

    paid = Order.objects.exclude(status=Order.Status.CANCELLED)
    expected = (2, str(sum(order.total_amount for order in paid)))
    assert figures == {"summary": expected, "today": expected, "week": expected}


def test_a_merchant_sees_the_same_figures_of_its_own_store_in_both(
    client, merchant_a, paid_today, store_a
):
    merchant_a.is_staff = True
    merchant_a.save(update_fields=["is_staff"])
    client.force_login(merchant_a)

    figures = _figures(client.get(reverse("admin:index")).content.decode())

    paid = Order.objects.filter(store=store_a).exclude(status=Order.Status.CANCELLED)
    expected = (1, str(sum(order.total_amount for order in paid)))
    assert figures == {"summary": expected, "today": expected, "week": expected}
