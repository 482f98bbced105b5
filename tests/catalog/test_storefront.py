"""Storefront pages through real HTTP: home, category listing, search page, product, store."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.catalog.forms import SORT_CHOICES
from apps.catalog.models import Certification, Product, Sku, Storage, WholesaleTier
from apps.catalog.selectors import SORTS
from apps.catalog.services.images import product_image_add
from apps.catalog.views import PAGE_SIZE
from apps.stores.models import Store, StoreType
from tests.factories import CategoryFactory, ProductFactory, StoreFactory

# Query ceilings of the pages for an anonymous shopper; they must not grow with the data.
# Each page with product cards or a price also reads what promotions run now (limited-time
# prices, spend-and-save: 2 queries, apps.promotions promotion_tags, cached 30 s): +2 below.
# home: category tree 2, self-operated 2 and new arrivals 2 (products + images), stores 1
HOME_QUERIES = 7 + 2
# category: category + children + siblings 3, count, page, images, facets (stores, origins) 1
CATEGORY_QUERIES = 7 + 2
# search: the count with the facets (stores, origins) in one query, which also tells whether
# every word matched, page, images, the synonym table 1 (read once, then cached until staff
# edit it; the tests clear the cache), the search-term log's INSERT (catalog's
# search_performed signal, analytics' receiver) 1
SEARCH_QUERIES = 4 + 2 + 1
# detail: product, skus, tiers, images, more from the store 2, rating + latest reviews 1
# (apps.aftersales review_tags; +1 for review photos when there are reviews), the 溯源 panel's
# active lot with its certificate, tests and trace code 1 (apps.traceability trace_tags)
DETAIL_QUERIES = 7 + 2 + 1
# store: store, count, page, images
STORE_QUERIES = 4 + 2


def page_text(response) -> str:
    """The visible text of a page with tags removed and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</(dt|dd|p|div|li|h\d|section|header|nav)>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def titles(response) -> list[str]:
    return [product.title for product in response.context["products"]]


def jpeg(color: str = "green") -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, format="JPEG")
    return ContentFile(buffer.getvalue(), name="photo.jpg")


@pytest.fixture
def grain(db):
    return CategoryFactory(name="粮油米面", slug="grain", sort_order=1)


@pytest.fixture
def rice_category(grain):
    return CategoryFactory(name="大米", slug="rice", parent=grain)


@pytest.fixture
def millet_category(grain):
    return CategoryFactory(name="杂粮", slug="millet", parent=grain, sort_order=2)


@pytest.fixture
def fruit(db):
    return CategoryFactory(name="新鲜水果", slug="fruit", sort_order=2)


@pytest.fixture
def self_store(db):
    return StoreFactory(name="田间自营旗舰店", slug="self", type=StoreType.SELF_OPERATED)


@pytest.fixture
def rice(store_a, rice_category):
    return ProductFactory(
        store=store_a,
        category=rice_category,
        title="黑龙江五常稻花香大米 5kg",
        subtitle="当季新米",
        origin_code="230184",
        origin_name="五常市",
        shelf_life_days=365,
        grade="一级",
        certifications=[Certification.GREEN_FOOD, Certification.GEO_INDICATION],
        skus=[
            {"spec": "5kg/袋", "price": "59.90", "stock": 120},
            {"spec": "10kg/箱", "price": "109.00", "stock": 0},
        ],
    )


def make_products(count: int, **fields) -> list[Product]:
    return [ProductFactory(**fields) for _ in range(count)]


# --- Home -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_shows_category_tree_self_operated_new_arrivals_and_featured_stores(
    client, grain, rice_category, fruit, self_store, store_a, rice
):
    # given
    pick = ProductFactory(store=self_store, title="自营精选小米", category=rice_category)
    store_a.is_featured = True
    store_a.save()

    # when
    response = client.get(reverse("catalog:home"))

    # then
    assert response.status_code == 200
    assert [c.name for c in response.context["categories"]] == ["粮油米面", "新鲜水果"]
    assert [c.name for c in response.context["categories"][0].children.all()] == ["大米"]
    assert response.context["self_operated"] == [pick]
    assert response.context["new_arrivals"] == [pick, rice]
    assert response.context["featured_stores"] == [store_a]
    assert response.context["featured_stores"][0].product_count == 1
    text = page_text(response)
    assert "自营精选" in text
    assert "五常稻米合作社" in text
    assert 'href="/c/rice/"' in response.content.decode()


