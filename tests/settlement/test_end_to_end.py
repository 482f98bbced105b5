"""The whole money path: sandbox payment, shipping, an after-sale refunded through payments,
confirmation of receipt, the weekly statement and its payout."""

from decimal import Decimal

import pytest

from apps.aftersales.models import AfterSale
from apps.aftersales.services import aftersale_approve, aftersale_create
from apps.orders.services.lifecycle import order_confirm_receipt
from apps.settlement.models import LedgerEntry, SettlementStatement
from apps.settlement.selectors import statement_verify, store_balance
from apps.settlement.services import (
    settlement_statement_confirm,
    settlement_statement_mark_paid_out,
    settlement_statements_generate,
)
from tests.aftersales.conftest import SECRET, pay, place, ship
from tests.orders.conftest import make_sku
from tests.settlement.conftest import current_period

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENT_SANDBOX_SECRET = SECRET
    settings.SITE_URL = "http://testserver"


def refund_only(order, line, quantity: int, merchant) -> AfterSale:
    aftersale = aftersale_create(
        buyer=order.buyer,
        order=order,
        type=AfterSale.Type.REFUND_ONLY,
        reason="damaged",
        lines={line.pk: quantity},
    )
    return aftersale_approve(aftersale=aftersale, actor=merchant)


def test_an_order_paid_refunded_and_completed_is_settled_to_the_fen(
    shopper, shop_a, merchant_a, staff
):
    rice = make_sku(shop_a, price="9.99", stock=20)
    payment_order = place(shopper, [(rice, 3)])
    pay(payment_order)
    order = payment_order.orders.get()
    ship(order, merchant_a)
    line = order.lines.get()

    early = refund_only(order, line, 1, merchant_a)  # refunded while shipped: booked later
    booked_before_completion = LedgerEntry.objects.count()
    order_confirm_receipt(order=order, actor=shopper)
    late = refund_only(order, line, 1, merchant_a)  # refunded after completion
    start, after_end = current_period()
    settlement_statements_generate(period_start=start, now=after_end)
    statement = SettlementStatement.objects.get()
    settlement_statement_confirm(statement=statement, actor=staff)
    settlement_statement_mark_paid_out(statement=statement, actor=staff, payment_reference="P-1")

    assert booked_before_completion == 0
    assert list(LedgerEntry.objects.order_by("id").values_list("type", "amount", "reference")) == [
        ("order_income", D("29.97"), order.number),
        ("platform_commission", D("-1.00"), order.number),
        ("refund", D("-9.99"), f"aftersale:{early.pk}"),
        ("refund_commission_reversal", D("0.33"), f"aftersale:{early.pk}"),
        ("refund", D("-9.99"), f"aftersale:{late.pk}"),
        ("refund_commission_reversal", D("0.34"), f"aftersale:{late.pk}"),
        ("payout", D("-9.66"), "P-1"),
    ]
    statement.refresh_from_db()
    assert statement.net_payable == D("9.66")  # 9.99 kept − to_money(9.99 × 0.0333) = 0.33
    assert statement_verify(statement=statement).is_consistent
    assert store_balance(shop_a) == D("0.00")
