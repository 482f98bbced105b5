"""Figures pages: staff see the platform, a merchant only their own store (isolation), the
admin index shows the summary, each chart exports CSV; the public 行情 pages."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.postgres

FIGURES = reverse("analytics:figures")


def test_staff_see_the_whole_platform(client, staff, sold, django_assert_max_num_queries):
    client.force_login(staff)

    with django_assert_max_num_queries(20):
        response = client.get(FIGURES)

    page = response.content.decode()
    assert response.status_code == 200
    assert "平台数据看板" in page
    assert "¥170.00" in page  # 30 + 140
    assert "五常大米" in page
    assert "赣南脐橙" in page
    assert "热销店铺" in page


def test_a_merchant_sees_only_their_own_store(client, merchant_a, sold):
    client.force_login(merchant_a)

    response = client.get(FIGURES, {"days": 90, "grain": "week"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "本店数据看板" in page
    assert "¥30.00" in page
    assert "五常大米" in page
    assert "赣南脐橙" not in page
    assert "170.00" not in page
    assert "热销店铺" not in page


def test_a_merchant_csv_export_holds_only_their_store(client, merchant_b, sold):
    client.force_login(merchant_b)

    response = client.get(FIGURES, {"export": "top-product"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "热销商品,成交额(元),净销量"
    assert "赣南脐橙,140.00,2" in text
    assert "五常大米" not in text


def test_an_unknown_export_is_not_found(client, staff, sold):
    client.force_login(staff)
    assert client.get(FIGURES, {"export": "nothing"}).status_code == 404


def test_shoppers_may_not_see_figures_and_visitors_must_log_in(client, shopper, db):
    assert client.get(FIGURES).status_code == 302
    client.force_login(shopper)
    assert client.get(FIGURES).status_code == 403


def test_the_back_office_first_page_starts_with_the_figures(client, staff, merchant_a, sold):
    client.force_login(staff)
    staff_page = client.get(reverse("admin:index")).content.decode()
    merchant_a.is_staff = True
    merchant_a.save(update_fields=["is_staff"])
    client.force_login(merchant_a)
    merchant_page = client.get(reverse("admin:index")).content.decode()

    assert "平台近 30 天" in staff_page
    assert "¥170.00" in staff_page
    assert "本店近 30 天" in merchant_page
    assert "¥30.00" in merchant_page
    assert "170.00" not in merchant_page
    assert 'href="/figures/"' in merchant_page
    assert "vendor/echarts/echarts.common.min.js" in merchant_page


def test_the_public_market_page_lists_the_latest_quotes_and_movers(client, quotes):
    response = client.get(reverse("analytics:market"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "合成数据" in page
    assert "涨幅居前" in page
    # 白菜 2.00 → 2.50 (+25 %), 土豆 3.00 → 2.50 (−17 %)
    assert "+25%" in page
    assert "-17%" in page


def test_a_commodity_page_charts_its_prices_and_exports_them(client, quotes):
    url = reverse("analytics:commodity", args=[quotes["白菜"].pk])

    page = client.get(url, {"days": 30}).content.decode()
    export = client.get(url, {"days": 30, "export": "price"})

    assert "白菜 全国日均价（元/公斤）" in page
    assert 'id="option-price"' in page
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "日期,最低价,平均价,最高价,7日均价,30日均价"
    assert lines[-1].endswith(",2.50,2.50,2.50,,")


def test_a_merchant_sees_the_demand_forecast_of_their_own_categories_only(client, merchant_a, sold):
    # given: forecasts for store A's category and store B's
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from apps.analytics.models import DemandForecast

    sku_a, sku_b = sold
    today = timezone.localdate()
    for sku, quantity in ((sku_a, "7.00"), (sku_b, "900.00")):
        DemandForecast.objects.create(
            category=sku.product.category,
            region_code="230184",
            date=today + dt.timedelta(days=1),
            quantity=Decimal(quantity),
            lower=Decimal(quantity),
            upper=Decimal(quantity),
            method="seasonal_naive",
            made_on=today,
        )
    client.force_login(merchant_a)

    export = client.get(FIGURES, {"export": "forecast"}).content.decode("utf-8-sig")

    assert export.splitlines()[1].endswith(",7.00,7.00,7.00")
    assert "900" not in export