@pytest.mark.django_db
def test_home_leaves_out_drafts_off_sale_and_products_of_suspended_stores(client, rice, store_b):
    # given
    ProductFactory(title="草稿商品", status=Product.Status.DRAFT, published_at=None)
    ProductFactory(title="下架商品", status=Product.Status.OFF_SALE)
    ProductFactory(title="暂停店铺的商品", store=StoreFactory(status=Store.Status.SUSPENDED))

    # when
    response = client.get(reverse("catalog:home"))

    # then
    assert response.context["new_arrivals"] == [rice]
    text = page_text(response)
    assert "草稿商品" not in text
    assert "下架商品" not in text
    assert "暂停店铺的商品" not in text


@pytest.mark.django_db
def test_home_without_products_says_they_are_coming(client):
    response = client.get(reverse("catalog:home"))

    assert response.status_code == 200
    assert "商品正在陆续上架，敬请期待。" in page_text(response)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 30])
def test_home_makes_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, grain, rice_category, fruit, self_store, count
):
    # given: products with images in the self-operated store and featured stores
    for product in make_products(count, store=self_store, category=rice_category):
        product_image_add(product=product, upload=jpeg())
    StoreFactory.create_batch(3, is_featured=True)

    # when / then
    with django_assert_max_num_queries(HOME_QUERIES):
        response = client.get(reverse("catalog:home"))
    assert response.status_code == 200
    assert len(response.context["new_arrivals"]) == min(count, 10)


# --- Category listing -------------------------------------------------------------------------


@pytest.mark.django_db
def test_category_lists_its_own_and_its_subcategories_products(
    client, grain, rice_category, millet_category, fruit, rice
):
    # given
    millet = ProductFactory(title="东北黄小米", category=millet_category)
    ProductFactory(title="赣南脐橙", category=fruit)

    # when
    top = client.get(reverse("catalog:category", kwargs={"slug": "grain"}))
    leaf = client.get(reverse("catalog:category", kwargs={"slug": "millet"}))

    # then
    assert top.status_code == 200
    assert titles(top) == [millet.title, rice.title]
    assert titles(leaf) == [millet.title]
    assert "共 2 件商品" in page_text(top)
    # a leaf shows its siblings to switch between, the top shows its children
    assert [c.name for c in leaf.context["category"].parent.children.all()] == ["大米", "杂粮"]
    assert 'href="/c/millet/"' in top.content.decode()


@pytest.mark.django_db
def test_category_includes_deeper_levels(client, grain, rice_category):
    # given: a third level under 粮油米面 > 大米
    japonica = CategoryFactory(name="粳米", slug="japonica", parent=rice_category)
    product = ProductFactory(title="粳米 10kg", category=japonica)

    # when
    response = client.get(reverse("catalog:category", kwargs={"slug": "grain"}))

    # then
    assert titles(response) == [product.title]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["便宜", "中等", "贵"]),
        ("price_desc", ["贵", "中等", "便宜"]),
        ("sales", ["中等", "贵", "便宜"]),
        ("newest", ["贵", "便宜", "中等"]),
        ("", ["贵", "便宜", "中等"]),
    ],
)
def test_category_sorts_by_price_sales_and_newest(client, rice_category, sort, expected):
    # given
    now = timezone.now()
    for title, price, sales, age in [
        ("便宜", "9.90", 1, 2),
        ("中等", "29.90", 50, 3),
        ("贵", "99.00", 10, 1),
    ]:
        ProductFactory(
            title=title,
            category=rice_category,
            sales_count=sales,
            published_at=now - timedelta(days=age),
            skus=[{"spec": "1件", "price": price}],
        )

    # when
    response = client.get(reverse("catalog:category", kwargs={"slug": "rice"}), {"sort": sort})

    # then
    assert titles(response) == expected


def test_sort_choices_cover_every_selector_sort():
    assert {value for value, _label in SORT_CHOICES if value} == set(SORTS)


