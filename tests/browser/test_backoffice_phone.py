"""On a 390 px phone: a merchant's workbench and order list keep their counts, status and the
发货 link in view without sideways scrolling; a shopper chooses a quantity and reaches
立即购买 on the product page."""

import pytest
from django.contrib.auth.models import Group

from apps.core.roles import MERCHANT, roles_sync
from tests.browser.conftest import PHONE, log_in
from tests.logistics.conftest import paid_order
from tests.orders.conftest import address, divisions, make_sku  # noqa: F401 (fixtures)

PASSWORD = "phone-test-2026"


@pytest.fixture
def merchant(merchant_a):
    roles_sync()
    merchant_a.is_staff = True
    merchant_a.set_password(PASSWORD)
    merchant_a.save()
    merchant_a.groups.add(Group.objects.get(name=MERCHANT))
    return merchant_a


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_merchant_works_from_a_phone(
    live_server,
    browser,
    expect,
    merchant,
    shopper,
    address,  # noqa: F811
    store_a,
    tmp_path,
):
    rice = make_sku(store_a, price="10.00", stock=50, title="五常大米")
    order = paid_order(shopper, address, (rice, 2), key="phone-key-0001")
    page = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True).new_page()
    page.set_default_timeout(15_000)

    log_in(page, live_server.url, merchant.email, PASSWORD, next_path="/admin/")

    expect(page.locator("#site-name")).to_contain_text("田间商家后台")
    tile = page.locator(".tj-tile", has_text="待发货订单")
    expect(tile.locator(".tj-count")).to_have_text("1")
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "workbench-phone.png"), full_page=True)

    tile.locator("a").click()
    row = page.locator("#result_list tbody tr", has_text=order.number)
    expect(row.locator(".field-status")).to_be_visible()
    expect(row.locator(".field-ship_link a")).to_be_visible()
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "orders-phone.png"), full_page=True)


def test_shopper_chooses_a_quantity_and_buys_now_on_a_phone(
    live_server, browser, expect, store_a, tmp_path
):
    rice = make_sku(store_a, price="10.00", stock=50, title="五常大米")
    page = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True).new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{live_server.url}/p/{rice.product_id}/")

    quantity = page.locator("#add-to-cart input[name=quantity]")
    expect(quantity).to_be_visible()
    expect(page.locator("#add-to-cart button[name=buy_now]")).to_be_visible()
    expect(page.locator(".buy-bar button[name=buy_now]")).to_be_visible()
    page.screenshot(path=str(tmp_path / "product-phone.png"), full_page=True)
    quantity.fill("3")
    page.locator(".buy-bar button", has_text="加入购物车").click()
    page.goto(f"{live_server.url}/cart/")
    expect(page.locator("input[name=quantity]").first).to_have_value("3")
