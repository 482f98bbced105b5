import random
from decimal import Decimal

import pytest

from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.orders.models import Order
from apps.orders.services.cart import cart_add, cart_get_or_create
from apps.orders.services.checkout import order_place
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.orders.signals import order_completed, order_refunded
from apps.settlement.errors import SettlementErrorCode
from apps.settlement.models import AppendOnlyError, LedgerEntry
from apps.settlement.selectors import order_ledger_total, store_balance
from apps.settlement.services import settlement_book_order_completed, settlement_book_refund
from tests.orders.conftest import make_address, make_sku
from tests.settlement.conftest import complete, entries, place_paid, refund, sell, set_rate, ship

pytestmark = pytest.mark.django_db

D = Decimal
INCOME, COMMISSION = "order_income", "platform_commission"
REFUND, REVERSAL = "refund", "refund_commission_reversal"


def test_completion_books_income_and_commission_exact_to_the_fen(shopper, shop_a):
    order = sell(shopper, shop_a, [("9.99", 3)])

    # 29.97 × 0.0333 = 0.998001 → 1.00 (ROUND_HALF_UP, the rate snapshotted on the order)
    assert order.total_amount == D("29.97")
    assert order.commission_rate == D("0.0333")
    assert entries(order) == [(INCOME, D("29.97")), (COMMISSION, D("-1.00"))]
    assert store_balance(shop_a) == D("28.97")
    assert LedgerEntry.objects.get(type=INCOME).idempotency_key == f"order_income:{order.number}"


def test_the_rate_snapshotted_at_checkout_applies_not_the_current_one(shopper, shop_a):
    order = place_paid(shopper, shop_a, [("100.00", 1)])
    set_rate(shop_a, "0.2000")

    complete(order)

    assert entries(order) == [(INCOME, D("100.00")), (COMMISSION, D("-3.33"))]


def test_refunds_after_completion_give_commission_back_without_rounding_drift(shopper, shop_a):
    order = sell(shopper, shop_a, [("9.99", 3)])

    refund(order, "9.99", "AS-1")
    refund(order, "9.99", "AS-2")
    refund(order, "9.99", "AS-3")

    # Commission owed after each refund: 19.98 → 0.67, 9.99 → 0.33, 0 → 0.00; rounding per
    # refund (0.33 each) would have left 0.01 of commission on an order refunded in full.
    assert entries(order) == [
        (INCOME, D("29.97")),
        (COMMISSION, D("-1.00")),
        (REFUND, D("-9.99")),
        (REVERSAL, D("0.33")),
        (REFUND, D("-9.99")),
        (REVERSAL, D("0.34")),
        (REFUND, D("-9.99")),
        (REVERSAL, D("0.33")),
    ]
    assert order_ledger_total(order=order) == D("0.00")
    assert store_balance(shop_a) == D("0.00")


def test_a_refund_before_completion_is_booked_at_completion(shopper, shop_a):
    order = place_paid(shopper, shop_a, [("9.99", 3)])

    refund(order, "9.99", "AS-EARLY")
    booked_before_completion = LedgerEntry.objects.count()
    complete(order)

    assert booked_before_completion == 0
    assert entries(order) == [
        (INCOME, D("29.97")),
        (COMMISSION, D("-1.00")),
        (REFUND, D("-9.99")),
        (REVERSAL, D("0.33")),
    ]
    # net paid 19.98 − commission to_money(19.98 × 0.0333) = 0.67
    assert order_ledger_total(order=order) == D("19.31")
    assert LedgerEntry.objects.get(type=REFUND).idempotency_key == (
        f"refund:{order.number}:AS-EARLY"
    )


def test_refund_before_or_after_completion_ends_in_the_same_ledger(shopper, shop_a):
    early = place_paid(shopper, shop_a, [("59.90", 3), ("0.01", 1)])
    refund(early, "12.34", "AS-E")
    complete(early)
    late = sell(shopper, shop_a, [("59.90", 3), ("0.01", 1)])
    refund(late, "12.34", "AS-L")

    assert entries(early) == entries(late)
    assert entries(late) == [
        (INCOME, D("179.71")),
        (COMMISSION, D("-5.98")),  # 179.71 × 0.0333 = 5.984343
        (REFUND, D("-12.34")),
        (REVERSAL, D("0.41")),  # 167.37 × 0.0333 = 5.573421 → 5.57
    ]


def test_an_order_refunded_in_full_before_shipping_books_nothing(shopper, shop_a):
    order = place_paid(shopper, shop_a, [("9.99", 3)])

    refund(order, "29.97", "AS-ALL")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert LedgerEntry.objects.count() == 0
    assert store_balance(shop_a) == D("0.00")


def test_each_store_of_a_split_checkout_books_its_own_order(shopper, shop_a, store_b, divisions):
    set_rate(store_b, "0.0500")
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, sku_id=make_sku(shop_a, price="9.99").pk, quantity=3)
    cart_add(cart=cart, sku_id=make_sku(store_b, price="33.33").pk, quantity=1)
    payment_order = order_place(
        buyer=shopper, cart=cart, address=make_address(shopper), idempotency_key="split-0001"
    )
    payment_order_mark_paid(payment_order=payment_order, paid_at=payment_order.created_at)

    for order in payment_order.orders.order_by("pk"):
        complete(order)

    assert store_balance(shop_a) == D("28.97")
    assert store_balance(store_b) == D("31.66")  # 33.33 − 1.67 (1.6665 → 1.67)