@pytest.mark.django_db
def test_category_filters_by_store_origin_price_and_storage(
    client, rice_category, store_a, store_b, rice
):
    # given
    orange = ProductFactory(
        store=store_b,
        category=rice_category,
        title="兴国县大米",
        origin_code="360732",
        origin_name="兴国县",
        skus=[{"spec": "5kg", "price": "35.00"}],
    )
    frozen = ProductFactory(
        store=store_a,
        category=rice_category,
        title="冷冻年糕",
        storage=Storage.FROZEN,
        skus=[{"spec": "1kg", "price": "18.00"}],
    )
    url = reverse("catalog:category", kwargs={"slug": "rice"})

    # when / then
    assert titles(client.get(url, {"store": store_b.pk})) == [orange.title]
    assert titles(client.get(url, {"origin": "360732"})) == [orange.title]
    assert titles(client.get(url, {"origin": "23"})) == [frozen.title, rice.title]
    assert titles(client.get(url, {"price_min": "30", "price_max": "60"})) == [
        orange.title,
        rice.title,
    ]
    assert titles(client.get(url, {"storage": "frozen"})) == [frozen.title]
    assert titles(client.get(url, {"storage": "frozen", "store": store_b.pk})) == []


@pytest.mark.django_db
def test_category_filter_panel_offers_the_stores_and_origins_present(
    client, rice_category, store_a, store_b, rice
):
    # given
    ProductFactory(store=store_b, category=rice_category, origin_code="360732", origin_name="")

    # when
    response = client.get(
        reverse("catalog:category", kwargs={"slug": "rice"}), {"store": store_b.pk}
    )

    # then: the choices are not narrowed by the chosen store
    facets = response.context["facets"]
    assert facets.stores == [(store_a.pk, "五常稻米合作社"), (store_b.pk, "赣南脐橙家庭农场")]
    assert facets.origins == [("230184", "五常市"), ("360732", "兴国县")]
    html = response.content.decode()
    assert f'<option value="{store_b.pk}" selected>赣南脐橙家庭农场</option>' in html


@pytest.mark.django_db
def test_category_price_range_typed_backwards_still_works(client, rice_category, rice):
    response = client.get(
        reverse("catalog:category", kwargs={"slug": "rice"}),
        {"price_min": "100", "price_max": "50"},
    )

    assert titles(response) == [rice.title]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "ignored"),
    [
        ({"price_min": "abc"}, "最低价"),
        ({"price_max": "1e999999"}, "最高价"),
        ({"price_min": "-5"}, "最低价"),
        ({"price_min": "NaN"}, "最低价"),
        ({"sort": "drop table"}, "排序"),
        ({"storage": "hot"}, "储存方式"),
        ({"store": "x"}, "店铺"),
        ({"origin": "五常"}, "产地"),
    ],
)
def test_category_ignores_bad_filter_values_and_says_so(
    client, rice_category, rice, params, ignored
):
    response = client.get(reverse("catalog:category", kwargs={"slug": "rice"}), params)

    assert response.status_code == 200
    assert titles(response) == [rice.title]
    assert f"以下条件无法识别，已忽略：{ignored}" in page_text(response)


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "expected_number"), [("2", 2), ("99", 2), ("abc", 1), ("", 1)])
def test_category_paginates_and_survives_bad_page_numbers(
    client, rice_category, page, expected_number
):
    # given
    make_products(PAGE_SIZE + 5, category=rice_category)

    # when
    response = client.get(reverse("catalog:category", kwargs={"slug": "rice"}), {"page": page})

    # then
    assert response.status_code == 200
    page_obj = response.context["page_obj"]
    assert page_obj.number == expected_number
    assert len(response.context["products"]) == (PAGE_SIZE if expected_number == 1 else 5)
    assert page_obj.paginator.count == PAGE_SIZE + 5


@pytest.mark.django_db
def test_pagination_links_keep_the_filters(client, rice_category):
    make_products(PAGE_SIZE + 1, category=rice_category)

    response = client.get(
        reverse("catalog:category", kwargs={"slug": "rice"}),
        {"sort": "price_asc", "storage": "ambient"},
    )

    assert 'href="?sort=price_asc&amp;storage=ambient&amp;page=2"' in response.content.decode()


@pytest.mark.django_db
def test_empty_category_shows_a_friendly_message(client, rice_category):
    response = client.get(reverse("catalog:category", kwargs={"slug": "rice"}))

    assert response.status_code == 200
    assert "这个分类下暂时还没有商品，去看看别的吧。" in page_text(response)


