"""A shopper buys from two stores in one checkout, pays once in the sandbox cashier and sees
two paid orders.

Real pages end to end, in the Debian chromium through Playwright against pytest-django's live
server. The cashier's click queues the sandbox task (eager here), which POSTs an HMAC-signed
notify over HTTP back to the live server: the same path a worker would take.
"""

import pytest

from apps.orders.models import Order, PaymentOrder
from apps.payments.models import Payment, PaymentNotification
from tests.browser.conftest import PHONE, log_in, sync_api
from tests.factories import ProductFactory, StoreFactory, UserFactory

PASSWORD = "pass-Word-123"


@pytest.fixture
def market(db):
    from apps.orders.services.divisions import divisions_load
    from tests.orders.conftest import COUNTIES, make_address

    # A live-server test runs on a flushed database: load the few divisions addresses need.
    divisions_load(prefixes=COUNTIES)

    coop = StoreFactory(name="五常稻米合作社", slug="wuchang-rice")
    farm = StoreFactory(name="赣南脐橙家庭农场", slug="gannan-orange", county_code="360732")
    rice = ProductFactory(
        store=coop, title="五常稻花香大米 5kg", skus=[{"spec": "5kg/袋", "price": "59.90"}]
    )
    oranges = ProductFactory(
        store=farm, title="赣南脐橙 10斤装", skus=[{"spec": "10斤", "price": "69.90"}]
    )
    shopper = UserFactory(email="buyer@example.com", name="王小明")
    make_address(shopper)
    return {"rice": rice, "oranges": oranges, "shopper": shopper}


def test_shopper_buys_from_two_stores_pays_in_the_sandbox_and_sees_two_paid_orders(
    live_server, settings, browser, market, tmp_path
):
    settings.SITE_URL = live_server.url
    expect = sync_api.expect
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)

    # log in
    log_in(page, live_server.url, "buyer@example.com", PASSWORD)
    expect(page.locator("header .user-nav")).to_contain_text("我的")

    # put one product of each store in the cart
    for product in (market["rice"], market["oranges"]):
        page.goto(live_server.url + product.get_absolute_url())
        # On a phone the sticky buy bar's button submits the page's add-to-cart form.
        page.locator("button:visible", has_text="加入购物车").first.click()
        expect(page.locator(".messages")).to_contain_text("已加入购物车")

    # the cart shows both stores; check out to the saved address
    page.goto(live_server.url + "/cart/")
    expect(page.locator("main")).to_contain_text("五常稻米合作社")
    expect(page.locator("main")).to_contain_text("赣南脐橙家庭农场")
    page.get_by_role("link", name="去结算").click()
    page.wait_for_url("**/checkout/")
    page.get_by_role("button", name="提交订单").click()

    # one payment for both store orders
    page.wait_for_url("**/pay/*/")
    expect(page.get_by_test_id("payment-amount")).to_have_text("¥129.80")
    page.screenshot(path=str(tmp_path / "pay-phone.png"), full_page=True)
    page.get_by_test_id("pay-submit").click()

    # the sandbox cashier: pay
    page.wait_for_url("**/pay/sandbox/*/")
    expect(page.get_by_test_id("cashier-amount")).to_have_text("¥129.80")
    page.get_by_role("button", name="支付成功").click()

    # the result page: paid, and both store orders now wait for shipping
    page.wait_for_url("**/result/")
    expect(page.get_by_test_id("payment-status")).to_have_text("支付成功")
    statuses = page.get_by_test_id("order-status")
    expect(statuses).to_have_count(2)
    expect(statuses.nth(0)).to_have_text("待发货")
    expect(statuses.nth(1)).to_have_text("待发货")
    page.screenshot(path=str(tmp_path / "result-phone.png"), full_page=True)

    payment_order = PaymentOrder.objects.get(buyer=market["shopper"])
    assert payment_order.status == "paid"
    assert sorted(
        Order.objects.filter(payment_order=payment_order).values_list("store__slug", "status")
    ) == [("gannan-orange", "paid"), ("wuchang-rice", "paid")]
    assert Payment.objects.get().status == "paid"
    assert PaymentNotification.objects.get().result == "ok"
    context.close()
