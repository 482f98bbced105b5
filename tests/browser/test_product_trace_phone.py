"""On a 390 px phone the product page shows 溯源 (lot, harvest date, certificate, tests) with a
working link to the lot's /t/ page, and keeps the buy box (quantity, 立即购买) in view; the
store application's county picker loads province → city → county."""

from apps.traceability.models import Certificate
from apps.traceability.services.certificates import certificate_issue
from tests.browser.conftest import PHONE, log_in
from tests.factories import ProductFactory
from tests.traceability.conftest import inspect, make_lot

PASSWORD = "phone-test-2026"


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_product_page_shows_the_trace_panel_and_the_buy_box_on_a_phone(
    live_server, browser, expect, store_a, tmp_path
):
    rice = ProductFactory(store=store_a, title="五常稻花香大米")
    lot = make_lot(store_a, rice, number="WC-2026-088")
    inspect(lot, "毒死蜱")
    certificate = certificate_issue(lot=lot, basis=Certificate.Basis.QUALITY_CONTROL, actor=None)
    page = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True).new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{live_server.url}/p/{rice.pk}/")

    expect(page.locator("#add-to-cart input[name=quantity]")).to_be_visible()
    expect(page.locator("#add-to-cart button[name=buy_now]")).to_be_visible()
    panel = page.locator(".pd-trace")
    panel.scroll_into_view_if_needed()
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("WC-2026-088")
    expect(panel).to_contain_text(lot.harvest_date.strftime("%Y-%m-%d"))
    expect(panel).to_contain_text(certificate.number)
    expect(panel).to_contain_text("快速检测合格")
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "product-trace-phone.png"), full_page=True)

    panel.locator("a", has_text="查看溯源详情").click()
    page.wait_for_url("**/t/**")
    expect(page.locator("body")).to_contain_text("WC-2026-088")


def test_the_county_picker_cascades_on_the_application_page(live_server, browser, expect, shopper):
    shopper.set_password(PASSWORD)
    shopper.save()
    page = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True).new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, shopper.email, PASSWORD, next_path="/stores/apply/")

    page.select_option("select[name=county_code__province]", "23")
    expect(page.locator("select[name=county_code__city] option[value='2301']")).to_have_count(1)
    page.select_option("select[name=county_code__city]", "2301")
    expect(page.locator("select[name=county_code] option[value='230184']")).to_have_text("五常市")
    page.select_option("select[name=county_code]", "230184")
    # 北京市 has one "city": choosing the province fills it and lists the districts.
    page.select_option("select[name=county_code__province]", "11")
    expect(page.locator("select[name=county_code] option[value='110101']")).to_have_text("东城区")
    assert _no_sideways_scroll(page)