def test_a_signal_delivered_twice_books_once(shopper, shop_a):
    order = sell(shopper, shop_a, [("9.99", 3)])
    refund(order, "5.00", "AS-1")
    before = entries(order)

    order_completed.send(sender=Order, order=order)
    order_refunded.send(sender=Order, order=order, amount=D("5.00"), reference="AS-1")

    assert entries(order) == before
    assert len(before) == 4


def test_an_early_refund_redelivered_after_completion_is_not_booked_twice(shopper, shop_a):
    order = place_paid(shopper, shop_a, [("9.99", 3)])
    refund(order, "9.99", "AS-EARLY")
    complete(order)

    order_refunded.send(sender=Order, order=order, amount=D("9.99"), reference="AS-EARLY")

    assert [t for t, _amount in entries(order)] == [INCOME, COMMISSION, REFUND, REVERSAL]
    assert order_ledger_total(order=order) == D("19.31")


def test_a_refund_signal_beyond_what_was_paid_is_refused(shopper, shop_a):
    order = sell(shopper, shop_a, [("9.99", 3)])
    before = entries(order)

    with pytest.raises(ApplicationError) as exc:
        settlement_book_refund(order=order, amount=D("30.00"), reference="FORGED")

    assert exc.value.code == SettlementErrorCode.REFUND_EXCEEDS_INCOME
    assert entries(order) == before


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_a_refund_of_nothing_or_less_is_refused(shopper, shop_a, amount):
    order = sell(shopper, shop_a, [("9.99", 3)])

    with pytest.raises(ApplicationError) as exc:
        settlement_book_refund(order=order, amount=D(amount), reference="X")

    assert exc.value.code == SettlementErrorCode.INVALID_AMOUNT
    assert len(entries(order)) == 2


def test_an_order_not_completed_cannot_be_booked(shopper, shop_a):
    order = ship(place_paid(shopper, shop_a, [("9.99", 3)]))

    with pytest.raises(ApplicationError) as exc:
        settlement_book_order_completed(order=order)

    assert exc.value.code == SettlementErrorCode.ORDER_NOT_COMPLETED
    assert LedgerEntry.objects.count() == 0


def test_a_zero_rate_store_books_no_commission(shopper, shop_a):
    set_rate(shop_a, "0")
    order = sell(shopper, shop_a, [("9.99", 3)])
    refund(order, "1.00", "AS-1")

    assert entries(order) == [(INCOME, D("29.97")), (REFUND, D("-1.00"))]


@pytest.mark.parametrize("rate", ["0.0333", "0.0500", "0.0001", "0.1234", "0.0067"])
def test_any_sequence_of_partial_refunds_adds_up_to_the_fen(shopper, shop_a, rate):
    """After every refund, before or after completion: the order's entries sum to net paid −
    to_money(net paid × rate), and its commission entries to −to_money(net paid × rate)."""
    set_rate(shop_a, rate)
    rng = random.Random(rate)
    for run in range(3):
        items = [(f"{rng.randint(1, 9999) / 100:.2f}", rng.randint(1, 5)) for _ in range(2)]
        order = place_paid(shopper, shop_a, items)
        completes_after = rng.randint(0, 3)
        for step in range(4):
            if step == completes_after:
                complete(order)
            order.refresh_from_db()
            left = order.total_amount - order.refunded_amount
            if left <= D("0.01"):
                break
            amount = to_money(D(rng.randint(1, 100)) / 100 * left / 2) or D("0.01")
            refund(order, str(amount), f"R-{run}-{step}")
        order.refresh_from_db()
        if order.status != Order.Status.COMPLETED:
            complete(order)
        order.refresh_from_db()
        net = order.total_amount - order.refunded_amount
        commission = to_money(net * D(rate))
        booked = dict.fromkeys([INCOME, COMMISSION, REFUND, REVERSAL], D("0"))
        for entry_type, amount in entries(order):
            booked[entry_type] += amount
        assert booked[INCOME] == order.total_amount
        assert booked[REFUND] == -order.refunded_amount
        assert booked[COMMISSION] + booked[REVERSAL] == -commission
        assert order_ledger_total(order=order) == net - commission


def test_ledger_entries_cannot_be_changed_or_deleted(shopper, shop_a):
    order = sell(shopper, shop_a, [("9.99", 3)])
    entry = LedgerEntry.objects.get(type=INCOME)

    entry.amount = D("99999.00")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=D("1.00"))
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(order=order).delete()

    assert entries(order) == [(INCOME, D("29.97")), (COMMISSION, D("-1.00"))]


def test_booking_refuses_a_key_reused_for_another_amount(shopper, shop_a):
    order = sell(shopper, shop_a, [("9.99", 3)])
    refund(order, "5.00", "AS-1")

    with pytest.raises(ApplicationError) as exc:
        settlement_book_refund(order=order, amount=D("6.00"), reference="AS-1")

    assert exc.value.code == SettlementErrorCode.KEY_CONFLICT
    assert [a for t, a in entries(order) if t == REFUND] == [D("-5.00")]
