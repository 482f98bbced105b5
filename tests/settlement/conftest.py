"""Orders for the settlement tests, made through the real orders services: the shopper's cart
and checkout (order_place), payment (payment_order_mark_paid), the merchant shipping it
(logistics.shipment_create) and the shopper confirming receipt (order_confirm_receipt), whose
order_completed signal books the ledger; refunds go through order_record_refund
(→ order_refunded)."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.core.roles import FINANCE, roles_sync
from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Division, Order
from apps.orders.services.cart import cart_add, cart_get_or_create
from apps.orders.services.checkout import order_place
from apps.orders.services.divisions import divisions_load
from apps.orders.services.lifecycle import (
    order_confirm_receipt,
    order_record_refund,
    payment_order_mark_paid,
)
from apps.settlement.models import LedgerEntry
from apps.settlement.periods import period_bounds, period_containing
from apps.stores.models import Store
from tests.factories import UserFactory
from tests.logistics.conftest import carriers_ensure
from tests.orders.conftest import make_address, make_sku

_keys = itertools.count(1)


@pytest.fixture
def divisions(db):
    if not Division.objects.filter(code="230184").exists():
        divisions_load(prefixes=["230184"])


@pytest.fixture
def finance(db):
    """A 财务 user: every store's settlement, nothing else."""
    roles_sync()
    user = UserFactory(name="财务小李", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE))
    return user


def set_rate(store: Store, rate: str) -> None:
    Store.objects.filter(pk=store.pk).update(commission_rate=Decimal(rate))
    store.refresh_from_db()


def place_paid(buyer, store: Store, items: list[tuple[str, int]]) -> Order:
    """A paid order of `store` for `items` (unit price, quantity), one SKU per item."""
    cart = cart_get_or_create(user=buyer)
    for price, quantity in items:
        sku = make_sku(store, price=price, stock=quantity + 10)
        cart_add(cart=cart, sku_id=sku.pk, quantity=quantity)
    address = buyer.addresses.first() or make_address(buyer)
    payment_order = order_place(
        buyer=buyer, cart=cart, address=address, idempotency_key=f"settle-{next(_keys):06d}"
    )
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    return payment_order.orders.get()


_waybills = itertools.count(1)


def ship(order: Order) -> Order:
    carriers_ensure()
    shipment_create(
        order=order, actor=None, carrier_code="sf", tracking_number=f"SF{next(_waybills):012d}"
    )
    order.refresh_from_db()
    return order


def complete(order: Order) -> Order:
    order.refresh_from_db()
    if order.status == Order.Status.PAID:
        ship(order)
    return order_confirm_receipt(order=order, actor=order.buyer)


def refund(order: Order, amount: str, reference: str) -> Order:
    return order_record_refund(
        order=order, amount=Decimal(amount), lines={}, restock=False, reference=reference
    )


def sell(buyer, store: Store, items: list[tuple[str, int]]) -> Order:
    """A completed order (booked in the ledger by the order_completed receiver)."""
    return complete(place_paid(buyer, store, items))


def entries(order: Order) -> list[tuple[str, Decimal]]:
    return list(
        LedgerEntry.objects.filter(order=order).order_by("id").values_list("type", "amount")
    )


def current_period() -> tuple[dt.date, dt.datetime]:
    """(first day, end) of the period today falls in; `end` + 1 h lets it be generated."""
    start, _last = period_containing(timezone.localdate())
    _start, end, _last = period_bounds(start)
    return start, end + dt.timedelta(hours=1)


@pytest.fixture
def shop_a(shopper, store_a, divisions):
    """Store A at the awkward commission rate 3.33 %."""
    set_rate(store_a, "0.0333")
    return store_a
