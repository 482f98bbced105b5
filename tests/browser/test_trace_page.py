"""A shopper scans the QR code on a bag of rice: the trace page on a phone.

Drives the Debian chromium through Playwright's sync API against pytest-django's live server.
Set TRACE_SCREENSHOT_DIR to keep the screenshots (they go to tmp_path otherwise).
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from apps.core.roles import roles_sync
from apps.traceability.models import Certificate, Inspection, Location, Party, TraceEvent
from apps.traceability.services.certificates import certificate_issue
from apps.traceability.services.codes import trace_codes_generate
from apps.traceability.services.events import EventLotInput, trace_event_record
from apps.traceability.services.inspections import ItemInput, inspection_record
from apps.traceability.services.lots import lot_create, lot_recall
from apps.traceability.services.records import input_application_record, location_save, party_save
from tests.browser.conftest import PHONE, sync_api
from tests.factories import ProductFactory, StoreFactory


@pytest.fixture
def rice_lot(db):
    """A certified lot of rice with a farm record, a lab test and a cold-chain shipment."""
    roles_sync()
    today = timezone.localdate()
    store = StoreFactory(name="五常稻米合作社", slug="wuchang-rice")
    product = ProductFactory(store=store, title="黑龙江五常稻花香大米 5kg")
    producer = party_save(
        party=Party(
            store=store, kind=Party.Kind.COOPERATIVE, name="五常市稻香合作社", phone="13812345678"
        ),
        actor=None,
    )
    plot = location_save(
        location=Location(
            store=store, kind=Location.Kind.PLOT, name="民乐乡三号田", division_code="230184"
        ),
        actor=None,
    )
    input_application_record(
        store=store,
        plot=plot,
        input_type="pesticide",
        product_name="吡虫啉可湿性粉剂",
        active_ingredient="吡虫啉",
        registration_number="PD20080001",
        dose="每亩 20 克",
        applied_on=today - timedelta(days=40),
        safety_interval_days=14,
        actor=None,
    )
    lot = lot_create(
        store=store,
        lot_number="WC-2026-0918",
        product=product,
        producer=producer,
        plot=plot,
        harvest_date=today - timedelta(days=6),
        quantity=Decimal("1200"),
        skus=list(product.skus.all()),
        actor=None,
    )
    inspection_record(
        lot=lot,
        kind=Inspection.Kind.LAB,
        lab_name="五常市农产品质量安全检测站",
        inspected_on=today - timedelta(days=4),
        items=[
            ItemInput(
                substance="吡虫啉",
                result_text="未检出",
                result_value=Decimal("0"),
                limit_value=Decimal("0.05"),
            )
        ],
        actor=None,
    )
    certificate_issue(lot=lot, basis=Certificate.Basis.ENTRUSTED_TEST, actor=None)
    for step, extra in [
        (TraceEvent.BusinessStep.PACKING, {"note": "5kg 真空包装"}),
        (TraceEvent.BusinessStep.STORING, {"temperature_c": "12"}),
        (TraceEvent.BusinessStep.SHIPPING, {"temperature_c": "8", "vehicle": "黑A12345"}),
    ]:
        trace_event_record(
            store=store, business_step=step, lots=[EventLotInput(lot=lot)], actor=None, extra=extra
        )
    return lot


def _open(browser, url, shots: Path, name: str, on_request=None):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    if on_request is not None:
        page.on("request", on_request)
    response = page.goto(url)
    page.screenshot(path=str(shots / name), full_page=True)
    return context, page, response


def test_shopper_scans_a_bag_of_rice_on_a_phone(live_server, browser, rice_lot, tmp_path):
    expect = sync_api.expect
    shots = Path(os.environ.get("TRACE_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    batch = trace_codes_generate(lot=rice_lot, quantity=3, actor=None)
    package_code = batch.codes.order_by("package_number").first().code
    server_host = urlsplit(live_server.url).netloc
    foreign: list[str] = []

    context, page, response = _open(
        browser,
        f"{live_server.url}/t/{package_code}",
        shots,
        "trace-phone.png",
        on_request=lambda r: (
            foreign.append(r.url) if urlsplit(r.url).netloc != server_host else None
        ),
    )

    assert response.status == 200
    expect(page.locator("h1")).to_have_text("黑龙江五常稻花香大米 5kg")
    expect(page.get_by_test_id("integrity-badge")).to_have_text("✓ 记录未被篡改")
    expect(page.locator(".trace-certificate")).to_contain_text("委托检测")
    expect(page.locator(".trace-facts").first).to_contain_text("138****5678")
    expect(page.locator(".trace-timeline li")).to_have_count(1 + 1 + 1 + 1 + 3)
    expect(page.locator(".trace-stages li.is-done")).to_have_count(5)
    expect(page.get_by_test_id("scan-count")).to_contain_text("扫码 1 次，首次扫码于")
    expect(page.locator(".trace-alert")).to_have_count(0)
    # laid out for the phone: nothing wider than the screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert foreign == []
    context.close()

    # the merchant recalls the lot: the same code now shows the red banner
    lot_recall(lot=rice_lot, actor=None, reason="抽检发现镉超标")
    context, page, _ = _open(
        browser, f"{live_server.url}/t/{package_code}", shots, "trace-recalled-phone.png"
    )
    banner = page.locator(".trace-alert")
    expect(banner).to_contain_text("该批次已召回")
    expect(banner).to_contain_text("抽检发现镉超标")
    colour = banner.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(201, 42, 42)"
    context.close()

    # a mistyped code: the friendly 404
    context, page, response = _open(
        browser, f"{live_server.url}/t/WRONGCODE", shots, "trace-404-phone.png"
    )
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("没有找到这个追溯码")
    context.close()
