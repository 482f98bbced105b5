"""The product page's cost: its queries are few and index-served, its body comes from the
fragment cache (apps/catalog/fragments.py) only while nothing it shows changed, and product
cards are memoised by what they show (storefront.product_cards)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog.models import Product, ProductImage, Sku
from apps.catalog.services.products import product_after_save
from tests.factories import CategoryFactory, ProductFactory, StoreFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The tables a product page must never read whole.
BIG_TABLES = ("catalog_product", "catalog_sku", "orders_orderline", "aftersales_review")


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    # What is measured here is a render, never the anonymous whole-page cache.
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def rice(store_a):
    category = CategoryFactory(name="大米", slug="rice", parent=CategoryFactory(name="粮油"))
    product = ProductFactory(
        store=store_a,
        category=category,
        title="五常稻花香大米",
        skus=[
            {"spec": "5kg/袋", "price": "59.90", "stock": 50},
            {"spec": "10kg/袋", "price": "109.00", "stock": 20},
        ],
    )
    # Enough of the same store for "more from this store".
    for i in range(6):
        ProductFactory(store=store_a, category=category, title=f"长粒香大米{i}")
    return product


def page(client, product: Product, query: str = ""):
    response = client.get(reverse("catalog:product_detail", args=[product.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db
def test_product_page_queries_are_few_and_served_by_indexes(client, rice):
    # given: the promotions' running index is cached as in steady state
    client.get(reverse("catalog:product_detail", args=[rice.pk]) + "?warm=1")

    # when: a render that misses the fragment cache, then one that hits it
    with CaptureQueriesContext(connection) as miss:
        page(client, rice)
    with CaptureQueriesContext(connection) as hit:
        page(client, rice)

    # then: at most 7 queries (1 when nothing changed), and with sequential scans priced
    # out (tiny test tables would otherwise always be scanned) none reads a big table whole
    assert len(miss.captured_queries) <= 7
    assert len(hit.captured_queries) == 1
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in miss.captured_queries:
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        finally:
            cursor.execute("RESET enable_seqscan")
    for plan in plans:
        for table in BIG_TABLES:
            assert not re.search(rf"Seq Scan on {table}\b", plan), plan


@pytest.mark.django_db
def test_a_logged_in_shopper_sees_an_edit_at_once(client, rice, shopper):
    client.force_login(shopper)
    first = page(client, rice)
    assert "五常稻花香大米" in first
    assert "库存 50" in first

    # when: edits by save(), by queryset update() (no signal, no updated_at) and to stock
    rice.title = "五常有机稻花香大米"
    rice.save()
    after_save = page(client, rice)
    Sku.objects.filter(product=rice, spec="5kg/袋").update(reserved=7)
    after_stock = page(client, rice)
    Product.objects.filter(pk=rice.pk).update(description="今年新米，十月收割。")
    after_update = page(client, rice)

    # then: every one shows on the very next view
    assert "五常有机稻花香大米" in after_save
    assert "库存 43" in after_stock
    assert "今年新米，十月收割。" in after_update


@pytest.mark.django_db
def test_more_from_store_and_images_follow_edits(client, rice, shopper):
    client.force_login(shopper)
    other = Product.objects.filter(store=rice.store).exclude(pk=rice.pk).first()
    page(client, rice)

    # when: another product of the store becomes the best seller, and the product gets a photo
    Product.objects.filter(pk=other.pk).update(sales_count=999, title="畅销的长粒香")
    ProductImage.objects.create(product=rice, image="products/rice.jpg", sort_order=0)
    html = page(client, rice)

    # then
    assert "畅销的长粒香" in html
    assert "products/rice.jpg" in html


@pytest.mark.django_db
def test_cached_body_is_never_shared_between_shoppers(client, rice, shopper, django_user_model):
    # given: one shopper's view of the page is cached
    client.force_login(shopper)
    mine = page(client, rice)
    other_client = type(client)()
    other_client.force_login(django_user_model.objects.create_user(email="b@example.com"))

    # when: someone else, and an anonymous visitor, open the same page
    theirs = page(other_client, rice)
    anonymous = page(type(client)(), rice)

    # then: the same product, each with their own CSRF token
    tokens = {TOKEN.search(html).group(1) for html in (mine, theirs, anonymous)}
    assert len(tokens) == 3
    assert all("五常稻花香大米" in html for html in (mine, theirs, anonymous))


@pytest.mark.django_db
def test_sku_choice_is_part_of_the_cached_body(client, rice):
    big = rice.skus.get(spec="10kg/袋")

    default = page(client, rice)
    chosen = page(client, rice, f"?sku={big.pk}")

    assert 'class="pd-spec-current">5kg/袋<' in default
    assert 'class="pd-spec-current">10kg/袋<' in chosen


@pytest.mark.django_db
def test_product_off_sale_or_store_suspended_is_404_at_once(client, rice):
    page(client, rice)
    path = reverse("catalog:product_detail", args=[rice.pk])

    Product.objects.filter(pk=rice.pk).update(status=Product.Status.OFF_SALE)
    assert client.get(path).status_code == 404

    Product.objects.filter(pk=rice.pk).update(status=Product.Status.ON_SALE)
    type(rice.store).objects.filter(pk=rice.store.pk).update(status="suspended")
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_listing_cards_show_price_edits_at_once(client, rice):
    # given: the category listing rendered (its cards memoised)
    path = reverse("catalog:category", args=[rice.category.slug])
    assert '¥</span><span class="price-int">59<' in client.get(path).content.decode()

    # when: the price changes through the service that sets it
    rice.skus.filter(spec="5kg/袋").update(retail_price="49.90")
    product_after_save(product=rice)

    # then
    html = client.get(path).content.decode()
    assert '<span class="price-int">49</span><span class="price-dec">.90</span>' in html


@pytest.mark.django_db
def test_cards_of_two_stores_are_not_mixed_up(client):
    category = CategoryFactory(slug="tea")
    a = ProductFactory(store=StoreFactory(name="甲茶园"), category=category, title="同名绿茶")
    b = ProductFactory(store=StoreFactory(name="乙茶园"), category=category, title="同名绿茶")

    html = client.get(reverse("catalog:category", args=["tea"])).content.decode()

    assert reverse("catalog:product_detail", args=[a.pk]) in html
    assert reverse("catalog:product_detail", args=[b.pk]) in html
    assert "甲茶园" in html
    assert "乙茶园" in html
