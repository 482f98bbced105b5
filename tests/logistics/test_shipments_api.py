"""The shipments API: carriers, ship an order, list and read parcels, store isolation."""

import pytest
from django.urls import reverse

from apps.logistics.models import Shipment
from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Order
from tests.factories import UserFactory
from tests.logistics.conftest import paid_order
from tests.orders.conftest import make_sku, sku_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_b(shopper, address, store_b):
    return paid_order(shopper, address, (make_sku(store_b, stock=9), 1), key="logistics-key-b001")


def test_carriers_are_listed_for_anyone(api_client):
    response = api_client.get(reverse("api-carrier-list"))

    assert response.status_code == 200
    by_code = {c["code"]: c for c in response.json()}
    assert by_code["sf"] == {
        "code": "sf",
        "name": "顺丰速运",
        "tracking_pattern": r"SF\d{12,13}",
        "is_cold_chain": True,
        "is_own_fleet": False,
    }
    assert by_code["county"]["is_own_fleet"] is True


def test_merchant_ships_part_of_an_order_through_the_api(api_client, merchant_a, order_a):
    rice, _oil = order_a.lines.order_by("pk")
    api_client.force_authenticate(merchant_a)

    response = api_client.post(
        reverse("api-shipment-list"),
        {
            "order": order_a.number,
            "carrier": "sf",
            "tracking_number": "sf123456789012",
            "lines": [{"line": rice.pk, "quantity": 2}],
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["order"], body["carrier"]["code"], body["tracking_number"], body["status"]) == (
        order_a.number,
        "sf",
        "SF123456789012",
        "created",
    )
    assert [(x["line"], x["quantity"], x["title"]) for x in body["lines"]] == [
        (rice.pk, 2, "五常大米")
    ]
    assert (body["tracking"], body["temperature_readings"]) == ([], [])
    order_a.refresh_from_db()
    assert order_a.status == Order.Status.PAID
    assert sku_state(rice.sku) == (48, 1)


def test_api_errors_are_json_with_code_and_fields(api_client, merchant_a, order_a):
    rice, _oil = order_a.lines.order_by("pk")
    api_client.force_authenticate(merchant_a)
    url = reverse("api-shipment-list")

    unknown = api_client.post(
        url, {"order": order_a.number, "carrier": "dhl", "tracking_number": "X1"}, format="json"
    )
    malformed = api_client.post(
        url, {"order": order_a.number, "carrier": "sf", "tracking_number": "SF1"}, format="json"
    )
    too_many = api_client.post(
        url,
        {
            "order": order_a.number,
            "carrier": "sf",
            "tracking_number": "SF123456789012",
            "lines": [{"line": rice.pk, "quantity": 9}],
        },
        format="json",
    )
    zero = api_client.post(
        url,
        {
            "order": order_a.number,
            "carrier": "sf",
            "tracking_number": "SF123456789012",
            "lines": [{"line": rice.pk, "quantity": 0}],
        },
        format="json",
    )

    assert (unknown.status_code, unknown.json()["code"]) == (400, "logistics_carrier_unknown")
    assert list(unknown.json()["fields"]) == ["carrier"]
    assert malformed.json() == {
        "code": "logistics_invalid_tracking_number",
        "message": "运单号 SF1 不符合顺丰速运的单号格式。",
        "fields": {"tracking_number": ["运单号 SF1 不符合顺丰速运的单号格式。"]},
    }
    assert too_many.json()["fields"] == {f"lines.{rice.pk}": ["「五常大米」最多还可发 3 件。"]}
    assert (zero.status_code, zero.json()["code"]) == (400, "invalid")
    assert not Shipment.objects.exists()


def test_duplicate_number_is_a_409(api_client, merchant_a, order_a, shopper, address, store_a):
    other = paid_order(shopper, address, (make_sku(store_a), 1), key="logistics-key-0002")
    shipment_create(
        order=other, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
    )
    api_client.force_authenticate(merchant_a)

    response = api_client.post(
        reverse("api-shipment-list"),
        {"order": order_a.number, "carrier": "sf", "tracking_number": "SF123456789012"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "logistics_duplicate_tracking_number"


def test_merchants_see_and_ship_only_their_stores_parcels(
    api_client, merchant_a, merchant_b, order_a, order_b
):
    own = shipment_create(
        order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
    )
    theirs = shipment_create(
        order=order_b, actor=merchant_b, carrier_code="zto", tracking_number="731234567890"
    )
    api_client.force_authenticate(merchant_a)

    listed = api_client.get(reverse("api-shipment-list"))
    by_order = api_client.get(reverse("api-shipment-list"), {"order": order_b.number})
    by_status = api_client.get(reverse("api-shipment-list"), {"status": "delivered"})
    bad_status = api_client.get(reverse("api-shipment-list"), {"status": "lost"})
    detail = api_client.get(reverse("api-shipment-detail", args=[own.pk]))
    foreign = api_client.get(reverse("api-shipment-detail", args=[theirs.pk]))
    foreign_ship = api_client.post(
        reverse("api-shipment-list"),
        {"order": order_b.number, "carrier": "sf", "tracking_number": "SF123456789013"},
        format="json",
    )

    assert [s["id"] for s in listed.json()["results"]] == [own.pk]
    assert by_order.json()["count"] == 0
    assert by_status.json()["count"] == 0
    assert bad_status.status_code == 400
    assert detail.json()["tracking_number"] == "SF123456789012"
    assert (foreign.status_code, foreign_ship.status_code) == (404, 404)
    assert foreign_ship.json()["code"] == "not_found"
    assert Shipment.objects.filter(order=order_b).count() == 1


def test_staff_sees_every_parcel_and_shoppers_none(
    api_client, staff, merchant_a, merchant_b, order_a, order_b
):
    shipment_create(
        order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
    )
    shipment_create(
        order=order_b, actor=merchant_b, carrier_code="zto", tracking_number="731234567890"
    )

    api_client.force_authenticate(staff)
    everything = api_client.get(reverse("api-shipment-list"))
    api_client.force_authenticate(UserFactory())
    shopper_call = api_client.get(reverse("api-shipment-list"))
    api_client.force_authenticate(None)
    anonymous = api_client.get(reverse("api-shipment-list"))

    assert everything.json()["count"] == 2
    assert shopper_call.status_code == 403
    assert anonymous.status_code == 401
