"""Search ranking as issue 18 states it: each example is a catalogue of real products and the
order the shopper must see (through the storefront selector, the search page and the API)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.catalog.models import Product, Sku
from apps.catalog.selectors import ProductFilters, product_list_for_storefront
from apps.stores.models import Store
from tests.factories import CategoryFactory, ProductFactory, StoreFactory

OLD = timedelta(days=400)


def titles(query: str) -> list[str]:
    return [p.title for p in product_list_for_storefront(ProductFilters(q=query))]


def make(store, category, title, *, sales=0, age=OLD, **fields) -> Product:
    product = ProductFactory(store=store, category=category, title=title, **fields)
    Product.objects.filter(pk=product.pk).update(
        sales_count=sales, published_at=timezone.now() - age
    )
    return product


@pytest.fixture
def fruit(db):
    fruit = CategoryFactory(name="新鲜水果", slug="fruit")
    return {
        "kiwi": CategoryFactory(name="猕猴桃", slug="kiwi", parent=fruit),
        "citrus": CategoryFactory(name="柑橘橙柚", slug="citrus", parent=fruit),
        "apple": CategoryFactory(name="苹果梨", slug="apple", parent=fruit),
    }


@pytest.mark.django_db
def test_a_title_or_category_match_outranks_a_store_name_match(fruit):
    # given: a 猕猴桃 farm that also sells citrus (its best sellers), and a kiwi of another store
    farm = StoreFactory(name="蒲江县果香猕猴桃家庭农场", county_code="510131")
    other = StoreFactory(name="周至秦岭果园")
    citrus = [
        make(farm, fruit["citrus"], "蒲江丑柑 5斤装", sales=9000),
        make(farm, fruit["citrus"], "蒲江春见耙耙柑 5斤", sales=8000),
    ]
    kiwis = [
        make(farm, fruit["kiwi"], "蒲江红心猕猴桃 12枚装", sales=300),
        make(
            other, fruit["kiwi"], "周至徐香 奇异果 5斤", sales=10
        ),  # only its category says 猕猴桃
    ]

    # when
    found = titles("猕猴桃")

    # then: every kiwi first, the farm's citrus still found, after them
    assert found[:2] == [kiwis[0].title, kiwis[1].title]
    assert sorted(found[2:]) == sorted(p.title for p in citrus)


@pytest.mark.django_db
def test_a_navel_orange_outranks_the_pomelo_of_a_navel_orange_farm(fruit):
    farm = StoreFactory(name="赣南脐橙家庭农场", county_code="360732")
    pomelo = make(farm, fruit["citrus"], "琯溪红心蜜柚 2个装", sales=20000)
    orange = make(farm, fruit["citrus"], "赣南脐橙 10斤装", sales=50)

    assert titles("脐橙") == [orange.title, pomelo.title]


@pytest.mark.django_db
def test_the_exact_phrase_outranks_the_words_apart(store_a, fruit):
    rice = CategoryFactory(name="大米", slug="rice")
    apart = make(store_a, rice, "五常 当季新米 稻花香 大米 10kg", sales=5000)
    phrase = make(store_a, rice, "正宗五常大米 5kg", sales=5)

    assert titles("五常 大米") == [phrase.title, apart.title]


@pytest.mark.django_db
def test_a_whole_word_outranks_the_start_of_a_longer_word(store_a, fruit):
    tea = CategoryFactory(name="白茶", slug="white-tea")
    fujian = make(store_a, tea, "福建 福鼎白茶 饼", sales=7000)  # pinyin fujian starts with fuji
    fuji = make(store_a, fruit["apple"], "烟台 Fuji 红富士苹果", sales=3)

    assert titles("fuji") == [fuji.title, fujian.title]


@pytest.mark.django_db
def test_a_title_match_outranks_a_description_match(store_a):
    honey = CategoryFactory(name="蜂产品", slug="honey")
    cake = CategoryFactory(name="糕点", slug="cake")
    described = make(
        store_a, cake, "手工桂花糕 礼盒", sales=9999, description="用本地槐花蜂蜜调味，甜而不腻。"
    )
    titled = make(store_a, honey, "秦岭 土蜂蜜 500g", sales=1)

    assert titles("蜂蜜") == [titled.title, described.title]


@pytest.mark.django_db
def test_a_product_matching_every_word_outranks_one_matching_some(store_a, store_b, fruit):
    # given: nothing matches all three words, so any may; the orange gift box matches two
    rice = CategoryFactory(name="大米", slug="rice")
    rice_only = make(store_a, rice, "东北大米 10kg", sales=50000)
    two = make(store_b, fruit["citrus"], "赣南脐橙 礼盒装", sales=1)

    assert titles("大米 脐橙 礼盒") == [two.title, rice_only.title]


@pytest.mark.django_db
def test_a_new_stores_full_match_is_not_buried_by_best_sellers_weaker_matches(fruit):
    # given: an old egg farm's 30 best sellers match 土鸡蛋 only in part (its store name, a
    # subtitle, 鸡蛋 without 土); a store opened today lists a product that matches in full
    eggs = CategoryFactory(name="鲜蛋", slug="eggs")
    poultry = CategoryFactory(name="鸡鸭鹅", slug="poultry")
    old = StoreFactory(name="老王土鸡蛋养殖场")
    weaker = [make(old, poultry, f"散养老母鸡 {n + 2}斤", sales=50000 + n) for n in range(25)]
    weaker += [make(old, eggs, f"新鲜鸡蛋 {n + 20}枚", sales=80000 + n) for n in range(5)]
    new_store = StoreFactory(name="山里人家")
    new = make(new_store, eggs, "土鸡蛋 30枚", sales=0, age=timedelta(hours=2))

    # when
    found = titles("土鸡蛋")

    # then: the full match first, then the partial ones (鸡蛋 in the title before store-only)
    assert found[0] == new.title
    assert set(found[1:6]) == {p.title for p in weaker[25:]}
    assert len(found) == 31


@pytest.mark.django_db
def test_sales_order_equally_relevant_products_but_never_lift_a_weaker_match(fruit):
    store = StoreFactory(name="阿克苏果业")
    best = make(store, fruit["apple"], "阿克苏 冰糖心苹果 10斤", sales=5000)
    fresh = make(store, fruit["apple"], "阿克苏 冰糖心苹果 5斤", sales=0, age=timedelta(days=1))
    slow = make(store, fruit["apple"], "阿克苏 冰糖心苹果 3斤", sales=2)
    weaker = make(store, fruit["citrus"], "冰糖橙 5斤 (可搭配苹果)", sales=10**6)

    found = titles("冰糖心 苹果")

    # the three full matches by their blend (the best seller first, the new one before the
    # old slow one), then the product that matches only in part despite a million sales
    assert found == [best.title, fresh.title, slow.title, weaker.title][: len(found)]
    assert found[:3] == [best.title, fresh.title, slow.title]


@pytest.mark.django_db
def test_held_off_sale_draft_and_suspended_products_never_show(store_a, fruit):
    shown = make(store_a, fruit["kiwi"], "猕猴桃 在售")
    partly_held = make(store_a, fruit["kiwi"], "猕猴桃 部分规格暂停")
    held = make(store_a, fruit["kiwi"], "猕猴桃 全部暂停")
    make(store_a, fruit["kiwi"], "猕猴桃 已下架", status=Product.Status.OFF_SALE)
    make(store_a, fruit["kiwi"], "猕猴桃 草稿", status=Product.Status.DRAFT)
    suspended = StoreFactory(name="停业果园", status=Store.Status.SUSPENDED)
    make(suspended, fruit["kiwi"], "猕猴桃 停业店")
    Sku.objects.create(product=partly_held, spec="大果", retail_price="9.90", stock=5)
    Sku.objects.filter(product__in=[held, partly_held], spec="5kg/袋").update(is_held=True)

    assert sorted(titles("猕猴桃")) == sorted([shown.title, partly_held.title])


@pytest.mark.django_db
def test_the_search_page_and_the_api_rank_the_same(client, fruit):
    farm = StoreFactory(name="赣南脐橙家庭农场", county_code="360732")
    pomelo = make(farm, fruit["citrus"], "琯溪红心蜜柚 2个装", sales=20000)
    orange = make(farm, fruit["citrus"], "赣南脐橙 10斤装", sales=50)

    page = client.get(reverse("catalog:search"), {"q": "脐橙"})
    api = client.get("/api/v1/products/", {"search": "脐橙"})

    assert [p.title for p in page.context["products"]] == [orange.title, pomelo.title]
    assert [p["title"] for p in api.json()["results"]] == [orange.title, pomelo.title]
