"""A merchant ships a paid order in the admin, the carrier pushes a scan, and the shopper sees
it on the order's timeline.

Real pages in the Debian chromium; the scan is a signed POST over HTTP to the live server's
webhook endpoint, as a carrier's aggregator would send it.
"""

import json
import time
import urllib.request

import pytest
from django.utils import timezone

from apps.logistics.models import Shipment, TrackingEvent, TrackingFeed
from apps.logistics.services.webhooks import generic_signature
from apps.orders.models import Order
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.stores.services import store_member_add
from tests.browser.conftest import PHONE, log_in
from tests.factories import ProductFactory, StoreFactory, UserFactory

PASSWORD = "pass-Word-123"
FEED_SECRET = "feed-secret-for-the-browser-test"


@pytest.fixture
def paid_order(db):
    from apps.core.roles import roles_sync
    from apps.orders.services.divisions import divisions_load
    from tests.orders.conftest import COUNTIES, fill_cart, make_address, place

    # A live-server test runs on a flushed database: load what the journey needs.
    roles_sync()
    divisions_load(prefixes=COUNTIES)
    from tests.logistics.conftest import carriers_ensure

    carriers_ensure()
    store = StoreFactory(name="五常稻米合作社", slug="wuchang-rice")
    merchant = UserFactory(email="merchant@example.com", name="合作社店长")
    store_member_add(store=store, user=merchant, role="owner")
    rice = ProductFactory(
        store=store, title="五常稻花香大米 5kg", skus=[{"spec": "5kg/袋", "price": "59.90"}]
    )
    shopper = UserFactory(email="buyer@example.com", name="王小明")
    address = make_address(shopper)
    fill_cart(shopper, (rice.skus.get(), 2))
    payment_order = place(shopper, address, key="browser-ship-0001")
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    TrackingFeed.objects.create(
        code="aggregator", name="聚合平台", adapter="generic", secret=FEED_SECRET
    )
    return payment_order.orders.get()


def push_scan(base_url: str, *, tracking_number: str, text: str, at) -> dict:
    body = json.dumps(
        {
            "events": [
                {
                    "carrier": "sf",
                    "tracking_number": tracking_number,
                    "time": at.isoformat(),
                    "status": "in_transit",
                    "location": "哈尔滨转运中心",
                    "text": text,
                }
            ]
        },
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        f"{base_url}/api/v1/logistics/webhooks/aggregator/",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Tianjian-Timestamp": timestamp,
            "X-Tianjian-Signature": generic_signature(
                secret=FEED_SECRET, timestamp=timestamp, body=body
            ),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_merchant_ships_in_the_admin_carrier_pushes_shopper_sees_timeline(
    live_server, browser, expect, paid_order, tmp_path
):
    # the merchant opens the order in the admin and ships it with 顺丰
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    admin = desk.new_page()
    admin.set_default_timeout(15_000)
    log_in(admin, live_server.url, "merchant@example.com", PASSWORD, next_path="/admin/")
    admin.goto(f"{live_server.url}/admin/orders/order/{paid_order.pk}/change/")
    admin.get_by_role("link", name="发货").first.click()
    admin.wait_for_url("**/ship/**")
    admin.locator("select[name=carrier]").select_option("sf")
    admin.locator("input[name=tracking_number]").fill("sf1234 5678 9012")
    admin.screenshot(path=str(tmp_path / "ship-form.png"), full_page=True)
    admin.get_by_role("button", name="确认发货").click()
    expect(admin.locator(".messagelist")).to_contain_text("SF123456789012")
    desk.close()

    shipment = Shipment.objects.get(order=paid_order)
    assert shipment.tracking_number == "SF123456789012"
    paid_order.refresh_from_db()
    assert paid_order.status == Order.Status.SHIPPED

    # the carrier's aggregator pushes a scan (twice: a retry must not duplicate it)
    scanned_at = timezone.localtime().replace(microsecond=0)
    for _ in range(2):
        push_scan(
            live_server.url,
            tracking_number="SF123456789012",
            text="快件已到达哈尔滨转运中心",
            at=scanned_at,
        )
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1

    # the shopper sees the parcel and the scan on the order page
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "buyer@example.com", PASSWORD)
    page.goto(live_server.url + paid_order.get_absolute_url())
    parcel = page.locator(".o-parcel")
    expect(parcel).to_contain_text("顺丰速运")
    expect(parcel).to_contain_text("SF123456789012")
    expect(parcel.locator(".o-timeline li").first).to_contain_text("快件已到达哈尔滨转运中心")
    expect(parcel).to_contain_text("运输中")
    page.screenshot(path=str(tmp_path / "order-timeline-phone.png"), full_page=True)
    phone.close()
