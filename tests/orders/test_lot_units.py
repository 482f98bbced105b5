"""Shipping records the quantity in the lot's unit: pieces × the SKU's net weight for a lot
kept by mass, and a clear refusal when the SKU has no weight to convert with."""

from decimal import Decimal

import pytest

from apps.core.errors import ApplicationError
from apps.logistics.models import Shipment
from apps.traceability.models import TraceEvent
from apps.traceability.selectors import lot_primary_code, trace_url
from tests.orders.conftest import make_lot, make_sku, sku_state
from tests.orders.test_lots import _roles, paid_order, ship  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def shipped_quantities() -> list[tuple[Decimal, str]]:
    event = TraceEvent.objects.get(extra__kind="order_shipment")
    return [(link.quantity, link.unit) for link in event.event_lots.all()]


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("kg", Decimal("5.000")), ("jin", Decimal("10.000")), ("t", Decimal("0.005"))],
)
def test_two_boxes_of_2_5_kg_are_5_kg_of_the_lot(
    shopper, address, store_a, merchant_a, unit, expected
):
    sku = make_sku(store_a, stock=10, weight_grams=2500, spec="2.5kg/箱")
    make_lot(store_a, sku, "KG-01", unit=unit)
    order = paid_order(shopper, address, sku, quantity=2)

    ship(order, merchant_a)

    assert shipped_quantities() == [(expected, unit)]


def test_a_lot_kept_in_boxes_counts_pieces(shopper, address, store_a, merchant_a):
    sku = make_sku(store_a, stock=10, weight_grams=2500)
    make_lot(store_a, sku, "BOX-01", unit="box")
    order = paid_order(shopper, address, sku, quantity=2)

    ship(order, merchant_a)

    assert shipped_quantities() == [(Decimal("2"), "box")]


def test_the_trace_page_shows_the_parcel_in_kilograms(
    client, shopper, address, store_a, merchant_a
):
    sku = make_sku(store_a, stock=10, weight_grams=2500, spec="2.5kg/箱")
    lot = make_lot(store_a, sku, "KG-02", unit="kg")
    order = paid_order(shopper, address, sku, quantity=2)
    ship(order, merchant_a)

    page = client.get(trace_url(lot_primary_code(lot=lot).code))

    text = page.content.decode()
    assert "5 千克" in text
    assert "2 千克" not in text


def test_a_sku_without_weight_cannot_ship_from_a_lot_kept_by_mass(
    shopper, address, store_a, merchant_a
):
    sku = make_sku(store_a, stock=10, spec="一箱")  # no weight
    make_lot(store_a, sku, "KG-03", unit="kg")
    order = paid_order(shopper, address, sku, quantity=2)
    before = sku_state(sku)

    with pytest.raises(ApplicationError) as refused:
        ship(order, merchant_a)

    assert refused.value.code == "trace_unit_not_convertible"
    assert "未填写重量" in refused.value.message
    assert "千克" in refused.value.message
    assert refused.value.fields == {"lot": [refused.value.message]}
    # Nothing half-written: no parcel, no trace event, stock and the line unchanged.
    assert not Shipment.objects.exists()
    assert not TraceEvent.objects.filter(extra__kind="order_shipment").exists()
    assert sku_state(sku) == before
    assert order.lines.get().shipped_quantity == 0
