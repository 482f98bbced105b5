"""Distribution tests go through the real order flow: cart → order_place → payment (whose
order_paid signal creates commissions) → shipping → receipt (order_completed) → refunds
(order_refunded)."""

import itertools
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from apps.distribution.models import BalanceEntry, Promoter
from apps.distribution.services.binding import binding_change_by_staff
from apps.distribution.services.config import config_update
from apps.distribution.services.promoters import promoter_appoint
from apps.orders.models import Order
from apps.orders.services.cart import cart_add, cart_get_or_create
from apps.orders.services.checkout import order_place
from apps.orders.services.lifecycle import order_record_refund, payment_order_mark_paid
from tests.factories import UserFactory
from tests.orders.conftest import make_address, make_sku
from tests.settlement.conftest import complete, divisions, finance

D = Decimal
_keys = itertools.count(1)


@pytest.fixture
def config(db):
    """Two levels at 10 % and 5 %, base = paid amount, freeze 7 days, withdraw 10–5000."""
    return config_update(actor=None, level1_rate=D("10"), level2_rate=D("5"), freeze_days=7)


def make_promoter(name: str = "推广员", *, upline: Promoter | None = None, **kw) -> Promoter:
    user = UserFactory(name=name)
    promoter = promoter_appoint(user=user, actor=None, **kw)
    if upline is not None:
        binding_change_by_staff(user=user, promoter=upline, actor=None, reason="测试绑定")
    return promoter


def bind(user, promoter: Promoter) -> None:
    binding_change_by_staff(user=user, promoter=promoter, actor=None, reason="测试绑定")


def brokerage_sku(store, price: str = "100.00", *, stock: int = 50, **kw):
    return make_sku(store, price=price, stock=stock, is_brokerage_enabled=True, **kw)


def place_paid(buyer, items) -> Order:
    """A paid order of (sku, quantity) items, all of one store."""
    cart = cart_get_or_create(user=buyer)
    for sku, quantity in items:
        cart_add(cart=cart, sku_id=sku.pk, quantity=quantity)
    address = buyer.addresses.first() or make_address(buyer)
    payment_order = order_place(
        buyer=buyer, cart=cart, address=address, idempotency_key=f"dist-{next(_keys):06d}"
    )
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    return payment_order.orders.get()


def refund_lines(order: Order, lines: dict, amount: str, reference: str) -> Order:
    return order_record_refund(
        order=order, amount=D(amount), lines=lines, restock=False, reference=reference
    )


def assert_ledger_balanced() -> None:
    """The invariant: every promoter's balance is the sum of its ledger, to the fen."""
    sums = dict(
        BalanceEntry.objects.values("promoter")
        .annotate(total=Sum("amount"))
        .values_list("promoter", "total")
    )
    for promoter in Promoter.objects.all():
        assert promoter.balance == D(sums.get(promoter.pk) or "0.00"), promoter


__all__ = ["complete", "divisions", "finance"]
