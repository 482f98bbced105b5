"""Cold-chain temperature readings: ranges, flagging, the API and the timelines."""

from decimal import Decimal

import pytest

from apps.accounts.models import Notification
from apps.catalog.models import Product
from apps.logistics.models import ShipmentEvent, TemperatureReading
from apps.logistics.services.temperature import (
    ReadingInput,
    TemperatureRange,
    product_temperature_range,
    shipment_temperature_range,
    temperature_readings_record,
)
from apps.logistics.tracking_selectors import shipment_timeline
from tests.logistics.tracking_helpers import cold_chain_order, hours_ago, ship

D = Decimal


@pytest.mark.parametrize(
    ("storage", "low", "high", "expected"),
    [
        ("chilled", None, None, TemperatureRange(D(0), D(8))),
        ("frozen", None, None, TemperatureRange(D(-40), D(-15))),
        ("ambient", None, None, None),
        ("chilled", D("2"), None, TemperatureRange(D(2), D(8))),
        ("ambient", D("10"), D("25"), TemperatureRange(D(10), D(25))),
    ],
)
def test_product_range_from_own_limits_or_storage_default(storage, low, high, expected):
    product = Product(storage=storage, temperature_min=low, temperature_max=high)
    assert product_temperature_range(product) == expected


def test_shipment_range_is_intersection_of_its_products(shopper, address, store_a):
    from apps.orders.models import DeliveryOption
    from tests.logistics.conftest import make_sku, paid_order

    DeliveryOption.objects.create(store=store_a, method="express", is_cold_chain=True)
    milk = make_sku(store_a, storage="chilled")  # 0..8
    cheese = make_sku(store_a, storage="chilled", temperature_min=D("2"), temperature_max=D("6"))
    rice = make_sku(store_a)  # ambient: no limit
    order = paid_order(shopper, address, (milk, 1), (cheese, 1), (rice, 1), key="intersect-key")
    shipment = ship(order)
    assert shipment_temperature_range(shipment) == TemperatureRange(D(2), D(6))


def readings(*values):
    return [ReadingInput(measured_at=hours_ago(10 - i), celsius=D(v)) for i, v in enumerate(values)]


def test_out_of_range_flags_once_logs_and_notifies(shopper, address, store_a, merchant_a):
    order = cold_chain_order(shopper, address, store_a, key="flag", storage="frozen")
    shipment = ship(order)
    outcome = temperature_readings_record(
        shipment=shipment, readings=readings("-18.0", "-12.5", "-20.0"), source="api"
    )
    assert outcome == {
        "created": 3,
        "duplicates": 0,
        "out_of_range": 1,
        "range": {"min": D(-40), "max": D(-15)},
    }
    shipment.refresh_from_db()
    assert shipment.has_temperature_alert is True
    alert = ShipmentEvent.objects.get(shipment=shipment, kind="temperature_alert")
    assert alert.reason == "温度超出范围：-12.5 °C（要求 -40～-15 °C）"
    assert Notification.objects.filter(user=merchant_a).count() == 1
    # more bad readings later: still one alert event, one notice
    temperature_readings_record(shipment=shipment, readings=readings("-1", "0", "1"), source="api")
    assert ShipmentEvent.objects.filter(shipment=shipment, kind="temperature_alert").count() == 1
    assert Notification.objects.filter(user=merchant_a).count() == 1


def test_readings_in_range_do_not_flag(shopper, address, store_a):
    order = cold_chain_order(shopper, address, store_a, key="ok", storage="chilled")
    shipment = ship(order)
    temperature_readings_record(shipment=shipment, readings=readings("0", "4", "8"), source="csv")
    shipment.refresh_from_db()
    assert shipment.has_temperature_alert is False
    assert TemperatureReading.objects.filter(is_out_of_range=True).count() == 0


def test_timeline_shows_out_of_range_readings(shopper, address, store_a):
    order = cold_chain_order(shopper, address, store_a, key="timeline", storage="chilled")
    shipment = ship(order)
    temperature_readings_record(shipment=shipment, readings=readings("4", "11.5"), source="csv")
    entries = shipment_timeline(shipment=shipment)
    assert [(e.kind, e.text, e.is_alert) for e in entries] == [("temperature", "11.5 °C", True)]


URL = "/api/v1/shipments/{}/temperature/"


def test_api_posts_readings_and_lists_them(api_client, shopper, address, store_a, merchant_a):
    order = cold_chain_order(shopper, address, store_a, key="api", storage="chilled")
    shipment = ship(order)
    api_client.force_authenticate(merchant_a)
    body = {
        "readings": [
            {"time": "2026-11-20T08:00:00+08:00", "celsius": "3.5"},
            {"time": "2026-11-20T08:10:00+08:00", "celsius": "9.0"},
        ]
    }
    response = api_client.post(URL.format(shipment.pk), body, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "created": 2,
        "duplicates": 0,
        "out_of_range": 1,
        "range": {"min": "0.0", "max": "8.0"},
        "has_temperature_alert": True,
    }
    listed = api_client.get(URL.format(shipment.pk)).json()
    assert [(r["celsius"], r["is_out_of_range"]) for r in listed] == [("3.5", False), ("9.0", True)]


def test_api_refuses_whole_batch_on_a_bad_reading(
    api_client, shopper, address, store_a, merchant_a
):
    order = cold_chain_order(shopper, address, store_a, key="api-bad", storage="chilled")
    shipment = ship(order)
    api_client.force_authenticate(merchant_a)
    body = {
        "readings": [
            {"time": "2026-11-20T08:00:00+08:00", "celsius": "3.5"},
            {"time": "2026-11-20T08:10:00+08:00", "celsius": "95.0"},
        ]
    }
    response = api_client.post(URL.format(shipment.pk), body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"readings[1]": ["温度无效（-80 到 80 之间的数字）。"]}
    assert TemperatureReading.objects.count() == 0


def test_api_other_store_is_404(api_client, shopper, address, store_a, merchant_b):
    order = cold_chain_order(shopper, address, store_a, key="api-404", storage="chilled")
    shipment = ship(order)
    api_client.force_authenticate(merchant_b)
    body = {"readings": [{"time": "2026-11-20T08:00:00+08:00", "celsius": "30"}]}
    assert api_client.post(URL.format(shipment.pk), body, format="json").status_code == 404
    assert TemperatureReading.objects.count() == 0
    shipment.refresh_from_db()
    assert shipment.has_temperature_alert is False
