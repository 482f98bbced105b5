"""Ways of asking that issue 18 says found nothing: synonyms and regional names (a table staff
edit in the admin, applied at query time), traditional characters, pinyin initials, a
homophone typo ("did you mean"), and suggestions as the shopper types."""

import pytest
from django.urls import reverse

from apps.catalog.models import Product, SearchSynonym
from apps.catalog.search import is_pinyin, parse_query
from apps.catalog.selectors import ProductFilters, product_list_for_storefront
from apps.stores.models import Store
from tests.factories import CategoryFactory, ProductFactory, StoreFactory


def titles(query: str) -> list[str]:
    return [p.title for p in product_list_for_storefront(ProductFilters(q=query))]


@pytest.fixture
def produce(store_a, store_b):
    veg = CategoryFactory(name="蔬菜", slug="veg")
    fruit = CategoryFactory(name="新鲜水果", slug="fruit")
    grain = CategoryFactory(name="大米", slug="rice")
    tea = CategoryFactory(name="茶叶", slug="tea")
    eggs = CategoryFactory(name="鲜蛋", slug="eggs")
    return {
        "tomato": ProductFactory(store=store_a, category=veg, title="寿光沙瓤西红柿 5斤"),
        "fanqie": ProductFactory(store=store_a, category=veg, title="新疆番茄 罐装番茄酱原料"),
        "potato": ProductFactory(store=store_a, category=veg, title="东宁黄心土豆 10斤"),
        "sweet_potato": ProductFactory(store=store_a, category=veg, title="六鳌红薯 5斤"),
        "corn": ProductFactory(store=store_a, category=veg, title="东北黏玉米 10穗"),
        "orange": ProductFactory(store=store_b, category=fruit, title="赣南脐橙 10斤装"),
        "rice": ProductFactory(store=store_a, category=grain, title="黑龙江五常稻花香大米 5kg"),
        "apple": ProductFactory(store=store_b, category=fruit, title="陕西洛川苹果 10斤"),
        "egg": ProductFactory(store=store_a, category=eggs, title="散养土鸡蛋 30枚"),
        "tea": ProductFactory(store=store_b, category=tea, title="安溪铁观音 茶叶 250g"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("番茄", ["fanqie", "tomato"]),  # the word itself first, then its synonym
        ("西红柿", ["tomato", "fanqie"]),
        ("马铃薯", ["potato"]),
        ("洋芋", ["potato"]),
        ("地瓜", ["sweet_potato"]),
        ("番薯", ["sweet_potato"]),
        ("苞米", ["corn"]),
        ("橙子", ["orange"]),
    ],
)
def test_everyday_and_regional_names_find_the_produce(produce, query, expected):
    found = titles(query)

    # first what was asked for; after it at most the other products of a store whose name
    # holds the word (赣南脐橙家庭农场 for 橙子)
    assert found[: len(expected)] == [produce[key].title for key in expected]
    assert all(
        p.store.name != "五常稻米合作社"
        for p in Product.objects.filter(title__in=found[len(expected) :])
    )


@pytest.mark.django_db
def test_a_one_way_synonym_does_not_widen_the_specific_word(produce):
    # given: 橙子 → 脐橙 冰糖橙 ... is one-way: a search for 脐橙 must not bring every orange
    other = StoreFactory(name="麻阳果园")
    ProductFactory(store=other, category=produce["orange"].category, title="冰糖橙 5斤")

    assert titles("脐橙")[0] == produce["orange"].title
    assert "冰糖橙 5斤" not in titles("脐橙")
    assert sorted(titles("橙子")[:2]) == sorted([produce["orange"].title, "冰糖橙 5斤"])


@pytest.mark.django_db
def test_a_synonym_staff_add_in_the_admin_works_at_once_without_reindexing(client, staff, produce):
    # given: nobody calls a potato 山药蛋 in the table yet... the seed has it; use a new word
    assert titles("荷兰薯") == []
    client.force_login(staff)

    # when: staff add a row in the admin
    response = client.post(
        reverse("admin:catalog_searchsynonym_add"),
        {"words": "土豆，荷兰薯", "is_active": "on"},
    )

    # then: saved normalised, and the next search uses it; products were not touched
    assert response.status_code == 302
    assert SearchSynonym.objects.filter(words="土豆 荷兰薯").exists()
    assert Product.objects.filter(is_search_stale=True).count() == 0
    assert titles("荷兰薯") == [produce["potato"].title]

    # and switching it off takes effect at once too
    row = SearchSynonym.objects.get(words="土豆 荷兰薯")
    row.is_active = False
    row.save()
    assert titles("荷兰薯") == []


@pytest.mark.django_db
def test_the_synonym_admin_wants_two_words_and_is_for_platform_staff_only(
    client, staff, merchant_a
):
    client.force_login(staff)
    response = client.post(reverse("admin:catalog_searchsynonym_add"), {"words": "土豆"})
    assert response.status_code == 200
    assert "至少填写两个词" in response.content.decode()

    client.force_login(merchant_a)
    assert client.get(reverse("admin:catalog_searchsynonym_changelist")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [("蘋果", "apple"), ("雞蛋", "egg"), ("茶葉", "tea"), ("臍橙", "orange"), ("五常大米", "rice")],
)
def test_traditional_characters_are_read_as_simplified(produce, query, expected):
    found = titles(query)

    assert found[0] == produce[expected].title
    assert len(found) == 1 or query == "臍橙"  # and the other products of 赣南脐橙家庭农场