@pytest.mark.django_db
def test_filters_matching_nothing_offer_to_clear_them(client, rice_category, rice):
    response = client.get(
        reverse("catalog:category", kwargs={"slug": "rice"}), {"storage": "chilled"}
    )

    assert titles(response) == []
    assert "没有符合筛选条件的商品。" in page_text(response)


@pytest.mark.django_db
def test_unknown_or_inactive_category_is_404(client, rice_category):
    rice_category.is_active = False
    rice_category.save()

    assert client.get(reverse("catalog:category", kwargs={"slug": "rice"})).status_code == 404
    assert client.get(reverse("catalog:category", kwargs={"slug": "nope"})).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["grain", "rice"])
@pytest.mark.parametrize("count", [3, 30])
def test_category_makes_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, grain, rice_category, millet_category, count, slug
):
    # given: products with several images each, in several stores
    stores = StoreFactory.create_batch(3)
    for i, product in enumerate(make_products(count, category=rice_category)):
        product.store = stores[i % 3]
        product.save(update_fields=["store"])
        product_image_add(product=product, upload=jpeg())
        product_image_add(product=product, upload=jpeg("red"), sort_order=1)

    # when / then
    with django_assert_max_num_queries(CATEGORY_QUERIES):
        response = client.get(
            reverse("catalog:category", kwargs={"slug": slug}), {"sort": "price_asc"}
        )
    assert len(response.context["products"]) == min(count, PAGE_SIZE)
    # the cover comes from the prefetched images: a thumbnail per card
    assert response.content.decode().count("/products/thumbs/") == min(count, PAGE_SIZE)


# --- Search page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_page_finds_rice_and_links_to_it(client, rice, store_b):
    # given
    ProductFactory(store=store_b, title="赣南脐橙 10斤装")

    # when
    response = client.get(reverse("catalog:search"), {"q": "五常大米"})

    # then
    assert response.status_code == 200
    assert titles(response) == [rice.title]
    text = page_text(response)
    assert "“五常大米”的搜索结果" in text
    assert "共 1 件商品" in text
    assert f'href="/p/{rice.pk}/"' in response.content.decode()
    # the header search box keeps what was typed
    assert 'name="q" value="五常大米"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "   "])
def test_search_without_query_shows_suggestions(client, rice, query):
    response = client.get(reverse("catalog:search"), {"q": query})

    assert response.status_code == 200
    assert "products" not in response.context
    assert "输入商品名、产地或店铺名开始搜索，拼音也可以。" in page_text(response)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["火星土豆", "!!!", "' OR 1=1 --", "& | ! :* ()"])
def test_search_with_no_match_shows_a_friendly_message(client, rice, query):
    response = client.get(reverse("catalog:search"), {"q": query})

    assert response.status_code == 200
    assert titles(response) == []
    assert "没有找到相关商品，换个词试试，比如产地、品种或店铺名。" in page_text(response)


@pytest.mark.django_db
def test_search_strips_query_syntax_and_keeps_the_words(client, rice):
    response = client.get(reverse("catalog:search"), {"q": "五常 & | ! :* ("})

    assert response.status_code == 200
    assert titles(response) == [rice.title]


@pytest.mark.django_db
def test_search_combines_with_filters_and_sort(client, rice, store_a):
    # given
    cheap = ProductFactory(
        store=store_a, title="五常大米 碎米 2kg", skus=[{"spec": "2kg", "price": "12.00"}]
    )

    # when
    response = client.get(
        reverse("catalog:search"), {"q": "大米", "sort": "price_asc", "price_max": "20"}
    )

    # then
    assert titles(response) == [cheap.title]
    # the filter form carries the query and sort along
    html = response.content.decode()
    assert '<input type="hidden" name="q" value="大米">' in html
    assert '<input type="hidden" name="sort" value="price_asc">' in html


