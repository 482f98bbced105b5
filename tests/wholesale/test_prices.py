"""Verified buyers see tier prices and the minimum order quantity; everyone else sees retail."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from apps.catalog.models import Product, Sku
from apps.wholesale.models import BuyerOrganisation
from apps.wholesale.selectors import (
    sku_min_quantity,
    sku_unit_price,
    verified_organisation_for_user,
    wholesale_offer,
)
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (1, "59.90"),
        (9, "59.90"),  # just below the first tier
        (10, "55.00"),  # at it
        (11, "55.00"),  # just above it
        (49, "55.00"),
        (50, "50.00"),
        (51, "50.00"),
        (10_000, "50.00"),
    ],
)
def test_verified_buyer_gets_the_tier_the_quantity_reaches(
    tiered_sku, organisation, quantity, expected
):
    assert sku_unit_price(sku=tiered_sku, quantity=quantity, organisation=organisation) == Decimal(
        expected
    )


@pytest.mark.parametrize("quantity", [1, 10, 50, 500])
def test_unverified_and_anonymous_pay_retail_whatever_the_quantity(
    tiered_sku, pending_buyer, quantity
):
    pending = BuyerOrganisation.objects.get(members__user=pending_buyer)

    assert sku_unit_price(sku=tiered_sku, quantity=quantity, organisation=pending) == Decimal(
        "59.90"
    )
    assert sku_unit_price(sku=tiered_sku, quantity=quantity, organisation=None) == Decimal("59.90")


def test_a_tier_dearer_than_retail_never_applies(tiered_sku, organisation):
    tiered_sku.wholesale_tiers.create(min_quantity=100, unit_price=Decimal("70.00"))

    assert sku_unit_price(sku=tiered_sku, quantity=100, organisation=organisation) == Decimal(
        "50.00"
    )


def test_minimum_quantity_applies_to_verified_buyers_only(tiered_sku, organisation, pending_buyer):
    pending = BuyerOrganisation.objects.get(members__user=pending_buyer)

    assert sku_min_quantity(sku=tiered_sku, organisation=organisation) == 5
    assert sku_min_quantity(sku=tiered_sku, organisation=pending) == 1
    assert sku_min_quantity(sku=tiered_sku, organisation=None) == 1
    tiered_sku.min_wholesale_quantity = 0
    assert sku_min_quantity(sku=tiered_sku, organisation=organisation) == 1


def test_offer_price_breaks_match_what_checkout_charges(tiered_sku, organisation):
    offer = wholesale_offer(sku=tiered_sku, organisation=organisation)

    rows = [(b.from_quantity, b.to_quantity, b.unit_price, b.is_retail) for b in offer.price_breaks]
    assert rows == [
        (5, 9, Decimal("59.90"), True),
        (10, 49, Decimal("55.00"), False),
        (50, None, Decimal("50.00"), False),
    ]
    for row in offer.price_breaks:
        for quantity in filter(None, [row.from_quantity, row.to_quantity]):
            assert (
                sku_unit_price(sku=tiered_sku, quantity=quantity, organisation=organisation)
                == row.unit_price
            )


def test_no_offer_for_non_verified(tiered_sku, pending_buyer):
    assert wholesale_offer(sku=tiered_sku, organisation=None) is None
    pending = BuyerOrganisation.objects.get(members__user=pending_buyer)
    assert wholesale_offer(sku=tiered_sku, organisation=pending) is None


# --- product page ---------------------------------------------------------------------------


def test_verified_buyer_sees_tiers_and_minimum_on_the_product_page(client, buyer, tiered_sku):
    client.force_login(buyer)

    response = client.get(tiered_sku.product.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="wholesale-prices"' in html
    assert "10–49 件" in html
    assert "≥ 50 件" in html
    assert '<span class="price-int">55</span><span class="price-dec">.00</span>' in html
    assert '<span class="price-int">50</span><span class="price-dec">.00</span>' in html
    assert "批发起订量 5 件" in html
    assert "认证采购商可享阶梯批发价" not in html


@pytest.mark.parametrize("who", ["anonymous", "shopper", "pending_buyer"])
def test_others_see_retail_only_on_the_product_page(client, request, tiered_sku, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.get(tiered_sku.product.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "wholesale-prices" not in html
    assert "55.00" not in html
    assert "批发起订量" not in html
    assert "59" in html


def test_product_page_queries_do_not_grow_with_skus(
    client, buyer, store_a, django_assert_num_queries
):
    def product_with(count: int) -> Product:
        product = ProductFactory(
            store=store_a,
            skus=[{"spec": f"规格{i}", "price": "20.00"} for i in range(count)],
        )
        for sku in product.skus.all():
            sku.wholesale_tiers.create(min_quantity=10, unit_price=Decimal("18.00"))
        return product

    small, large = product_with(1), product_with(6)
    client.force_login(buyer)
    # warm the session under another address: both measured views render the page body
    # (the product body is cached per path, catalog/fragments.py)
    client.get(small.get_absolute_url() + "?warm=1")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(small.get_absolute_url())
    with CaptureQueriesContext(connection) as six:
        client.get(large.get_absolute_url())

    assert len(six.captured_queries) == len(one.captured_queries)


def test_tag_looks_the_buyer_up_once_per_request(buyer, tiered_sku, django_assert_num_queries):
    skus = list(Sku.objects.filter(pk=tiered_sku.pk).prefetch_related("wholesale_tiers")) * 5
    request = RequestFactory().get("/")
    request.user = buyer
    template = Template(
        "{% load wholesale_tags %}{% for sku in skus %}{% wholesale_prices sku %}{% endfor %}"
    )

    with django_assert_num_queries(1):
        html = template.render(Context({"request": request, "skus": skus}))

    assert html.count('class="wholesale-prices"') == 5


# --- API ------------------------------------------------------------------------------------


def prices(api_client, user, sku_param: str):
    if user is not None:
        token = Token.objects.create(user=user)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client.get("/api/v1/wholesale/prices/", {"sku": sku_param})


def test_api_prices_for_a_verified_buyer(api_client, buyer, tiered_sku, store_a):
    plain = ProductFactory(store=store_a, skus=[{"spec": "1kg", "price": "9.90"}]).skus.get()

    response = prices(api_client, buyer, f"{plain.pk},{tiered_sku.pk}")

    assert response.status_code == 200
    by_sku = {row["sku"]: row for row in response.json()}
    assert by_sku[tiered_sku.pk] == {
        "sku": tiered_sku.pk,
        "retail_price": "59.90",
        "min_quantity": 5,
        "tiers": [
            {"min_quantity": 10, "unit_price": "55.00"},
            {"min_quantity": 50, "unit_price": "50.00"},
        ],
        "price_breaks": [
            {"from_quantity": 5, "to_quantity": 9, "unit_price": "59.90", "is_retail": True},
            {"from_quantity": 10, "to_quantity": 49, "unit_price": "55.00", "is_retail": False},
            {"from_quantity": 50, "to_quantity": None, "unit_price": "50.00", "is_retail": False},
        ],
    }
    assert by_sku[plain.pk]["tiers"] == []
    assert by_sku[plain.pk]["min_quantity"] == 1


def test_api_prices_leave_out_off_sale_and_unknown_skus(api_client, buyer, tiered_sku):
    Product.objects.filter(pk=tiered_sku.product_id).update(status=Product.Status.OFF_SALE)

    response = prices(api_client, buyer, f"{tiered_sku.pk},999999")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("who", ["shopper", "pending_buyer"])
def test_api_prices_are_forbidden_to_non_verified(api_client, request, tiered_sku, who):
    response = prices(api_client, request.getfixturevalue(who), str(tiered_sku.pk))

    assert response.status_code == 403
    assert response.json()["code"] == "wholesale_not_verified"
    assert "55.00" not in response.content.decode()


def test_api_prices_anonymous_is_401(api_client, tiered_sku):
    response = prices(api_client, None, str(tiered_sku.pk))

    assert response.status_code == 401


@pytest.mark.parametrize("param", ["", "abc", "1,-2", ",".join(str(i) for i in range(1, 102))])
def test_api_prices_bad_sku_parameter_is_400(api_client, buyer, param):
    response = prices(api_client, buyer, param)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["sku"]


def test_api_prices_query_count_is_fixed(api_client, buyer, store_a, django_assert_max_num_queries):
    skus = [
        ProductFactory(store=store_a, skus=[{"spec": "x", "price": "5.00"}]).skus.get()
        for _ in range(8)
    ]
    token = Token.objects.create(user=buyer)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    with django_assert_max_num_queries(4):
        response = api_client.get(
            "/api/v1/wholesale/prices/", {"sku": ",".join(str(s.pk) for s in skus)}
        )

    assert len(response.json()) == 8


def test_verified_lookup_is_none_for_anonymous():
    from django.contrib.auth.models import AnonymousUser

    assert verified_organisation_for_user(user=AnonymousUser()) is None
