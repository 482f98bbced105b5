"""Lists and parcel pages make a fixed number of queries, whatever the number of rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.logistics.models import TemperatureReading, TrackingEvent
from apps.logistics.services.shipments import shipment_create
from tests.logistics.conftest import paid_order
from tests.logistics.test_pickup import (  # noqa: F401 (fixtures)
    clerk,
    parcel,
    pickup_order,
    point,
    ship_to_point,
)
from tests.logistics.test_shipments_admin import merchants  # noqa: F401 (fixtures)
from tests.orders.conftest import make_sku

pytestmark = pytest.mark.django_db


def queries_of(request) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200
    return len(captured.captured_queries)


def ship_one(merchant, shopper, address, store, index: int):
    order = paid_order(
        shopper, address, (make_sku(store, stock=9), 1), key=f"count-key-{index:04d}"
    )
    return shipment_create(
        order=order, actor=merchant, carrier_code="sf", tracking_number=f"SF12345678900{index}"
    )


def test_parcel_lists_do_not_query_per_parcel(
    client,
    api_client,
    merchants,  # noqa: F811
    shopper,
    address,
    store_a,
):
    merchant_a, _ = merchants
    client.force_login(merchant_a)
    api_client.force_authenticate(merchant_a)
    admin_list = reverse("admin:logistics_shipment_changelist")
    api_list = reverse("api-shipment-list")
    ship_one(merchant_a, shopper, address, store_a, 1)
    one = (
        queries_of(lambda: client.get(admin_list)),
        queries_of(lambda: api_client.get(api_list)),
    )

    for index in (2, 3, 4):
        ship_one(merchant_a, shopper, address, store_a, index)
    four = (
        queries_of(lambda: client.get(admin_list)),
        queries_of(lambda: api_client.get(api_list)),
    )

    assert api_client.get(api_list).json()["count"] == 4
    assert four == one


def test_scans_and_readings_api_read_each_table_once(
    api_client,
    merchants,  # noqa: F811
    shopper,
    address,
    store_a,
):
    merchant_a, _ = merchants
    shipment = ship_one(merchant_a, shopper, address, store_a, 1)
    now = timezone.now()
    for hours in (1, 2):
        TrackingEvent.objects.create(
            shipment=shipment,
            occurred_at=now - timedelta(hours=hours),
            status="in_transit",
            source="manual",
            dedup_key=f"k{hours}",
        )
        TemperatureReading.objects.create(
            shipment=shipment, measured_at=now - timedelta(hours=hours), celsius=Decimal("3.0")
        )
    api_client.force_authenticate(merchant_a)

    for name in ("api-shipment-tracking", "api-shipment-temperature"):
        url = reverse(name, args=[shipment.pk])
        # the parcel, its lines, scans and readings (prefetched by shipment_get_for_user)
        assert queries_of(lambda url=url: api_client.get(url)) <= 4


def test_pickup_page_does_not_query_per_parcel(
    client,
    clerk,  # noqa: F811
    parcel,  # noqa: F811
    point,  # noqa: F811
    shopper,
    address,
    store_a,
):
    client.force_login(clerk)
    url = reverse("logistics:pickup")
    client.get(url)  # the header's unread count is cached from here on: both counts are hits
    one = queries_of(lambda: client.get(url))

    for index in (2, 3):
        order = paid_order(
            shopper,
            address,
            (make_sku(store_a), 1),
            key=f"count-pick-{index:04d}",
            deliveries={store_a.pk: {"method": "pickup", "pickup_point": point.pk}},
        )
        ship_to_point(order, point, f"TJ00000000000{index}")
    three = queries_of(lambda: client.get(url))

    assert len(client.get(url).context["on_the_way"]) == 3
    assert three == one