@pytest.mark.django_db
def test_search_count_and_facets_describe_every_match_not_the_page(client, rice, store_a, store_b):
    # given 25 matching products over two stores and two origins (more than a page), and
    # products that do not match
    make_products(23, store=store_a, title="五常大米 袋装", origin_code="230184")
    ProductFactory(store=store_b, title="大米 赣南", origin_code="360732", origin_name="")
    ProductFactory(store=store_b, title="赣南脐橙 10斤装", origin_code="360781")
    url = reverse("catalog:search")

    # when / then: the count and both stores and origins, on page 1 and on page 2
    for page in ("1", "2"):
        response = client.get(url, {"q": "大米", "page": page})
        assert response.context["page_obj"].paginator.count == 25
        assert "共 25 件商品" in page_text(response)
        facets = response.context["facets"]
        assert facets.stores == [(store_a.pk, "五常稻米合作社"), (store_b.pk, "赣南脐橙家庭农场")]
        assert facets.origins == [("230184", "五常市"), ("360732", "兴国县")]
    assert len(titles(client.get(url, {"q": "大米", "page": "2"}))) == 5

    # a store chosen: the count is the store's, the facets still offer both stores
    response = client.get(url, {"q": "大米", "store": store_b.pk})
    assert titles(response) == ["大米 赣南"]
    assert "共 1 件商品" in page_text(response)
    assert [pk for pk, _name in response.context["facets"].stores] == [store_a.pk, store_b.pk]

    # a homophone typo (every word did not match): the count and facets of what was found
    response = client.get(url, {"q": "五长大米"})
    assert response.context["did_you_mean"] == "五常大米"
    assert response.context["page_obj"].paginator.count == 24
    assert response.context["facets"].stores == [(store_a.pk, "五常稻米合作社")]


@pytest.mark.django_db
def test_search_of_a_very_long_query_is_cut_not_refused(client, rice):
    response = client.get(reverse("catalog:search"), {"q": "五常大米" + "米" * 500})

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 30])
def test_search_makes_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, store_a, count
):
    for product in make_products(count, store=store_a, title="五常大米"):
        product_image_add(product=product, upload=jpeg())

    with django_assert_max_num_queries(SEARCH_QUERIES):
        response = client.get(reverse("catalog:search"), {"q": "五常大米"})
    assert len(response.context["products"]) == min(count, PAGE_SIZE)
    # the covers are read with the page: a thumbnail per card
    assert response.content.decode().count("/products/thumbs/") == min(count, PAGE_SIZE)


@pytest.mark.django_db
def test_search_card_shows_the_first_image_by_sort_order(client, rice):
    later = product_image_add(product=rice, upload=jpeg("red"), sort_order=2)
    first = product_image_add(product=rice, upload=jpeg("blue"), sort_order=1)

    html = client.get(reverse("catalog:search"), {"q": "五常大米"}).content.decode()

    assert f'src="{first.thumbnail.url}"' in html
    assert later.thumbnail.url not in html


# --- Product detail ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_product_detail_shows_price_stock_specs_and_facts(client, rice):
    # when
    response = client.get(rice.get_absolute_url())

    # then
    assert response.status_code == 200
    assert response.context["selected_sku"].spec == "5kg/袋"
    text = page_text(response)
    assert "黑龙江五常稻花香大米 5kg" in text
    assert "¥59.90 5kg/袋" in text
    assert "库存 120" in text
    assert "产地 黑龙江省哈尔滨市五常市" in text
    assert "储存方式 常温" in text
    assert "保质期 365 天" in text
    assert "等级 一级" in text
    assert "认证 绿色食品、地理标志" in text
    html = response.content.decode()
    assert '<span class="badge badge-cert">绿色食品</span>' in html
    assert '<span class="badge badge-cert">地理标志</span>' in html
    # the breadcrumb leads back to the category and its parent
    assert 'href="/c/grain/"' in html
    assert 'href="/c/rice/"' in html


@pytest.mark.django_db
def test_product_detail_spec_picker_works_without_javascript(client, rice):
    # given
    big = rice.skus.get(spec="10kg/箱")

    # when
    response = client.get(rice.get_absolute_url(), {"sku": big.pk})

    # then
    assert response.context["selected_sku"] == big
    text = page_text(response)
    assert "¥109.00 10kg/箱" in text
    assert "售罄" in text
    html = response.content.decode()
    assert f'href="?sku={big.pk}#buy" aria-current="true"' in html
    small = rice.skus.get(spec="5kg/袋")
    assert f'href="?sku={small.pk}#buy"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("sku_param", ["abc", "999999", "-1", ""])
