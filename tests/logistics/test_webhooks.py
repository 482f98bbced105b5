"""Carrier push webhooks over HTTP: generic HMAC feed and the Kuaidi100 adapter."""

import json
import time
from urllib.parse import urlencode

import pytest

from apps.logistics.models import Shipment, TrackingEvent, TrackingFeed
from apps.logistics.services.webhooks import generic_signature, kuaidi100_sign, kuaidi100_status
from apps.orders.models import Order
from tests.logistics.tracking_helpers import NUMBER, ship

SECRET = "feed-secret-123"
URL = "/api/v1/logistics/webhooks/{}/"


@pytest.fixture
def generic_feed(db):
    return TrackingFeed.objects.create(
        code="agg", name="聚合平台", adapter=TrackingFeed.Adapter.GENERIC, secret=SECRET
    )


@pytest.fixture
def k100_feed(db):
    return TrackingFeed.objects.create(
        code="kd100", name="快递100", adapter=TrackingFeed.Adapter.KUAIDI100, secret=SECRET
    )


def push(client, events, *, secret=SECRET, timestamp=None, code="agg"):
    body = json.dumps({"events": events}).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        URL.format(code),
        data=body,
        content_type="application/json",
        HTTP_X_TIANJIAN_TIMESTAMP=stamp,
        HTTP_X_TIANJIAN_SIGNATURE=generic_signature(secret=secret, timestamp=stamp, body=body),
    )


def scan(status="in_transit", time_="2026-11-20T08:30:00+08:00", **kw):
    return {
        "carrier": "sf",
        "tracking_number": NUMBER,
        "time": time_,
        "status": status,
        "location": "杭州转运中心",
        "text": kw.pop("text", "快件到达杭州转运中心"),
        **kw,
    }


def test_signed_push_stores_events_once(client, generic_feed, order_a):
    shipment = ship(order_a)
    events = [
        scan("collected", "2026-11-20T06:00:00+08:00", text="揽收"),
        scan(),
        scan("delivered", "2026-11-21T10:00:00+08:00", text="本人签收"),
    ]
    response = push(client, events)
    assert response.status_code == 200
    body = response.json()
    assert (body["received"], body["created"], body["duplicates"], body["rejected"]) == (3, 3, 0, 0)
    # the aggregator retries the same push: nothing new
    again = push(client, events).json()
    assert (again["created"], again["duplicates"]) == (0, 3)
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 3
    shipment.refresh_from_db()
    order_a.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert order_a.status == Order.Status.DELIVERED


def test_event_with_source_id_dedups_by_id(client, generic_feed, order_a):
    shipment = ship(order_a)
    push(client, [scan(id="evt-1")])
    push(client, [scan(id="evt-1", text="文字改了，同一条轨迹")])
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1


@pytest.mark.parametrize(
    ("secret", "age", "message"),
    [("wrong-secret", 0, "签名错误。"), (SECRET, 600, "请求已过期（时间戳超出允许范围）。")],
)
def test_bad_or_expired_signature_is_refused(client, generic_feed, order_a, secret, age, message):
    shipment = ship(order_a)
    response = push(client, [scan()], secret=secret, timestamp=int(time.time()) - age)
    assert response.status_code == 401
    assert response.json() == {"code": "logistics_bad_signature", "message": message, "fields": {}}
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 0


def test_missing_signature_is_refused(client, generic_feed):
    response = client.post(URL.format("agg"), data={"events": []}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "logistics_bad_signature"


def test_tampered_body_is_refused(client, generic_feed, order_a):
    ship(order_a)
    stamp = str(int(time.time()))
    signed = json.dumps({"events": [scan()]}).encode()
    sent = json.dumps({"events": [scan("delivered")]}).encode()
    response = client.post(
        URL.format("agg"),
        data=sent,
        content_type="application/json",
        HTTP_X_TIANJIAN_TIMESTAMP=stamp,
        HTTP_X_TIANJIAN_SIGNATURE=generic_signature(secret=SECRET, timestamp=stamp, body=signed),
    )
    assert response.status_code == 401
    assert TrackingEvent.objects.count() == 0


def test_unknown_feed_is_404(client, db):
    response = client.post(URL.format("nope"), data={}, content_type="application/json")
    assert response.status_code == 404


def test_unknown_shipment_and_bad_item_reported_per_event(client, generic_feed, order_a):
    shipment = ship(order_a)
    response = push(
        client,
        [
            scan(tracking_number="SF9999999999999"),
            scan(time_="2026-11-20 08:30:00"),
            scan(status="teleported"),
            scan(),
        ],
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["result"]) for r in results] == [
        (0, "not_found"),
        (1, "invalid"),
        (2, "invalid"),
        (3, "created"),
    ]
    assert results[0]["message"] == "包裹不存在"
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1


