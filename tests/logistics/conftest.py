"""Shared fixtures of the logistics tests: a paid order of store_a ready to ship."""

import pytest
from django.utils import timezone

from apps.orders.models import Order
from apps.orders.services.lifecycle import payment_order_mark_paid
from tests.orders.conftest import address, divisions, fill_cart, make_sku, place  # noqa: F401 (fixtures)


def paid_order(user, ship_to, *lines, key: str = "logistics-key-0001", **place_kwargs) -> Order:
    """Place `lines` ((sku, quantity) pairs, one store) for `user` and mark them paid."""
    fill_cart(user, *lines)
    payment_order = place(user, ship_to, key=key, **place_kwargs)
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    return payment_order.orders.get()


@pytest.fixture
def order_a(shopper, address, store_a):  # noqa: F811
    """A paid order of store_a: two lines (3 × 10.00 rice, 2 × 25.00 oil)."""
    rice = make_sku(store_a, price="10.00", stock=50, title="五常大米")
    oil = make_sku(store_a, price="25.00", stock=20, title="压榨菜籽油", spec="5L/桶")
    return paid_order(shopper, address, (rice, 3), (oil, 2))


def carriers_ensure() -> None:
    """The carriers migration 0002 seeds, again if a transactional test flushed the tables."""
    import importlib

    from django.apps import apps as django_apps

    from apps.logistics.models import Carrier

    if not Carrier.objects.filter(code="county").exists():
        seed = importlib.import_module("apps.logistics.migrations.0002_carriers")
        seed.carriers_add(django_apps, None)


@pytest.fixture(autouse=True)
def _carriers(db):
    carriers_ensure()