def test_product_detail_falls_back_to_first_sku_in_stock(client, rice, sku_param):
    response = client.get(rice.get_absolute_url(), {"sku": sku_param})

    assert response.status_code == 200
    assert response.context["selected_sku"].spec == "5kg/袋"


@pytest.mark.django_db
def test_product_detail_ignores_a_sku_of_another_product(client, rice):
    other = ProductFactory(skus=[{"spec": "1kg", "price": "1.00"}])

    response = client.get(rice.get_absolute_url(), {"sku": other.skus.get().pk})

    assert response.context["selected_sku"].spec == "5kg/袋"
    assert "¥1.00" not in page_text(response)


@pytest.mark.django_db
def test_product_detail_first_in_stock_sku_is_preselected(client):
    product = ProductFactory(
        skus=[
            {"spec": "小份", "price": "10.00", "stock": 0},
            {"spec": "大份", "price": "20.00", "stock": 3},
        ]
    )

    response = client.get(product.get_absolute_url())

    assert response.context["selected_sku"].spec == "大份"
    assert "库存 3" in page_text(response)


@pytest.mark.django_db
def test_product_detail_hides_wholesale_prices_and_notes_them(client, rice):
    # given
    sku = rice.skus.get(spec="5kg/袋")
    WholesaleTier.objects.create(sku=sku, min_quantity=50, unit_price=Decimal("48.80"))

    # when
    response = client.get(rice.get_absolute_url())

    # then
    text = page_text(response)
    assert "48.80" not in text
    assert "本商品支持批发采购，认证采购商可享阶梯批发价。" in text


@pytest.mark.django_db
def test_product_detail_without_wholesale_has_no_note(client, rice):
    response = client.get(rice.get_absolute_url())

    assert "批发" not in page_text(response)


@pytest.mark.django_db
def test_product_detail_shows_self_operated_store_card(client, self_store):
    product = ProductFactory(store=self_store, storage=Storage.CHILLED)

    response = client.get(product.get_absolute_url())

    html = response.content.decode()
    assert '<span class="badge badge-self">自营</span>' in html
    assert '<span class="badge badge-chilled">冷藏</span>' in html
    assert f'href="{self_store.get_absolute_url()}"' in html
    assert "平台自营" in page_text(response)


@pytest.mark.django_db
def test_product_detail_gallery_links_full_images_and_thumbnails(client, rice):
    # given
    first = product_image_add(product=rice, upload=jpeg(), sort_order=0)
    second = product_image_add(product=rice, upload=jpeg("red"), sort_order=1)

    # when
    response = client.get(rice.get_absolute_url())

    # then
    html = response.content.decode()
    assert response.context["images"] == [first, second]
    assert f'href="{first.image.url}"' in html
    assert f'href="{second.image.url}"' in html
    assert f'src="{second.thumbnail.url}"' in html
    assert 'href="#photo-2"' in html


@pytest.mark.django_db
def test_product_without_images_shows_placeholder(client, rice):
    response = client.get(rice.get_absolute_url())

    assert 'src="/static/img/placeholder.svg" alt="暂无图片"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("product_status", "store_status"),
    [
        (Product.Status.DRAFT, Store.Status.ACTIVE),
        (Product.Status.OFF_SALE, Store.Status.ACTIVE),
        (Product.Status.ON_SALE, Store.Status.SUSPENDED),
        (Product.Status.ON_SALE, Store.Status.CLOSED),
        (Product.Status.ON_SALE, Store.Status.PENDING),
    ],
)
def test_product_not_for_sale_is_a_friendly_404(client, product_status, store_status):
    product = ProductFactory(
        status=product_status, store=StoreFactory(status=store_status), title="看不见的商品"
    )

    response = client.get(product.get_absolute_url())

    assert response.status_code == 404
    text = page_text(response)
    assert "没有找到这个页面" in text
    assert "看不见的商品" not in text


@pytest.mark.django_db
def test_unknown_product_is_404(client):
    assert client.get(reverse("catalog:product_detail", kwargs={"pk": 999999})).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("sku_count", "image_count"), [(1, 0), (8, 5)])
