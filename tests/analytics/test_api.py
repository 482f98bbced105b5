"""Read-only analytics API: scoped figures (staff: platform, merchant: own store), public
quotes, 4xx bodies for bad input."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.analytics.models import AlertThreshold, PriceObservation
from apps.analytics.services.prices import prices_aggregate

pytestmark = pytest.mark.postgres

SALES = reverse("api-analytics-sales")
TOP = reverse("api-analytics-sales-top")


def test_staff_get_the_platform_series(api_client, staff, sold):
    api_client.force_authenticate(staff)

    response = api_client.get(SALES)

    assert response.status_code == 200
    (today,) = response.json()
    assert today["period"] == timezone.localdate().isoformat()
    assert (today["gmv"], today["orders"], today["buyers"], today["quantity"]) == (
        "170.00",
        2,
        2,
        5,
    )
    assert today["average_order_value"] == "85.00"


def test_a_merchant_gets_only_their_store(api_client, merchant_a, sold):
    api_client.force_authenticate(merchant_a)

    series = api_client.get(SALES, {"grain": "month"}).json()
    stores = api_client.get(TOP, {"by": "store"}).json()
    products = api_client.get(TOP, {"by": "product"}).json()

    assert [(p["gmv"], p["orders"]) for p in series] == [("30.00", 1)]
    assert [row["name"] for row in stores] == ["五常稻米合作社"]
    assert [row["name"] for row in products] == ["五常大米"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"grain": "year"}, "grain"),
        ({"date_from": "2024-03-02", "date_to": "2024-03-01"}, "date_from"),
        ({"date_from": "yesterday"}, "date_from"),
    ],
)
def test_bad_filters_are_400_with_field_errors(api_client, staff, query, field):
    api_client.force_authenticate(staff)

    response = api_client.get(SALES, query)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_figures_need_a_store_or_the_data_permission(api_client, shopper):
    assert api_client.get(SALES).status_code in (401, 403)
    api_client.force_authenticate(shopper)
    response = api_client.get(TOP, {"by": "category"})
    assert response.status_code == 403
    assert "数据看板" in response.json()["message"]


def test_public_quotes_and_a_commodity_series(api_client, quotes):
    latest = api_client.get(reverse("api-market-quotes")).json()
    series = api_client.get(
        reverse("api-market-commodity-prices", args=[quotes["白菜"].pk]), {"days": 30}
    ).json()
    commodities = api_client.get(reverse("api-market-commodities")).json()

    assert {(q["commodity"], q["avg_price"], q["change_day"]) for q in latest} == {
        ("白菜", "2.50", "0.2500"),
        ("土豆", "2.50", "-0.1667"),
    }
    assert [row["avg_price"] for row in series] == ["2.00", "2.50"]
    cabbage = next(c for c in commodities["results"] if c["name"] == "白菜")
    assert (cabbage["aliases"], cabbage["is_synthetic"]) == (["大白菜"], True)


def test_a_merchant_sees_alerts_of_commodities_matching_their_products(
    api_client, quote_setup, merchant_a, merchant_b, store_a, staff
):
    # given: 白菜 maps to store A's category and jumps 20 % in a 旬; 土豆 maps to nothing
    from tests.orders.conftest import make_sku

    markets, commodities = quote_setup
    category = make_sku(store_a).product.category
    commodities["白菜"].catalog_category = category
    commodities["白菜"].save(update_fields=["catalog_category"])
    start = timezone.localdate().replace(day=1) - dt.timedelta(days=20)
    for commodity in (commodities["白菜"], commodities["土豆"]):
        for offset, price in ((0, "1.00"), (10, "1.20")):
            day = start.replace(day=5) + dt.timedelta(days=offset)
            PriceObservation.objects.create(
                market=markets["xinfadi"],
                commodity=commodity,
                date=day,
                low_price=Decimal(price),
                avg_price=Decimal(price),
                high_price=Decimal(price),
                source_unit="元/公斤",
            )
    assert AlertThreshold.objects.filter(match="蔬菜").exists()
    prices_aggregate()
    since = {"since": (start - dt.timedelta(days=40)).isoformat()}

    # when
    api_client.force_authenticate(merchant_a)
    mine = api_client.get(reverse("api-analytics-alerts"), since).json()
    api_client.force_authenticate(merchant_b)
    theirs = api_client.get(reverse("api-analytics-alerts"), since).json()
    api_client.force_authenticate(staff)
    everything = api_client.get(reverse("api-analytics-alerts"), since).json()

    # then
    assert {(a["commodity"], a["kind"], a["level_label"]) for a in mine} == {
        ("白菜", "xun", "红色")
    }
    assert theirs == []
    assert {a["commodity"] for a in everything} == {"白菜", "土豆"}
