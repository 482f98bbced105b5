"""The public tracking page and API: number + phone tail, same answer for unknown and wrong,
rate-limited; and the merchant's tracking API."""

import pytest

from apps.logistics.models import TrackingEvent
from apps.logistics.services.tracking import tracking_event_record
from tests.logistics.tracking_helpers import NUMBER, hours_ago, ship

PAGE = "/track/"
API = "/api/v1/logistics/track/"
# tests/orders/conftest.make_address: contact phone 13812345678
TAIL = "5678"


@pytest.fixture
def shipped(order_a):
    shipment = ship(order_a)
    for hours, status, text in [(5, "collected", "已揽收"), (2, "in_transit", "到达杭州转运中心")]:
        tracking_event_record(
            shipment=shipment,
            occurred_at=hours_ago(hours),
            status=status,
            text=text,
            location="杭州",
            source="manual",
        )
    return shipment


def test_page_shows_timeline_for_number_and_tail(client, shipped, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.post(PAGE, {"number": NUMBER.lower(), "phone_tail": TAIL})
    assert response.status_code == 200
    html = response.content.decode()
    assert "到达杭州转运中心" in html
    assert html.index("到达杭州转运中心") < html.index("已揽收")  # newest first
    assert "运输中" in html


@pytest.mark.parametrize(("number", "tail"), [(NUMBER, "0000"), ("SF0000000000000", TAIL)])
def test_wrong_tail_and_unknown_number_give_same_not_found(client, shipped, number, tail):
    response = client.post(PAGE, {"number": number, "phone_tail": tail})
    assert response.status_code == 404
    html = response.content.decode()
    assert "没有找到这个包裹" in html
    assert "到达杭州" not in html


def test_form_page_needs_no_login(client, db):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "收货手机号后 4 位" in response.content.decode()


def test_misses_are_rate_limited_per_ip(client, shipped, settings):
    settings.TRACK_MISS_RATE_LIMIT = "3/h"
    for _ in range(3):
        assert client.post(PAGE, {"number": NUMBER, "phone_tail": "0000"}).status_code == 404
    # now even the right tail is refused until the window passes
    response = client.post(PAGE, {"number": NUMBER, "phone_tail": TAIL})
    assert response.status_code == 429
    assert "查询过于频繁" in response.content.decode()


def test_misses_on_one_number_are_limited_across_addresses(client, shipped, settings):
    settings.TRACK_MISS_RATE_LIMIT = "3/h"
    for i in range(3):
        client.post(PAGE, {"number": NUMBER, "phone_tail": "0000"}, REMOTE_ADDR=f"10.0.0.{i}")
    response = client.post(PAGE, {"number": NUMBER, "phone_tail": TAIL}, REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429


def test_api_lookup(api_client, shipped):
    response = api_client.post(API, {"tracking_number": NUMBER, "phone_tail": TAIL}, format="json")
    assert response.status_code == 200
    [parcel] = response.json()
    assert (parcel["tracking_number"], parcel["status"]) == (NUMBER, "in_transit")
    assert [e["text"] for e in parcel["timeline"]] == ["到达杭州转运中心", "已揽收"]
    wrong = api_client.post(API, {"tracking_number": NUMBER, "phone_tail": "1111"}, format="json")
    assert wrong.status_code == 404
    assert wrong.json()["message"] == "没有找到这个包裹，请核对运单号和手机号后 4 位。"


# --- Merchant tracking API --------------------------------------------------------------------

EVENTS = "/api/v1/shipments/{}/tracking/"


def test_merchant_lists_and_adds_manual_event(api_client, shipped, merchant_a):
    api_client.force_authenticate(merchant_a)
    listed = api_client.get(EVENTS.format(shipped.pk)).json()
    assert [e["status"] for e in listed] == ["collected", "in_transit"]
    body = {"time": hours_ago(1).isoformat(), "status": "out_for_delivery", "text": "派件员 张三"}
    created = api_client.post(EVENTS.format(shipped.pk), body, format="json")
    assert created.status_code == 201
    assert created.json()["created"] is True
    assert created.json()["source"] == "manual"
    repeated = api_client.post(EVENTS.format(shipped.pk), body, format="json")
    assert repeated.status_code == 200
    assert repeated.json()["created"] is False
    shipped.refresh_from_db()
    assert shipped.status == "out_for_delivery"


def test_other_merchant_cannot_add_event(api_client, shipped, merchant_b):
    api_client.force_authenticate(merchant_b)
    body = {"time": hours_ago(1).isoformat(), "status": "delivered"}
    assert api_client.post(EVENTS.format(shipped.pk), body, format="json").status_code == 404
    assert api_client.get(EVENTS.format(shipped.pk)).status_code == 404
    assert TrackingEvent.objects.filter(shipment=shipped).count() == 2
    shipped.refresh_from_db()
    assert shipped.status == "in_transit"


def test_shopper_and_anonymous_cannot_use_merchant_api(api_client, shipped, shopper):
    assert api_client.get(EVENTS.format(shipped.pk)).status_code == 401
    api_client.force_authenticate(shopper)
    assert api_client.get(EVENTS.format(shipped.pk)).status_code == 403


def test_openapi_schema_lists_tracking_paths(client, db):
    schema = client.get("/api/schema/?format=json").json()
    for path in [
        "/api/v1/shipments/{id}/tracking/",
        "/api/v1/shipments/{id}/temperature/",
        "/api/v1/logistics/webhooks/{feed_code}/",
        "/api/v1/logistics/track/",
    ]:
        assert path in schema["paths"], path
