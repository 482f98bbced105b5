"""Home and category bodies come from the fragment cache (apps/catalog/fragments.py,
listing_body_cached) only while the rows they show are unchanged: an edit made by save(),
by a queryset update() or to a SKU shows at once to a logged-in shopper."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog.models import Category, Product, ProductImage, Sku
from apps.stores.models import Store
from tests.factories import CategoryFactory, ProductFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def grains(store_a):
    category = CategoryFactory(name="杂粮", slug="grains")
    products = [
        ProductFactory(store=store_a, category=category, title=f"东北小米{i}") for i in range(25)
    ]
    return category, products


def get(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_a_logged_in_shopper_sees_edits_at_once_on_home_and_category(client, grains, shopper):
    category, _products = grains
    newest = Product.objects.filter(category=category).order_by("-published_at", "-id").first()
    client.force_login(shopper)
    home, listing = reverse("catalog:home"), reverse("catalog:category", args=["grains"])
    assert newest.title in get(client, home)
    assert newest.title in get(client, listing)
    assert newest.title in get(client, home)  # served from the cache now

    # when: a title by update() (no signal), then a new cover, then every SKU held
    Product.objects.filter(pk=newest.pk).update(title="新收的黄小米")
    home_after_title, listing_after_title = get(client, home), get(client, listing)
    ProductImage.objects.create(product=newest, image="products/millet.jpg", sort_order=0)
    home_after_image, listing_after_image = get(client, home), get(client, listing)
    Sku.objects.filter(product=newest).update(is_held=True)
    listing_after_hold = get(client, listing)

    # then
    assert "新收的黄小米" in home_after_title
    assert "新收的黄小米" in listing_after_title
    assert "products/millet.jpg" in home_after_image
    assert "products/millet.jpg" in listing_after_image
    assert "暂停销售" in listing_after_hold


def test_store_category_and_sale_status_edits_show_at_once(client, grains, shopper):
    category, products = grains
    client.force_login(shopper)
    listing = reverse("catalog:category", args=["grains"])
    assert "共 25 件商品" in get(client, listing)

    Store.objects.filter(pk=products[0].store_id).update(name="改名后的合作社")
    assert "改名后的合作社" in get(client, listing)  # the facet and the cards
    Category.objects.filter(pk=category.pk).update(name="五谷杂粮")
    assert "五谷杂粮" in get(client, listing)
    Product.objects.filter(pk=products[0].pk).update(status=Product.Status.OFF_SALE)
    assert "共 24 件商品" in get(client, listing)


def test_pages_and_filters_are_cached_apart(client, grains):
    _category, _products = grains
    listing = reverse("catalog:category", args=["grains"])
    page_one, page_two = get(client, listing), get(client, listing + "?page=2")
    oldest = Product.objects.order_by("published_at", "id").first()

    assert oldest.title not in page_one.split("<main")[1]
    assert oldest.title in page_two
    assert get(client, listing + "?page=2") == page_two
    assert get(client, listing + "?page=99") == page_two  # out of range: the last page


def test_a_hit_runs_only_the_version_query(client, grains):
    listing = reverse("catalog:category", args=["grains"])
    get(client, listing)
    with CaptureQueriesContext(connection) as miss:
        get(client, listing + "?sort=price_asc")
    with CaptureQueriesContext(connection) as hit:
        get(client, listing + "?sort=price_asc")

    # categories, count, version (a miss adds the page, its covers and the facets)
    assert len(hit) == 3
    assert len(miss) > len(hit)
