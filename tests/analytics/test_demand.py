"""Demand (issue 15): paid quantity + wholesale requests + search terms per category × buyer
county × day, the search-term log written when the catalog announces a search (page or API,
cached page or not), and the forecasts made from demand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.analytics.models import (
    DemandDaily,
    DemandForecast,
    SearchTerm,
    SearchTermCategory,
)
from apps.analytics.services.demand import (
    demand_aggregate,
    search_term_category,
    search_term_normalize,
)
from apps.analytics.services.forecasts import demand_forecast
from apps.analytics.services.sales import sales_aggregate
from apps.core.roles import roles_sync
from apps.orders.models import Order
from apps.orders.services.cart import cart_add, cart_get_or_create
from apps.orders.services.checkout import order_place
from apps.orders.services.lifecycle import payment_order_mark_paid
from tests.analytics.conftest import buy
from tests.factories import CategoryFactory, UserFactory
from tests.orders.conftest import make_address, make_sku
from tests.wholesale.helpers import make_organisation

pytestmark = pytest.mark.postgres

SEARCH = reverse("catalog:search")
WUCHANG = "230184"


def search_terms():
    return list(SearchTerm.objects.order_by("id").values_list("term", "user_id"))


# --- the search-term log ---------------------------------------------------------------------


def test_a_search_page_logs_its_term_once_per_search_and_not_for_later_pages(
    client, shopper, store_a
):
    make_sku(store_a, title="五常大米")

    client.get(SEARCH, {"q": "  五常   大米 "})
    client.get(SEARCH, {"q": "五常 大米", "page": "2"})  # paging through is not a new search
    client.get(SEARCH, {"q": ""})
    client.force_login(shopper)
    client.get(SEARCH, {"q": "五常大米"})

    assert search_terms() == [("五常 大米", None), ("五常大米", shopper.pk)]


def test_a_search_served_from_the_page_cache_is_logged_too(client, store_a, settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 60
    make_sku(store_a, title="赣南脐橙")

    first = client.get(SEARCH, {"q": "脐橙"})
    second = client.get(SEARCH, {"q": "脐橙"})

    assert second["X-Storefront-Cache"] == "hit", first.headers
    assert search_terms() == [("脐橙", None), ("脐橙", None)]


def test_the_product_api_search_is_logged(api_client, store_a):
    make_sku(store_a, title="五常大米")

    api_client.get("/api/v1/products/", {"search": "大米"})
    api_client.get("/api/v1/products/")  # a listing, no search

    assert search_terms() == [("大米", None)]


def test_terms_are_normalised_like_the_catalog_search():
    assert search_term_normalize(" 五常  大米\t") == "五常 大米"
    assert search_term_normalize("ＡＢＣ") == "abc"  # full width, upper case
    assert len(search_term_normalize("米" * 200)) == 60


def test_a_term_means_the_category_most_of_its_best_results_are_in(store_a):
    rice, fruit = CategoryFactory(name="大米"), CategoryFactory(name="水果")
    make_sku(store_a, title="五常大米 稻花香", category=rice)
    make_sku(store_a, title="东北大米", category=rice)
    make_sku(store_a, title="大米饼干风味橙子", category=fruit)

    assert search_term_category("大米") == rice.pk
    assert search_term_category("无此商品xyz") is None


# --- the demand aggregate --------------------------------------------------------------------


@pytest.fixture
def demand(store_a, shopper, divisions, client):
    """五常市: three days ago the shopper paid 3 rice; today a wholesale buyer orders 20 rice
    and does not pay, the shopper searches 五常大米 twice (logged in) and a visitor once."""
    roles_sync()
    rice = CategoryFactory(name="大米")
    sku = make_sku(store_a, price="10.00", stock=100, title="五常大米", category=rice)
    paid_at = timezone.now() - dt.timedelta(days=3)
    (order,) = buy(shopper, [(sku, 3)], paid_at=paid_at)
    Order.objects.filter(pk=order.pk).update(created_at=paid_at)  # placed when it was paid
    wholesaler = UserFactory(name="采购员小李")
    make_organisation(user=wholesaler)
    cart = cart_get_or_create(user=wholesaler)
    cart_add(cart=cart, sku_id=sku.pk, quantity=20)
    request = order_place(
        buyer=wholesaler,
        cart=cart,
        address=make_address(wholesaler),
        idempotency_key="wholesale-0001",
    )
    client.get(SEARCH, {"q": "五常大米"})
    client.force_login(shopper)
    client.get(SEARCH, {"q": "五常大米"})
    client.get(SEARCH, {"q": "五常大米"})
    return {"rice": rice, "sku": sku, "wholesale": request, "paid_day": timezone.localdate(paid_at)}


def demand_rows():
    return list(
        DemandDaily.objects.order_by("date", "category_id", "region_code").values_list(
            "date",
            "category__name",
            "region_code",
            "region_name",
            "paid_quantity",
            "wholesale_quantity",
            "searches",
            "demand",
        )
    )


def test_demand_adds_paid_pieces_unpaid_wholesale_requests_and_searches(demand):
    assert demand["wholesale"].orders.get().is_wholesale
    today, paid_day = timezone.localdate(), demand["paid_day"]
    sales_aggregate()

    run = demand_aggregate()

    assert demand_rows() == [
        (paid_day, "大米", WUCHANG, "五常市", 3, 0, 0, 3),
        (today, "大米", "", "", 0, 0, 1, 1),  # the visitor: no county
        (today, "大米", WUCHANG, "五常市", 0, 20, 2, 22),
    ]
    assert SearchTermCategory.objects.get(term="五常大米").category == demand["rice"]
    assert run.date_from == paid_day


def test_a_paid_wholesale_request_moves_to_the_paid_pieces(demand):
    sales_aggregate()
    demand_aggregate()

    payment_order_mark_paid(payment_order=demand["wholesale"], paid_at=timezone.now())
    sales_aggregate()
    demand_aggregate()

    assert demand_rows()[-1][-4:] == (20, 0, 2, 22)


def test_the_demand_job_is_incremental_and_idempotent(demand, client):
    sales_aggregate()
    demand_aggregate()
    old = DemandDaily.objects.get(date=demand["paid_day"])
    # An hour later, with the orders unchanged, the shopper searches once more.
    Order.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))
    client.get(SEARCH, {"q": "五常大米"})

    run = demand_aggregate()
    incremental = demand_rows()
    kept = DemandDaily.objects.get(date=demand["paid_day"]).pk
    demand_aggregate(full=True)
    demand_aggregate()

    assert run.date_from == timezone.localdate()  # only today recomputed:
    assert kept == old.pk  # that day's row untouched
    assert incremental[-1][-2:] == (3, 23)
    assert demand_rows() == incremental  # a full rebuild and a rerun give the same rows


def test_the_demand_page_and_api(demand, client, staff):
    sales_aggregate()
    demand_aggregate()
    client.force_login(staff)
    today = timezone.localdate().isoformat()

    export = client.get(reverse("analytics:figures"), {"export": "demand"})
    api = client.get("/api/v1/analytics/demand/", {"category": demand["rice"].pk}).json()

    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "日期,需求量,净销量,未付款批发需求,搜索次数"
    assert lines[-1] == f"{today},23,0,20,3"
    assert api[-1] == {"date": today, "paid": 0, "wholesale": 20, "searches": 3, "demand": 23}
    assert api[0]["paid"] == 3


def test_a_merchant_sees_only_the_demand_of_their_own_categories(demand, client, merchant_b):
    sales_aggregate()
    demand_aggregate()
    client.force_login(merchant_b)

    assert client.get("/api/v1/analytics/demand/").json() == []


def test_forecasts_are_made_from_demand_not_only_sales(store_a):
    # given: a category nobody bought yet, only searched for, 8 weeks of a weekly pattern
    today = timezone.localdate()
    honey = CategoryFactory(name="蜂蜜")
    week = [1, 2, 3, 4, 5, 9, 12]
    DemandDaily.objects.bulk_create(
        DemandDaily(
            date=today - dt.timedelta(days=back),
            category=honey,
            region_code=WUCHANG,
            region_name="五常市",
            searches=week[(today - dt.timedelta(days=back)).weekday()],
            demand=week[(today - dt.timedelta(days=back)).weekday()],
        )
        for back in range(1, 57)
    )

    demand_forecast()

    forecasts = list(DemandForecast.objects.filter(category=honey).order_by("date"))
    assert len(forecasts) == 14
    assert [f.quantity for f in forecasts] == [Decimal(week[f.date.weekday()]) for f in forecasts]
