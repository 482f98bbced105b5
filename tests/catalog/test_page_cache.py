"""The storefront's whole-page cache for anonymous shoppers (apps/catalog/page_cache.py)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.catalog.models import Product
from apps.catalog.page_cache import CACHE_HEADER
from tests.factories import CategoryFactory, ProductFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 60


@pytest.fixture
def rice(store_a):
    category = CategoryFactory(name="大米", slug="rice")
    return ProductFactory(
        store=store_a,
        category=category,
        title="五常稻花香大米",
        skus=[{"spec": "5kg/袋", "price": "59.90", "stock": 50}],
    )


def pages(product: Product) -> list[str]:
    return [
        reverse("catalog:home"),
        reverse("catalog:category", args=[product.category.slug]),
        reverse("catalog:search") + "?q=五常大米",
        reverse("catalog:store_detail", args=[product.store.slug]),
        reverse("catalog:product_detail", args=[product.pk]),
    ]


def rename(product: Product, title: str) -> None:
    Product.objects.filter(pk=product.pk).update(title=title)


@pytest.mark.django_db
@pytest.mark.parametrize("page", range(5))
def test_anonymous_second_request_is_served_from_the_cache_without_queries(
    client, rice, page, django_assert_num_queries
):
    # given: the first anonymous visit renders and stores the page
    path = pages(rice)[page]
    first = client.get(path)
    assert first.status_code == 200
    assert first[CACHE_HEADER] == "miss"
    rename(rice, "改过名的大米")

    # when (a search, cached or not, is logged for analytics' demand: its one INSERT)
    with django_assert_num_queries(1 if path.startswith(reverse("catalog:search")) else 0):
        second = client.get(path)

    # then: the stored page, title edits show up only when it expires
    assert second.status_code == 200
    assert second[CACHE_HEADER] == "hit"
    assert "五常稻花香大米" in second.content.decode()
    assert "改过名的大米" not in second.content.decode()
    assert TOKEN.sub("", second.content.decode()) == TOKEN.sub("", first.content.decode())


@pytest.mark.django_db
def test_logged_in_shopper_never_gets_a_cached_page(client, rice, shopper):
    # given: an anonymous visit filled the cache
    path = reverse("catalog:category", args=[rice.category.slug])
    client.get(path)
    rename(rice, "改过名的大米")
    client.force_login(shopper)

    # when
    response = client.get(path)

    # then: a fresh render with the shopper's header
    assert response.status_code == 200
    assert CACHE_HEADER not in response
    html = response.content.decode()
    assert "改过名的大米" in html
    assert reverse("accounts:profile") in html
    assert reverse("account_login") not in html


@pytest.mark.django_db
def test_guest_with_a_cart_never_gets_a_cached_page(client, rice):
    # given: the cache holds the product page as every anonymous visitor sees it
    path = reverse("catalog:product_detail", args=[rice.pk])
    client.get(path)
    sku = rice.skus.get()
    added = client.post(reverse("orders:cart_add"), {"sku": sku.pk, "quantity": 2, "next": path})
    assert added.status_code == 302

    # when: the guest comes back (their session holds the cart and its badge count)
    response = client.get(path)

    # then: rendered for them, badge and flash message included, and nothing stored
    assert CACHE_HEADER not in response
    html = response.content.decode()
    assert '<span class="badge badge-count">2</span>' in html
    assert "已加入购物车" in html
    assert client.get(path).get(CACHE_HEADER) is None


@pytest.mark.django_db
def test_post_is_not_served_or_stored(client, rice):
    # given
    path = reverse("catalog:search") + "?q=五常大米"

    # when
    posted = client.post(path)

    # then: refused as before, and the next GET is the first to render the page
    assert posted.status_code == 405
    assert client.get(path)[CACHE_HEADER] == "miss"
    assert client.get(path)[CACHE_HEADER] == "hit"


@pytest.mark.django_db
def test_not_found_pages_are_not_cached(client, django_assert_num_queries):
    # given
    client.get(reverse("catalog:category", args=["nope"]))

    # when
    response = client.get(reverse("catalog:category", args=["nope"]))

    # then
    assert response.status_code == 404
    assert CACHE_HEADER not in response


@pytest.mark.django_db
def test_setting_zero_turns_the_cache_off(client, rice, settings):
    # given
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0
    path = reverse("catalog:category", args=[rice.category.slug])
    client.get(path)
    rename(rice, "改过名的大米")

    # when
    response = client.get(path)

    # then
    assert CACHE_HEADER not in response
    assert "改过名的大米" in response.content.decode()


@pytest.mark.django_db
def test_query_string_and_language_are_part_of_the_key(client, rice):
    # given
    search = reverse("catalog:search")
    client.get(search + "?q=五常")

    # when
    other_query = client.get(search + "?q=大米")
    english = client.get(search + "?q=五常", HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert other_query[CACHE_HEADER] == "miss"
    assert english[CACHE_HEADER] == "miss"
    assert client.get(search + "?q=五常")[CACHE_HEADER] == "hit"


@pytest.mark.django_db
def test_cached_product_page_carries_a_working_csrf_token_of_its_own_visitor(rice):
    # given: one visitor's render filled the cache
    path = reverse("catalog:product_detail", args=[rice.pk])
    first_visitor = Client(enforce_csrf_checks=True)
    first_token = TOKEN.search(first_visitor.get(path).content.decode()).group(1)

    # when: another visitor gets the cached page and submits its add-to-cart form
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(path)
    token = TOKEN.search(page.content.decode()).group(1)
    added = visitor.post(
        reverse("orders:cart_add"),
        {"csrfmiddlewaretoken": token, "sku": rice.skus.get().pk, "quantity": 1, "next": path},
    )

    # then: the token is not the first visitor's, the visitor got a CSRF cookie, and it works
    assert page[CACHE_HEADER] == "hit"
    assert token != first_token
    assert "csrftoken" in page.cookies
    assert added.status_code == 302
    assert visitor.session["orders_cart_count"] == 1
