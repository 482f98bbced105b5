"""A shopper claims a coupon in the coupon centre and sees it applied at checkout, with the
total that is then charged. Real pages in the Debian chromium through Playwright."""

from decimal import Decimal

import pytest

from apps.orders.models import PaymentOrder
from apps.promotions.models import UserCoupon
from tests.browser.conftest import PHONE, log_in, sync_api
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.promotions.helpers import make_coupon

PASSWORD = "pass-Word-123"


@pytest.fixture
def market(db):
    from apps.orders.services.divisions import divisions_load
    from tests.orders.conftest import COUNTIES, make_address

    divisions_load(prefixes=COUNTIES)
    coop = StoreFactory(name="五常稻米合作社", slug="wuchang-rice")
    rice = ProductFactory(
        store=coop, title="五常稻花香大米 5kg", skus=[{"spec": "5kg/袋", "price": "59.90"}]
    )
    shopper = UserFactory(email="buyer@example.com", name="王小明")
    make_address(shopper)
    coupon = make_coupon(name="平台满50减10", amount="10.00", threshold="50.00")
    return {"rice": rice, "shopper": shopper, "coupon": coupon}


def test_shopper_claims_a_coupon_and_sees_it_applied_at_checkout(live_server, browser, market):
    expect = sync_api.expect
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "buyer@example.com", PASSWORD)

    # claim it in the coupon centre
    page.goto(live_server.url + "/coupons/")
    expect(page.locator("main")).to_contain_text("平台满50减10")
    page.get_by_role("button", name="立即领取").click()
    expect(page.locator(".messages")).to_contain_text("领取成功")

    # put the rice in the cart and go to checkout
    page.goto(live_server.url + market["rice"].get_absolute_url())
    page.locator("button:visible", has_text="加入购物车").first.click()
    expect(page.locator(".messages")).to_contain_text("已加入购物车")
    page.goto(live_server.url + "/checkout/")

    # the picker has chosen it; the totals show −¥10.00 and who funds it
    picker = page.locator("section[aria-labelledby=coupon-title]")
    expect(picker).to_contain_text("已为您选择最优组合")
    expect(picker.get_by_role("checkbox")).to_be_checked()
    expect(picker).to_contain_text("平台出资")
    expect(page.locator(".o-total")).to_have_text("¥49.90")

    # placing charges the discounted total and uses the coupon
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url("**/pay/*/")
    assert PaymentOrder.objects.get().amount == Decimal("49.90")
    assert UserCoupon.objects.get().status == "used"
    context.close()