def test_product_detail_makes_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, store_a, sku_count, image_count
):
    # given: a product with many specs, tiers and images, and other products in its store
    product = ProductFactory(
        store=store_a,
        skus=[{"spec": f"{n}kg", "price": f"{10 + n}.00"} for n in range(sku_count)],
    )
    for sku in Sku.objects.filter(product=product):
        WholesaleTier.objects.create(sku=sku, min_quantity=10, unit_price=Decimal("5.00"))
        WholesaleTier.objects.create(sku=sku, min_quantity=100, unit_price=Decimal("4.00"))
    for n in range(image_count):
        product_image_add(product=product, upload=jpeg(), sort_order=n)
    for other in make_products(4, store=store_a):
        product_image_add(product=other, upload=jpeg())

    # when / then
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(product.get_absolute_url())
    assert len(response.context["skus"]) == sku_count
    assert len(response.context["more_from_store"]) == 4


# --- Store page -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_store_page_shows_store_and_its_on_sale_products(client, store_a, rice):
    # given
    store_a.description = "五常核心产区的稻米合作社。"
    store_a.township = "龙凤山镇"
    store_a.save()
    ProductFactory(store=store_a, title="下架的米", status=Product.Status.OFF_SALE)
    ProductFactory(title="别家的米")

    # when
    response = client.get(reverse("catalog:store_detail", kwargs={"slug": "wuchang-rice"}))

    # then
    assert response.status_code == 200
    assert titles(response) == [rice.title]
    text = page_text(response)
    assert "五常稻米合作社" in text
    assert "五常核心产区的稻米合作社。" in text
    assert "产地：黑龙江省哈尔滨市五常市 龙凤山镇" in text
    assert "评分：暂无评分" in text
    assert "1 件在售" in text
    assert 'class="store-banner store-banner-placeholder"' in response.content.decode()


@pytest.mark.django_db
def test_store_page_paginates_and_sorts(client, store_a):
    make_products(PAGE_SIZE + 2, store=store_a)

    first = client.get(
        reverse("catalog:store_detail", kwargs={"slug": "wuchang-rice"}), {"sort": "sales"}
    )
    second = client.get(
        reverse("catalog:store_detail", kwargs={"slug": "wuchang-rice"}), {"page": 2}
    )

    assert len(first.context["products"]) == PAGE_SIZE
    assert first.context["current_sort"] == "sales"
    assert len(second.context["products"]) == 2


@pytest.mark.django_db
def test_store_page_ignores_a_store_filter_for_another_store(client, store_a, store_b, rice):
    ProductFactory(store=store_b, title="赣南脐橙")

    response = client.get(
        reverse("catalog:store_detail", kwargs={"slug": "wuchang-rice"}), {"store": store_b.pk}
    )

    assert titles(response) == [rice.title]


@pytest.mark.django_db
def test_store_page_searches_within_the_store(client, store_a, store_b, rice):
    ProductFactory(store=store_a, title="东北黄小米")
    ProductFactory(store=store_b, title="兴国大米")

    response = client.get(
        reverse("catalog:store_detail", kwargs={"slug": "wuchang-rice"}), {"q": "大米"}
    )

    assert titles(response) == [rice.title]
    assert "店内搜索“大米”" in page_text(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [Store.Status.PENDING, Store.Status.SUSPENDED, Store.Status.CLOSED]
)
def test_store_page_of_a_store_not_open_is_404(client, status):
    StoreFactory(slug="closed-farm", status=status)

    response = client.get(reverse("catalog:store_detail", kwargs={"slug": "closed-farm"}))

    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 30])
def test_store_page_makes_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, store_a, count
):
    for product in make_products(count, store=store_a):
        product_image_add(product=product, upload=jpeg())

    with django_assert_max_num_queries(STORE_QUERIES):
        response = client.get(reverse("catalog:store_detail", kwargs={"slug": "wuchang-rice"}))
    assert len(response.context["products"]) == min(count, PAGE_SIZE)


# --- Signed-in shopper ------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_in_shopper_sees_inbox_and_profile_links(client, shopper, rice):
    client.force_login(shopper)

    response = client.get(reverse("catalog:home"))

    html = response.content.decode()
    assert f'href="{reverse("accounts:inbox")}"' in html
    assert f'href="{reverse("accounts:profile")}"' in html
    assert f'href="{reverse("account_login")}"' not in html


def test_server_error_page_renders_without_a_request():
    # Django renders 500.html with an empty context: no request, user or database.
    html = render_to_string("500.html")

    assert "服务器开小差了" in html
    assert 'href="/static/css/site.css"' in html
