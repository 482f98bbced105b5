"""CSV imports of tracking scans and temperature readings through the back-office pages."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.logistics.models import Shipment, TemperatureReading, TrackingEvent
from apps.logistics.services.imports import tracking_csv_import
from tests.logistics.tracking_helpers import NUMBER, cold_chain_order, ship

TRACKING_URL = "/logistics/tracking/import/"
TEMPERATURE_URL = "/logistics/temperature/import/"

GOOD_AND_BAD = f"""carrier,tracking_number,time,status,location,text
sf,{NUMBER},2026-11-20 06:00,collected,金华,已揽收
sf,{NUMBER},not-a-time,in_transit,杭州,到达
sf,{NUMBER},2026-11-20 12:00,teleported,杭州,?
sf,SF9999999999999,2026-11-20 12:00,in_transit,杭州,到达
sf,{NUMBER},2026-11-21 09:30,已签收,杭州,本人签收
"""


def upload(client, url, text, *, encoding="utf-8"):
    file = SimpleUploadedFile("data.csv", text.encode(encoding), content_type="text/csv")
    return client.post(url, {"file": file})


def test_broken_rows_reported_by_line_and_good_rows_kept(client, merchant_a, order_a):
    shipment = ship(order_a)
    client.force_login(merchant_a)
    response = upload(client, TRACKING_URL, GOOD_AND_BAD)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.duplicates) == (2, 0)
    assert report.errors == [
        (
            3,
            "时间无法识别：「not-a-time」。请写成 年-月-日 时:分（可带秒），如 2026-11-20 08:30 或 "
            "2026/11/20 08:30:00，按北京时间；或带时区的 ISO 8601，如 2026-11-20T08:30:00+08:00。",
        ),
        (4, "未知的轨迹状态：teleported"),
        (5, "包裹不存在"),
    ]
    assert list(shipment.tracking.values_list("status", flat=True)) == ["collected", "delivered"]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    # importing the same file again stores nothing twice
    again = upload(client, TRACKING_URL, GOOD_AND_BAD).context["report"]
    assert (again.created, again.duplicates) == (0, 2)
    assert TrackingEvent.objects.count() == 2


def test_gbk_file_is_read(client, merchant_a, order_a):
    ship(order_a)
    client.force_login(merchant_a)
    text = (
        "carrier,tracking_number,time,status,location,text\n"
        f"sf,{NUMBER},2026-11-20 06:00,在途,金华,运输中\n"
    )
    # "在途" is not a label of ours: reported, not guessed
    report = upload(client, TRACKING_URL, text, encoding="gbk").context["report"]
    assert report.errors == [(2, "未知的轨迹状态：在途")]
    text = text.replace("在途", "运输中")
    report = upload(client, TRACKING_URL, text, encoding="gbk").context["report"]
    assert (report.created, report.errors) == (1, [])


def test_other_stores_shipment_is_not_found_for_merchant(client, merchant_b, order_a):
    ship(order_a)
    client.force_login(merchant_b)
    report = upload(client, TRACKING_URL, GOOD_AND_BAD).context["report"]
    assert report.created == 0
    assert [line for line, _ in report.errors] == [2, 3, 4, 5, 6]
    assert dict(report.errors)[2] == "包裹不存在"
    assert TrackingEvent.objects.count() == 0


def test_staff_imports_any_store(client, staff, order_a):
    ship(order_a)
    client.force_login(staff)
    assert upload(client, TRACKING_URL, GOOD_AND_BAD).context["report"].created == 2


def test_missing_columns_refuse_the_file(client, merchant_a, order_a):
    ship(order_a)
    client.force_login(merchant_a)
    response = upload(client, TRACKING_URL, "number,when\nx,y\n")
    assert response.context["report"] is None
    assert response.context["form"].errors["file"] == [
        "CSV 缺少列：carrier, tracking_number, time, status"
    ]
    assert TrackingEvent.objects.count() == 0


def test_shopper_cannot_open_import_page(client, shopper):
    client.force_login(shopper)
    response = client.get(TRACKING_URL)
    assert response.status_code == 302  # to the admin login: not back-office staff


def test_failure_midway_leaves_nothing(merchant_a, order_a, monkeypatch):
    ship(order_a)
    from apps.logistics.services import tracking

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tracking, "_shipment_follow_tracking", boom)
    with pytest.raises(RuntimeError):
        tracking_csv_import(data=GOOD_AND_BAD.encode(), user=merchant_a)
    assert TrackingEvent.objects.count() == 0


def test_temperature_csv_rows_reported_and_alert_raised(
    client, merchant_a, shopper, address, store_a
):
    order = cold_chain_order(shopper, address, store_a, key="temperature-csv", storage="chilled")
    shipment = ship(order)
    client.force_login(merchant_a)
    text = f"""tracking_number,time,celsius
{NUMBER},2026-11-20 06:00,4.5
{NUMBER},2026-11-20 06:10,warm
{NUMBER},2026-11-20 06:20,9.2
SF9999999999999,2026-11-20 06:30,3
{NUMBER},2026-11-20 06:00,4.5
"""
    report = upload(client, TEMPERATURE_URL, text).context["report"]
    assert (report.created, report.duplicates, report.out_of_range) == (2, 1, 1)
    assert report.errors == [(3, "温度无效（-80 到 80 之间的数字）。"), (5, "包裹不存在")]
    assert list(TemperatureReading.objects.values_list("celsius", "is_out_of_range")) == [
        (Decimal("4.5"), False),
        (Decimal("9.2"), True),
    ]
    shipment.refresh_from_db()
    assert shipment.has_temperature_alert is True


# --- Manual scan form and push sources (admin) -----------------------------------------------


def test_merchant_adds_manual_scan_in_back_office(client, merchant_a, order_a):
    shipment = ship(order_a)
    client.force_login(merchant_a)
    url = f"/logistics/shipments/{shipment.pk}/tracking/add/"
    assert client.get(url).status_code == 200
    form = {"occurred_at": "2026-11-20 08:30", "status": "collected", "text": "上门揽收"}
    response = client.post(url, form)
    assert response.status_code == 302
    event = TrackingEvent.objects.get(shipment=shipment)
    assert (event.source, event.created_by, event.text) == ("manual", merchant_a, "上门揽收")
    assert event.occurred_at.isoformat() == "2026-11-20T00:30:00+00:00"


def test_other_merchant_gets_404_on_manual_scan(client, merchant_b, order_a):
    shipment = ship(order_a)
    client.force_login(merchant_b)
    url = f"/logistics/shipments/{shipment.pk}/tracking/add/"
    assert client.get(url).status_code == 404
    response = client.post(url, {"occurred_at": "2026-11-20 08:30", "status": "delivered"})
    assert response.status_code == 404
    assert TrackingEvent.objects.count() == 0


def test_tracking_feeds_are_for_operations_staff_only(client, staff, merchant_a):
    from django.contrib.auth.models import Group

    from apps.core.roles import FINANCE
    from tests.factories import UserFactory

    finance = UserFactory(is_staff=True)
    finance.groups.add(Group.objects.get(name=FINANCE))
    client.force_login(staff)
    assert client.get("/admin/logistics/trackingfeed/").status_code == 200
    for user in (merchant_a, finance):
        client.force_login(user)
        assert client.get("/admin/logistics/trackingfeed/").status_code == 403
