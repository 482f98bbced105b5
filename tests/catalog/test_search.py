"""Chinese search as a shopper types it: words, store names, counties, categories, pinyin."""

import pytest
from django.db import connection
from django.urls import reverse

from apps.catalog.models import Product
from apps.catalog.search import MAX_QUERY_TERMS, filter_by_search, query_terms
from apps.catalog.selectors import ProductFilters, product_list_for_storefront
from apps.stores.models import Store
from tests.factories import CategoryFactory, ProductFactory, StoreFactory


def search(query: str) -> list[str]:
    return [p.title for p in product_list_for_storefront(ProductFilters(q=query))]


@pytest.fixture
def catalogue(store_a, store_b):
    """Rice from a Wuchang co-operative, oranges from a Xingguo farm, millet in 杂粮."""
    grain = CategoryFactory(name="粮油米面", slug="grain")
    rice_category = CategoryFactory(name="大米", slug="rice", parent=grain)
    coarse = CategoryFactory(name="杂粮", slug="coarse", parent=grain)
    fruit = CategoryFactory(name="新鲜水果", slug="fruit")
    citrus = CategoryFactory(name="柑橘", slug="citrus", parent=fruit)
    return {
        "rice": ProductFactory(
            store=store_a, category=rice_category, title="黑龙江五常稻花香大米 5kg"
        ),
        "millet": ProductFactory(
            store=store_a,
            category=coarse,
            title="东北黄小米 2.5kg",
            origin_code="230184",
            origin_name="五常市",
        ),
        "orange": ProductFactory(
            store=store_b,
            category=citrus,
            title="赣南脐橙 10斤装",
            origin_code="360732",
            origin_name="兴国县",
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # words of the title, segmented the way a shopper types them
        ("五常大米", ["rice"]),
        ("大米", ["rice"]),
        ("稻花香", ["rice"]),
        ("脐橙", ["orange"]),
        # a store's name finds its products
        ("赣南脐橙家庭农场", ["orange"]),
        ("稻米合作社", ["millet", "rice"]),
        # an origin county, short or full
        ("兴国县", ["orange"]),
        ("兴国", ["orange"]),
        ("江西省赣州市兴国县", ["orange"]),
        # a category name, leaf or parent
        ("杂粮", ["millet"]),
        ("水果", ["orange"]),
        ("粮油米面", ["millet", "rice"]),
        # pinyin, in any case, as syllables run together
        ("wuchang", ["millet", "rice"]),
        ("WuChang", ["millet", "rice"]),
        ("qicheng", ["orange"]),
        ("dami", ["rice"]),
    ],
)
def test_search_finds_products_by_what_shoppers_type(catalogue, query, expected):
    found = search(query)

    assert sorted(found) == sorted(catalogue[key].title for key in expected)


@pytest.mark.django_db
def test_search_needs_all_words_before_falling_back_to_any_word(catalogue):
    # all words of "五常 小米" are in the millet only
    assert search("五常 小米") == [catalogue["millet"].title]
    # no product has both "大米" and "脐橙": either one will do
    assert sorted(search("大米 脐橙")) == sorted(
        [catalogue["rice"].title, catalogue["orange"].title]
    )


@pytest.mark.django_db
def test_search_fallback_ignores_single_characters(catalogue, store_b):
    # given: a product whose document holds the particle 的
    ProductFactory(
        store=store_b, title="妈妈的味道 腊肉", origin_code="360732", origin_name="兴国县"
    )

    # when: not every word matches, so any word may, but 的 alone is too common to count
    found = search("好吃的五常大米")

    # then
    assert sorted(found) == sorted([catalogue["rice"].title, catalogue["millet"].title])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [Store.Status.SUSPENDED, Store.Status.CLOSED, Store.Status.PENDING]
)
def test_search_never_shows_products_of_a_store_that_is_not_open(client, catalogue, status):
    # given: another store selling Wuchang rice is no longer open
    hidden = StoreFactory(name="停业的五常米店", status=status)
    ProductFactory(store=hidden, title="五常大米 停业店")

    # when
    by_word = search("五常大米")
    by_store_name = search("停业的五常米店")
    page = client.get(reverse("catalog:search"), {"q": "五常大米"})

    # then
    assert by_word == [catalogue["rice"].title]
    assert "五常大米 停业店" not in by_store_name
    assert [p.title for p in page.context["products"]] == [catalogue["rice"].title]
    assert "停业店" not in page.content.decode()


