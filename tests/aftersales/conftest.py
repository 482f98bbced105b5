"""Orders for the after-sale and review tests, made through the real services: the shopper's
cart and checkout (orders.order_place), a sandbox payment whose signed notify marks it paid
(payments → orders.payment_order_mark_paid), the merchant shipping it
(logistics.shipment_create) and the shopper confirming receipt (order_confirm_receipt)."""

import io
import itertools
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.catalog.models import Sku
from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Division, Order, PaymentOrder
from apps.orders.services.addresses import address_save
from apps.orders.services.cart import cart_add, cart_get_or_create
from apps.orders.services.checkout import order_place
from apps.orders.services.divisions import divisions_load
from apps.orders.services.lifecycle import order_confirm_receipt
from apps.payments.models import PaymentNotification
from apps.payments.providers import sandbox
from apps.payments.services import payment_handle_notification, payment_start
from tests.factories import ProductFactory, UserFactory
from tests.logistics.conftest import carriers_ensure

SECRET = "aftersales-sandbox-secret"
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _payment_settings(settings):
    settings.PAYMENT_SANDBOX_SECRET = SECRET
    settings.SITE_URL = "http://testserver"


def jpeg_upload(name: str = "photo.jpg", size=(120, 90)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def not_an_image(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00 not an image", content_type="image/jpeg")


def address_for(user):
    # A transactional test elsewhere in the run may have flushed the migrated divisions.
    if not Division.objects.filter(code="230184100").exists():
        divisions_load(prefixes=["230184"])
    return address_save(
        user=user,
        contact_name="王小明",
        contact_phone="13800138000",
        province="23",
        city="2301",
        county="230184",
        township="230184100",
        detail="五常镇民乐街 1 号",
    )


def place(buyer, items: list[tuple[Sku, int]], *, method=PaymentOrder.Method.ONLINE):
    """Checkout of `items` (sku, quantity) by `buyer`; returns the payment order."""
    cart = cart_get_or_create(user=buyer)
    for sku, quantity in items:
        cart_add(cart=cart, sku_id=sku.pk, quantity=quantity)
    address = buyer.addresses.first() or address_for(buyer)
    return order_place(
        buyer=buyer,
        cart=cart,
        address=address,
        idempotency_key=f"aftersale-test-{next(_keys):06d}",
        method=method,
    )


def pay(payment_order: PaymentOrder) -> None:
    """Pay in the sandbox: start a payment, then deliver its signed notify."""
    payment = payment_start(
        payment_order=payment_order, provider="sandbox", actor=payment_order.buyer
    )
    body = sandbox.canonical_body(
        {
            "out_trade_no": payment.out_trade_no,
            "trade_no": sandbox.sandbox_trade_no(payment.out_trade_no),
            "amount": f"{payment.amount:.2f}",
            "status": "paid",
            "paid_at": timezone.now().isoformat(),
        }
    )
    headers = sandbox.signed_headers(secret=SECRET, body=body)
    notification = payment_handle_notification(provider="sandbox", raw=body, headers=headers)
    assert notification.result == PaymentNotification.Result.OK, notification.error


_waybills = itertools.count(1)


def ship(order: Order, merchant) -> Order:
    carriers_ensure()
    shipment_create(
        order=order, actor=merchant, carrier_code="sf", tracking_number=f"SF{next(_waybills):012d}"
    )
    order.refresh_from_db()
    return order


@pytest.fixture
def rice(store_a):
    """Two specs of a store-A product: 3 × 59.90 and 2 × 109.90 go into the test orders."""
    return ProductFactory(
        store=store_a,
        title="五常稻花香大米",
        skus=[
            {"spec": "5kg/袋", "price": "59.90", "stock": 50},
            {"spec": "10kg/袋", "price": "109.90", "stock": 50},
        ],
    )


@pytest.fixture
def orange(store_b):
    return ProductFactory(
        store=store_b, title="赣南脐橙", skus=[{"spec": "5斤装", "price": "39.90", "stock": 50}]
    )


def skus_of(product) -> list[Sku]:
    return list(product.skus.order_by("sort_order", "id"))


@pytest.fixture
def make_order(shopper, rice, merchant_a):
    """An order of store A in the given state: pending, paid, shipped or completed."""

    def make(state: str = "completed", *, buyer=None, items=None) -> Order:
        buyer = buyer or shopper
        small, large = skus_of(rice)
        payment_order = place(buyer, items or [(small, 3), (large, 2)])
        order = payment_order.orders.get()
        if state == "pending":
            return order
        pay(payment_order)
        order.refresh_from_db()
        if state == "paid":
            return order
        ship(order, merchant_a)
        if state == "shipped":
            return order
        order_confirm_receipt(order=order, actor=buyer)
        order.refresh_from_db()
        return order

    return make


@pytest.fixture
def paid_order(make_order) -> Order:
    return make_order("paid")


@pytest.fixture
def shipped_order(make_order) -> Order:
    return make_order("shipped")


@pytest.fixture
def completed_order(make_order) -> Order:
    return make_order("completed")


@pytest.fixture
def other_shopper(db):
    return UserFactory(name="顾客小李")


def lines_of(order: Order):
    """(small-bag line, large-bag line) of a test order."""
    return tuple(order.lines.order_by("id"))


@pytest.fixture
def client_for():
    """An APIClient authenticated with a token of `user` (None: anonymous)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def money(value: str) -> Decimal:
    return Decimal(value)
