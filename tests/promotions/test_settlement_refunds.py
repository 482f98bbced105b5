"""Who paid for a discount, in settlement, and what a refund of one discounted line gives back:
the line's paid amount after discounts; the platform's subsidy of that line is taken back; the
coupon is not returned after payment."""

from decimal import Decimal

import pytest

from apps.aftersales.selectors import order_line_allowances
from apps.orders.models import OrderLine
from apps.orders.services.lifecycle import order_record_refund
from apps.promotions.models import UserCoupon
from apps.settlement.services import settlement_statement_generate
from tests.promotions.helpers import give_coupon, make_coupon, make_promotion
from tests.settlement.conftest import complete, current_period, entries, place_paid, set_rate

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def discounted_order(shopper, store_a, divisions):
    """Store A at 5 %: 60.00 + 50.00, store 满100减15 (store-funded), then a platform 满50减10.
    promotion 15: 8.18 + 6.81 (+0.01 on the 60.00 line) → 8.19, 6.81; payable 51.81, 43.19
    coupon 10: 5.45 + 4.54 (+0.01 on the larger) → 5.46, 4.54
    lines: 60.00 − 13.65 = 46.35 (platform 5.46); 50.00 − 11.35 = 38.65 (platform 4.54)"""
    set_rate(store_a, "0.05")
    make_promotion(store=store_a, tiers=[("100.00", "15.00")])
    give_coupon(shopper, make_coupon(name="平台满50减10", amount="10.00", threshold="50.00"))
    return place_paid(shopper, store_a, [("60.00", 1), ("50.00", 1)])


def test_lines_keep_their_shares_by_funder(discounted_order, store_a):
    lines = list(OrderLine.objects.filter(order=discounted_order).order_by("line_amount"))

    assert [(x.line_amount, x.discount_amount, x.paid_amount) for x in lines] == [
        (D("50.00"), D("11.35"), D("38.65")),
        (D("60.00"), D("13.65"), D("46.35")),
    ]
    shares = [sorted((d.funder, d.amount) for d in x.discounts.all()) for x in lines]
    assert shares == [
        [("platform", D("4.54")), (f"store:{store_a.pk}", D("6.81"))],
        [("platform", D("5.46")), (f"store:{store_a.pk}", D("8.19"))],
    ]
    assert (discounted_order.discount_amount, discounted_order.total_amount) == (
        D("25.00"),
        D("85.00"),
    )


def test_completion_books_the_platform_subsidy_to_the_store(discounted_order):
    order = complete(discounted_order)

    assert entries(order) == [
        ("order_income", D("85.00")),
        ("platform_commission", D("-4.25")),
        ("platform_subsidy", D("10.00")),
    ]


def test_refunding_one_discounted_line_gives_its_paid_amount_and_takes_its_subsidy_back(
    discounted_order, store_a, shopper
):
    # given the completed order
    order = complete(discounted_order)
    line = OrderLine.objects.get(order=order, line_amount=D("50.00"))
    allowed = order_line_allowances(order=order)[line.pk].max_amount(1)

    # when that line is refunded in full
    order_record_refund(
        order=order, amount=allowed, lines={line.pk: 1}, restock=False, reference="AS-0001"
    )

    # then the buyer gets the line's paid amount after discounts, the commission follows the
    # net paid, the platform's 4.54 on it is taken back, and the coupon stays used
    assert allowed == D("38.65")
    assert entries(order)[3:] == [
        ("refund", D("-38.65")),
        ("refund_commission_reversal", D("1.93")),
        ("platform_subsidy", D("-4.54")),
    ]
    net = sum(amount for _type, amount in entries(order))
    assert net == D("46.35") + D("5.46") - D("2.32")  # the kept line, its subsidy, commission
    assert UserCoupon.objects.get(user=shopper).status == "used"
    start, now = current_period()
    statement = settlement_statement_generate(store=store_a, period_start=start, now=now)
    assert (statement.subsidies, statement.net_payable) == (D("5.46"), net)