@pytest.mark.django_db
def test_search_never_shows_draft_or_off_sale_products(catalogue, store_a):
    ProductFactory(store=store_a, title="五常大米 草稿", status=Product.Status.DRAFT)
    ProductFactory(store=store_a, title="五常大米 已下架", status=Product.Status.OFF_SALE)

    assert search("五常大米") == [catalogue["rice"].title]


@pytest.mark.django_db
def test_search_after_a_store_is_suspended_drops_its_products(catalogue, store_b):
    assert search("脐橙") == [catalogue["orange"].title]

    store_b.status = Store.Status.SUSPENDED
    store_b.save(update_fields=["status"])

    assert search("脐橙") == []


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["!!!", "&|!():*", "'", "，。"])
def test_search_of_nothing_searchable_finds_nothing(catalogue, query):
    assert search(query) == []


def test_query_terms_keep_only_words():
    assert query_terms("五常 & 大米 | !:* (wuchang)") == ["五常", "大米", "wuchang"]


def test_query_terms_are_limited():
    terms = query_terms(" ".join(f"word{n}" for n in range(50)))

    assert terms == [f"word{n}" for n in range(MAX_QUERY_TERMS)]


@pytest.mark.postgres
@pytest.mark.django_db
def test_search_on_postgresql_uses_the_gin_index(catalogue):
    # given: the search condition alone, with sequential scans off as on a large table
    queryset, ranked = filter_by_search(Product.objects.all(), "五常大米")

    # when
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()

    # then: the query's vector expression is the indexed one
    assert ranked is True
    assert "Bitmap Index Scan on product_search_gin" in plan


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_long_store_name_is_searched_by_store_not_as_text(catalogue, store_b):
    # given: a store name of many terms (ANDed as text, PostgreSQL misestimates the match)
    assert len(query_terms(store_b.name)) >= 3

    # when
    queryset, ranked = filter_by_search(Product.objects.all(), store_b.name)

    # then: that store's products, found by store_id as well as the text (an exact estimate;
    # since the vector is stored, reading the search index beside it costs little)
    assert ranked is True
    assert f"store_id = {store_b.pk}" in queryset.explain()
    assert list(queryset.values_list("title", flat=True)) == [catalogue["orange"].title]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_store_name_search_also_finds_other_stores_products_that_name_it(
    catalogue, store_a, store_b
):
    # given: a product of another store whose text names store_b in full (a reseller)
    resold = ProductFactory(
        store=store_a,
        category=catalogue["orange"].category,
        title=f"{store_b.name}直供 赣南脐橙礼盒",
    )

    # when
    queryset, _ranked = filter_by_search(Product.objects.all(), store_b.name)

    # then: the store's own products and the other one, as a text search would find them
    assert set(queryset.values_list("pk", flat=True)) == {catalogue["orange"].pk, resold.pk}


@pytest.mark.django_db
def test_a_store_rename_reaches_search_right_after_the_commit(catalogue, store_b, after_commit):
    from apps.stores.services import store_save

    assert search("果香庄园") == []

    store_b.name = "兴国果香庄园"
    with after_commit():
        store_save(store=store_b)

    assert search("果香庄园") == [catalogue["orange"].title]
    assert not Product.objects.filter(is_search_stale=True).exists()


@pytest.mark.django_db
def test_a_store_save_without_a_rename_leaves_search_documents_alone(catalogue, store_b):
    from apps.stores.services import store_save

    store_b.description = "新的简介"
    store_save(store=store_b)

    assert not Product.objects.filter(is_search_stale=True).exists()
