"""Fixtures of the orders tests: a few real divisions, addresses, SKUs and carts."""

from decimal import Decimal

import pytest

from apps.catalog.models import Sku
from apps.orders.models import Address, Cart, Division, PaymentOrder
from apps.orders.services.addresses import address_save
from apps.orders.services.cart import cart_add, cart_get, cart_get_or_create
from apps.orders.services.checkout import order_place
from apps.orders.services.divisions import divisions_load
from tests.factories import ProductFactory

# 五常市 (Heilongjiang), 兴国县 (Jiangxi), 东城区 (Beijing), 天山区 (Urumqi, Xinjiang).
COUNTIES = ["230184", "360732", "110101", "650102"]
WUCHANG_TOWN = "230184100"


@pytest.fixture
def divisions(db):
    """The official rows of four counties (the migration loads all; a flushed database
    after a transactional test has none, so load what these tests use, idempotently)."""
    if Division.objects.filter(code__in=COUNTIES).count() < len(COUNTIES):
        divisions_load(prefixes=COUNTIES)


def make_address(user, *, county: str = "230184", township: str | None = None, **extra) -> Address:
    division = Division.objects.get(code=county)
    township = township or Division.objects.filter(parent=division).order_by("code").first().code
    return address_save(
        user=user,
        contact_name=extra.pop("contact_name", "王小明"),
        contact_phone=extra.pop("contact_phone", "13812345678"),
        province=county[:2],
        city=county[:4],
        county=county,
        township=township,
        detail=extra.pop("detail", "幸福村 8 号"),
        **extra,
    )


@pytest.fixture
def address(shopper, divisions):
    return make_address(shopper)


def make_sku(store, *, price: str = "10.00", stock: int = 100, weight_grams: int = 0, **kw) -> Sku:
    product = ProductFactory(
        store=store,
        skus=[{"spec": kw.pop("spec", "1kg/袋"), "price": price, "stock": stock}],
        **kw,
    )
    sku = product.skus.get()
    if weight_grams:
        Sku.objects.filter(pk=sku.pk).update(weight_grams=weight_grams)
        sku.refresh_from_db()
    return sku


def fill_cart(user, *lines: tuple[Sku, int]) -> Cart:
    cart = cart_get_or_create(user=user)
    for sku, quantity in lines:
        cart_add(cart=cart, sku_id=sku.pk, quantity=quantity)
    return cart


def place(user, address, key: str = "checkout-key-0001", **kwargs) -> PaymentOrder:
    return order_place(
        buyer=user, cart=cart_get(user=user), address=address, idempotency_key=key, **kwargs
    )


def sku_state(sku: Sku) -> tuple[int, int]:
    sku.refresh_from_db()
    return sku.stock, sku.reserved


def money(value: str) -> Decimal:
    return Decimal(value)


def make_lot(store, sku, number: str, *, expiry_days: int | None = None, unit: str = "box"):
    """An active lot of `sku` harvested two days ago (the store's first producer, made once).

    Kept in 箱 by default, so one piece shipped is one unit of the lot; a lot kept by mass
    (unit="kg") needs the SKU's weight (see test_lot_units.py)."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.traceability.models import Party
    from apps.traceability.services.lots import lot_create
    from apps.traceability.services.records import party_save

    producer = Party.objects.filter(store=store).first() or party_save(
        party=Party(store=store, name="王大伯", kind=Party.Kind.PRODUCER, phone="13812345678"),
        actor=None,
    )
    today = timezone.localdate()
    return lot_create(
        store=store,
        lot_number=number,
        product=sku.product,
        producer=producer,
        harvest_date=today - timedelta(days=2),
        quantity=Decimal("1000"),
        unit=unit,
        skus=[sku],
        expiry_date=today + timedelta(days=expiry_days) if expiry_days else None,
        actor=None,
    )