def test_body_without_events_is_400(client, generic_feed):
    body = b'{"items": []}'
    stamp = str(int(time.time()))
    response = client.post(
        URL.format("agg"),
        data=body,
        content_type="application/json",
        HTTP_X_TIANJIAN_TIMESTAMP=stamp,
        HTTP_X_TIANJIAN_SIGNATURE=generic_signature(secret=SECRET, timestamp=stamp, body=body),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "logistics_invalid_event"


# --- Kuaidi100 ---------------------------------------------------------------------------------


def k100_param(state="0", data=None, nu=NUMBER, com="shunfeng"):
    return json.dumps(
        {
            "status": "polling",
            "billstatus": "got",
            "message": "",
            "lastResult": {
                "message": "ok",
                "state": state,
                "status": "200",
                "ischeck": "0",
                "com": com,
                "nu": nu,
                "data": data
                if data is not None
                else [
                    {
                        "context": "[杭州市]快件已到达杭州转运中心",
                        "time": "2026-11-20 08:30:00",
                        "ftime": "2026-11-20 08:30:00",
                        "status": "在途",
                        "areaName": "浙江,杭州市",
                    },
                    {
                        "context": "[金华市]顺丰速运已收取快件",
                        "time": "2026-11-19 18:00:00",
                        "ftime": "2026-11-19 18:00:00",
                        "status": "揽收",
                        "areaName": "浙江,金华市",
                    },
                ],
            },
        },
        ensure_ascii=False,
    )


def k100_post(client, param, sign=None, code="kd100"):
    sign = kuaidi100_sign(param=param, secret=SECRET) if sign is None else sign
    # Kuaidi100 posts an urlencoded form.
    return client.post(
        URL.format(code),
        data=urlencode({"param": param, "sign": sign}),
        content_type="application/x-www-form-urlencoded",
    )


def test_kuaidi100_push_with_good_sign(client, k100_feed, order_a):
    shipment = ship(order_a)
    response = k100_post(client, k100_param())
    assert response.status_code == 200
    body = response.json()
    assert (body["result"], body["returnCode"], body["message"]) == (True, "200", "成功")
    assert body["created"] == 2
    events = list(TrackingEvent.objects.filter(shipment=shipment))
    assert [(e.status, e.location) for e in events] == [
        ("collected", "浙江,金华市"),
        ("in_transit", "浙江,杭州市"),
    ]
    # Beijing time 08:30 is 00:30 UTC
    assert events[1].occurred_at.isoformat() == "2026-11-20T00:30:00+00:00"
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.IN_TRANSIT


def test_kuaidi100_full_history_resent_adds_only_new_scan(client, k100_feed, order_a):
    shipment = ship(order_a)
    k100_post(client, k100_param())
    signed_for = {
        "context": "已签收，签收人：本人",
        "ftime": "2026-11-21 09:00:00",
        "time": "2026-11-21 09:00:00",
        "status": "签收",
        "areaName": "浙江,杭州市",
    }
    first = json.loads(k100_param())["lastResult"]["data"]
    body = k100_post(client, k100_param(state="3", data=[signed_for, *first])).json()
    assert (body["created"], body["duplicates"]) == (1, 2)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED


def test_kuaidi100_bad_sign_is_refused(client, k100_feed, order_a):
    shipment = ship(order_a)
    response = k100_post(client, k100_param(), sign="0" * 32)
    assert response.status_code == 401
    assert response.json() == {"result": False, "returnCode": "401", "message": "签名错误。"}
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 0


def test_kuaidi100_unknown_waybill_is_acknowledged_and_reported(client, k100_feed, order_a):
    response = k100_post(client, k100_param(nu="SF8888888888888"))
    assert response.status_code == 200
    body = response.json()
    assert body["result"] is True
    assert [r["result"] for r in body["results"]] == ["not_found", "not_found"]
    assert TrackingEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("揽收", "collected"),
        ("在途", "in_transit"),
        ("派件", "out_for_delivery"),
        ("签收", "delivered"),
        ("退签", "returned"),
        ("退回", "returned"),
        ("疑难", "exception"),
        ("拒签", "exception"),
        ("转投", "in_transit"),
    ],
)
def test_kuaidi100_status_words(text, expected):
    assert kuaidi100_status(text) == expected