@pytest.mark.django_db
def test_a_title_in_traditional_characters_is_found_in_simplified(store_b, produce):
    product = ProductFactory(
        store=store_b, category=produce["apple"].category, title="台灣 鳳梨 蘋果禮盒"
    )

    assert titles("凤梨") == [product.title]
    assert produce["apple"].title in titles("苹果")
    assert product.title in titles("苹果")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("wcdm", "rice"),  # 五常 + 大米, two words apart in the title
        ("qc", "orange"),  # 脐橙
        ("gnqc", "orange"),  # 赣南脐橙
        ("WCDM", "rice"),
        ("tgy", "tea"),  # 铁观音
        ("wuchang", "rice"),  # full pinyin still works
        ("wuchangdami", "rice"),
    ],
)
def test_pinyin_initials_and_full_pinyin_find_the_product_first(client, produce, query, expected):
    page = client.get(reverse("catalog:search"), {"q": query})
    api = client.get("/api/v1/products/", {"search": query})

    assert page.context["products"][0].title == produce[expected].title
    assert api.json()["results"][0]["title"] == produce[expected].title


def test_pinyin_is_told_from_initials():
    assert is_pinyin("wuchang")
    assert is_pinyin("qicheng")
    assert is_pinyin("dami")
    assert not is_pinyin("wcdm")
    assert not is_pinyin("qc")
    assert not is_pinyin("tgy")
    forms = {f.segments for f in parse_query("wcdm", synonyms={}).groups[0].forms}
    assert ("wc", "dm") in forms
    assert ("wcdm",) in forms


@pytest.mark.django_db
def test_mixed_chinese_and_pinyin(produce, store_a):
    # given: another store's orange names 赣南 only in its subtitle
    other = ProductFactory(
        store=store_a, category=produce["orange"].category, title="脐橙 5斤", subtitle="赣南品种"
    )

    found = titles("赣南 qicheng")

    # then: the title match first, the subtitle one next, then the store's other products
    assert found[:2] == [produce["orange"].title, other.title]


@pytest.mark.django_db
def test_a_homophone_typo_finds_what_it_sounds_like_and_says_did_you_mean(client, produce):
    # given: 五长 is typed for 五常 (same pinyin); nothing is called 五长
    page = client.get(reverse("catalog:search"), {"q": "五长大米"})
    api = client.get("/api/v1/products/", {"search": "五长大米"})

    assert [p.title for p in page.context["products"]] == [produce["rice"].title]
    assert page.context["did_you_mean"] == "五常大米"
    assert "以下是“五常大米”的结果" in page.content.decode()
    assert api.json()["did_you_mean"] == "五常大米"
    assert [r["title"] for r in api.json()["results"]] == [produce["rice"].title]


@pytest.mark.django_db
def test_a_query_found_as_typed_has_no_did_you_mean(client, produce):
    page = client.get(reverse("catalog:search"), {"q": "五常大米"})
    api = client.get("/api/v1/products/", {"search": "五常大米"})

    assert page.context["did_you_mean"] == ""
    assert "以下是" not in page.content.decode()
    assert api.json()["did_you_mean"] == ""


# --- Suggestions ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["五常", "五常大", "wuch", "wc"])
def test_suggestions_as_the_shopper_types(client, produce, store_a, typed):
    response = client.get(reverse("api-search-suggest"), {"q": typed})

    assert response.status_code == 200
    data = response.json()
    assert data["query"] == typed
    assert data["products"][0] == {
        "text": produce["rice"].title,
        "url": produce["rice"].get_absolute_url(),
    }
    assert {"text": "大米", "url": reverse("catalog:category", kwargs={"slug": "rice"})} in data[
        "categories"
    ]
    assert data["stores"][0]["text"] == store_a.name


@pytest.mark.django_db
def test_suggestions_never_offer_what_is_not_sold(client, produce, store_b):
    Product.objects.filter(pk=produce["apple"].pk).update(status=Product.Status.OFF_SALE)
    Store.objects.filter(pk=store_b.pk).update(status=Store.Status.SUSPENDED)
    hidden = StoreFactory(name="苹果停业店", status=Store.Status.SUSPENDED)
    ProductFactory(store=hidden, title="苹果 停业")

    data = client.get(reverse("api-search-suggest"), {"q": "苹果"}).json()

    assert data == {"query": "苹果", "products": [], "categories": [], "stores": []}


@pytest.mark.django_db
def test_suggestions_of_nothing_and_bad_input(client, produce):
    empty = client.get(reverse("api-search-suggest"), {"q": ""})
    too_long = client.get(reverse("api-search-suggest"), {"q": "米" * 101})
    bad_limit = client.get(reverse("api-search-suggest"), {"q": "米", "limit": "0"})

    assert empty.json() == {"query": "", "products": [], "categories": [], "stores": []}
    assert too_long.status_code == 400
    assert bad_limit.status_code == 400
    assert "limit" in bad_limit.json()["fields"]


@pytest.mark.django_db
def test_the_search_box_asks_for_suggestions(client, produce):
    page = client.get(reverse("catalog:home")).content.decode()

    assert f'data-suggest-url="{reverse("api-search-suggest")}"' in page
    assert 'list="search-suggest"' in page
    assert "js/search-suggest.js" in page


@pytest.mark.django_db
def test_renaming_a_category_in_the_admin_reaches_search_after_the_reindex(client, staff, produce):
    from django.core.management import call_command

    category = produce["tomato"].category  # 蔬菜: five products
    client.force_login(staff)

    response = client.post(
        reverse("admin:catalog_category_change", args=[category.pk]),
        {"name": "新鲜时蔬", "slug": category.slug, "sort_order": 0, "is_active": "on"},
    )

    assert response.status_code == 302
    assert Product.objects.filter(category=category, is_search_stale=True).count() == 5
    call_command("reindex_search", stdout=__import__("io").StringIO())
    assert produce["tomato"].title in titles("时蔬")
