"""A shopper on a phone: home page, search 大米, open the rice, see its price.

Drives the Debian chromium through Playwright's sync API against pytest-django's live server.
"""

from urllib.parse import urlsplit

import pytest

from apps.stores.models import StoreType
from tests.browser.conftest import PHONE, sync_api
from tests.factories import CategoryFactory, ProductFactory, StoreFactory


@pytest.fixture
def shop(db):
    """A small county shop made with factories: the rice and a few neighbours."""
    grain = CategoryFactory(name="粮油米面", slug="grain")
    rice_category = CategoryFactory(name="大米", slug="rice", parent=grain)
    fruit = CategoryFactory(name="新鲜水果", slug="fruit")
    coop = StoreFactory(name="五常稻米合作社", slug="wuchang-rice", is_featured=True)
    farm = StoreFactory(name="赣南脐橙家庭农场", slug="gannan-orange", county_code="360732")
    own = StoreFactory(name="田间自营旗舰店", slug="tianjian", type=StoreType.SELF_OPERATED)
    rice = ProductFactory(
        store=coop,
        category=rice_category,
        title="黑龙江五常稻花香大米 5kg",
        certifications=["geo_indication"],
        skus=[{"spec": "5kg/袋", "price": "59.90"}, {"spec": "10kg/箱", "price": "109.00"}],
    )
    ProductFactory(
        store=own,
        category=rice_category,
        title="五常有机长粒香米 2.5kg",
        skus=[{"spec": "2.5kg", "price": "45.80"}],
    )
    ProductFactory(
        store=farm,
        category=fruit,
        title="赣南脐橙 10斤装",
        origin_code="360732",
        origin_name="兴国县",
        skus=[{"spec": "10斤", "price": "69.90"}],
    )
    return {"rice": rice}


def test_shopper_searches_rice_on_a_phone_and_sees_its_price(live_server, browser, shop, tmp_path):
    expect = sync_api.expect
    server_host = urlsplit(live_server.url).netloc
    foreign_requests: list[str] = []

    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.on(
        "request",
        lambda request: (
            foreign_requests.append(request.url)
            if urlsplit(request.url).netloc != server_host and request.url.startswith("http")
            else None
        ),
    )
    page.set_default_timeout(10_000)

    # the home page, with the sticky search box in the header
    page.goto(live_server.url + "/")
    expect(page.locator(".hero-title")).to_have_text("从田间到餐桌")
    search_box = page.locator("header input[name=q]")
    expect(search_box).to_be_visible()

    # search 大米
    search_box.fill("大米")
    search_box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    expect(page.locator("h1")).to_have_text("“大米”的搜索结果")
    card = page.locator(".product-card-link", has_text="黑龙江五常稻花香大米 5kg")
    expect(card).to_be_visible()
    page.screenshot(path=str(tmp_path / "search-phone.png"), full_page=True)

    # open the rice and see its price
    card.click()
    page.wait_for_url(f"**/p/{shop['rice'].pk}/")
    expect(page.locator("h1.pd-title")).to_have_text("黑龙江五常稻花香大米 5kg")
    expect(page.locator(".pd-buy .price")).to_have_text("¥59.90")
    expect(page.locator(".pd-stock")).to_contain_text("库存 100")

    # pick the bigger spec: a plain link, no JavaScript needed
    page.locator(".spec-option", has_text="10kg/箱").click()
    expect(page.locator(".pd-buy .price")).to_have_text("¥109.00")
    page.screenshot(path=str(tmp_path / "product-phone.png"), full_page=True)

    # the stylesheet loaded and nothing was fetched from another host
    header_position = page.locator("header.site-header").evaluate(
        "el => getComputedStyle(el).position"
    )
    assert header_position == "sticky"
    assert foreign_requests == []
    context.close()
