import json
from decimal import Decimal

import pytest
from django.db.models import Prefetch
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from apps.catalog.api.serializers import ProductSerializer
from apps.catalog.api.views import _with_active_skus
from apps.catalog.models import Certification, Product, ProductImage, Storage
from apps.catalog.selectors import products_sellable
from apps.catalog.services.images import product_image_add
from apps.core.api import StandardPagination
from apps.stores.models import Store
from tests.api.helpers import image_upload
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

NOT_A_CHOICE = "选择一个有效的选项： 该选择不在可用的选项中。"


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


# --- Categories ---------------------------------------------------------------------------


def test_category_tree_nests_active_categories_at_any_depth(
    api_client, grain, rice_category, fruit, orange_category
):
    # given a third level under 大米 and an inactive branch
    japonica = CategoryFactory(name="粳米", slug="japonica", parent=rice_category)
    CategoryFactory(name="停用分类", slug="gone", parent=grain, is_active=False)

    # when
    response = api_client.get("/api/v1/categories/")

    # then
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": grain.pk,
            "name": "粮油米面",
            "slug": "grain",
            "parent_id": None,
            "sort_order": 1,
            "children": [
                {
                    "id": rice_category.pk,
                    "name": "大米",
                    "slug": "rice",
                    "parent_id": grain.pk,
                    "sort_order": 0,
                    "children": [
                        {
                            "id": japonica.pk,
                            "name": "粳米",
                            "slug": "japonica",
                            "parent_id": rice_category.pk,
                            "sort_order": 0,
                            "children": [],
                        }
                    ],
                }
            ],
        },
        {
            "id": fruit.pk,
            "name": "新鲜水果",
            "slug": "fruit",
            "parent_id": None,
            "sort_order": 2,
            "children": [
                {
                    "id": orange_category.pk,
                    "name": "柑橘橙柚",
                    "slug": "citrus",
                    "parent_id": fruit.pk,
                    "sort_order": 0,
                    "children": [],
                }
            ],
        },
    ]


def test_category_detail_has_children_and_ancestors(api_client, grain, rice_category):
    japonica = CategoryFactory(name="粳米", slug="japonica", parent=rice_category)

    response = api_client.get(f"/api/v1/categories/{japonica.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["children"] == []
    assert body["ancestors"] == [
        {"id": grain.pk, "name": "粮油米面", "slug": "grain"},
        {"id": rice_category.pk, "name": "大米", "slug": "rice"},
    ]


def test_inactive_category_and_its_children_are_not_found(api_client, grain, rice_category):
    grain.is_active = False
    grain.save()

    for category in (grain, rice_category):
        response = api_client.get(f"/api/v1/categories/{category.pk}/")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "未找到。", "fields": {}}
    assert api_client.get("/api/v1/categories/").json() == []


# --- Product list -------------------------------------------------------------------------


def test_product_list_item_has_skus_images_store_origin_and_certifications(api_client, rice):
    image = product_image_add(product=rice, upload=image_upload())
    first_sku, second_sku = rice.skus.order_by("sort_order")

    response = api_client.get("/api/v1/products/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == rice.pk
    assert item["title"] == "黑龙江五常稻花香大米 5kg"
    assert item["price_min"] == "59.90"
    assert item["skus"] == [
        {
            "id": first_sku.pk,
            "spec": "5kg/袋",
            "retail_price": "59.90",
            "available": 120,
            "weight_grams": 0,
            "barcode": "",
            "is_held": False,
        },
        {
            "id": second_sku.pk,
            "spec": "10kg/袋",
            "retail_price": "109.00",
            "available": 40,
            "weight_grams": 0,
            "barcode": "",
            "is_held": False,
        },
    ]
    assert item["images"] == [
        {
            "id": image.pk,
            "image": f"http://testserver{image.image.url}",
            "thumbnail": f"http://testserver{image.thumbnail.url}",
            "width": 64,
            "height": 48,
            "sort_order": 0,
        }
    ]
    assert item["store"] == {
        "id": rice.store_id,
        "name": "五常稻米合作社",
        "slug": "wuchang-rice",
        "type": "family_farm",
        "type_display": "家庭农场",
        "is_self_operated": False,
        "county_name": "黑龙江省哈尔滨市五常市",
    }
    assert item["origin"] == {
        "code": "230184",
        "name": "五常市",
        "full_name": "黑龙江省哈尔滨市五常市",
    }
    assert item["storage"] == "ambient"
    assert item["storage_display"] == "常温"
    assert item["certifications"] == [
        {"code": "geo_indication", "label": "地理标志"},
        {"code": "green_food", "label": "绿色食品"},
    ]
    assert item["category"] == {"id": rice.category_id, "name": "大米", "slug": "rice"}


def test_product_list_rows_are_exactly_what_product_serializer_gives(
    api_client, rice, orange, store_b
):
    # given products with images (one without a thumbnail), a held SKU beside one on sale, no
    # certifications, a self-operated store, an unpublished time and an unknown origin code
    product_image_add(product=rice, upload=image_upload())
    product_image_add(product=rice, upload=image_upload())
    product_image_add(product=orange, upload=image_upload())
    rice.images.order_by("id").last().thumbnail.delete(save=True)
    first_sku = rice.skus.order_by("sort_order").first()
    first_sku.reserved, first_sku.is_held = 100, True
    first_sku.save()
    Store.objects.filter(pk=store_b.pk).update(type="self_operated")
    Product.objects.filter(pk=orange.pk).update(published_at=None, origin_code="999999")

    # when the list answers, with and without a search
    for url in [
        "/api/v1/products/",
        "/api/v1/products/?search=大米",
        "/api/v1/products/?search=qc",
    ]:
        response = api_client.get(url)
        assert response.status_code == 200
        results = response.json()["results"]
        assert results

        # then each row is what DRF's nested ProductSerializer renders for that product
        request = APIRequestFactory().get(url)
        products = _with_active_skus(
            products_sellable()
            .select_related("store", "category")
            .prefetch_related(
                Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id"))
            )
        ).in_bulk([row["id"] for row in results])
        expected = ProductSerializer(
            [products[row["id"]] for row in results], many=True, context={"request": request}
        ).data
        assert json.loads(json.dumps(expected)) == results
        assert [list(row) for row in results] == [list(row) for row in expected]


def test_available_stock_is_stock_minus_reserved_and_inactive_skus_are_hidden(api_client, rice):
    first_sku, second_sku = rice.skus.order_by("sort_order")
    first_sku.reserved = 20
    first_sku.save()
    second_sku.is_active = False
    second_sku.save()

    item = api_client.get("/api/v1/products/").json()["results"][0]

    assert [(sku["spec"], sku["available"]) for sku in item["skus"]] == [("5kg/袋", 100)]


def test_product_list_shows_only_on_sale_products_of_active_stores(
    api_client, rice, orange, store_a
):
    ProductFactory(store=store_a, title="草稿商品", status=Product.Status.DRAFT)
    ProductFactory(store=store_a, title="下架商品", status=Product.Status.OFF_SALE)
    suspended = ProductFactory(store__status=Store.Status.SUSPENDED, title="暂停店铺的商品")
    closed = ProductFactory(store__status=Store.Status.CLOSED, title="关闭店铺的商品")

    response = api_client.get("/api/v1/products/")

    assert response.status_code == 200
    assert sorted(ids(response)) == sorted([rice.pk, orange.pk])
    assert suspended.pk not in ids(response)
    assert closed.pk not in ids(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category={grain}", ["rice"]),  # a parent category includes its descendants
        ("category={orange_category}", ["orange"]),
        ("store={store_b}", ["orange"]),
        ("origin=23", ["rice"]),
        ("origin=3607", ["orange"]),
        ("origin=230184", ["rice"]),
        ("price_min=40", ["rice"]),
        ("price_max=40", ["orange"]),
        ("price_min=39.80&price_max=59.90", ["orange", "rice"]),
        ("storage=chilled", ["orange"]),
        ("storage=frozen", []),
        ("store={store_a}&storage=ambient&price_max=100", ["rice"]),
    ],
)
def test_product_list_filters(
    api_client, rice, orange, grain, orange_category, store_a, store_b, query, expected
):
    url = "/api/v1/products/?" + query.format(
        grain=grain.pk, orange_category=orange_category.pk, store_a=store_a.pk, store_b=store_b.pk
    )
    products = {"rice": rice.pk, "orange": orange.pk}

    response = api_client.get(url)

    assert response.status_code == 200, response.json()
    assert sorted(ids(response)) == sorted(products[name] for name in expected)


def test_product_list_orderings(api_client, store_a):
    now = timezone.now()
    cheap = ProductFactory(store=store_a, skus=[{"spec": "1", "price": "9.90"}])
    dear = ProductFactory(store=store_a, skus=[{"spec": "1", "price": "99.00"}])
    middle = ProductFactory(store=store_a, skus=[{"spec": "1", "price": "19.90"}])
    Product.objects.filter(pk=cheap.pk).update(sales_count=5, published_at=now)
    Product.objects.filter(pk=dear.pk).update(
        sales_count=50, published_at=now - timezone.timedelta(days=2)
    )
    Product.objects.filter(pk=middle.pk).update(
        sales_count=0, published_at=now - timezone.timedelta(days=1)
    )

    def order(value: str) -> list[int]:
        return ids(api_client.get(f"/api/v1/products/?ordering={value}"))

    assert order("price") == [cheap.pk, middle.pk, dear.pk]
    assert order("-price") == [dear.pk, middle.pk, cheap.pk]
    assert order("sales") == [dear.pk, cheap.pk, middle.pk]
    assert order("newest") == [cheap.pk, middle.pk, dear.pk]
    assert ids(api_client.get("/api/v1/products/")) == [cheap.pk, middle.pk, dear.pk]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("price_min=abc", "price_min", "输入一个数字。"),
        ("price_min=-1", "price_min", "确保该值大于或等于0。"),
        ("price_max=1.234", "price_max", "确认小数不超过 2 位."),
        ("price_max=123456789012345", "price_max", "确认总共不超过 12 个数字."),
        ("price_min=50&price_max=10", "price_max", "最高价不能低于最低价。"),
        ("category=999999", "category", NOT_A_CHOICE),
        ("category=abc", "category", NOT_A_CHOICE),
        ("store=999999", "store", NOT_A_CHOICE),
        ("storage=hot", "storage", "选择一个有效的选项。 hot 不在可用的选项中。"),
        ("origin=abc", "origin", "请输入 2 到 12 位数字的区划代码。"),
        ("ordering=title", "ordering", "选择一个有效的选项。 title 不在可用的选项中。"),
    ],
)
def test_bad_filters_are_400_with_field_errors(api_client, rice, query, field, message):
    response = api_client.get(f"/api/v1/products/?{query}")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": message, "fields": {field: [message]}}


def test_suspended_store_is_not_a_valid_store_filter(api_client, rice, store_a):
    Store.objects.filter(pk=store_a.pk).update(status=Store.Status.SUSPENDED)

    response = api_client.get(f"/api/v1/products/?store={store_a.pk}")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["store"]


# --- Search -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["五常大米", "wuchang", "大米", "稻花香", "五常稻米合作社"])
def test_search_finds_rice_like_the_storefront(api_client, rice, orange, query):
    response = api_client.get("/api/v1/products/", {"search": query})

    assert response.status_code == 200
    assert ids(response) == [rice.pk]


@pytest.mark.parametrize("query", ["赣南脐橙", "qicheng", "兴国县", "新鲜水果"])
def test_search_by_store_origin_and_category_names(api_client, rice, orange, query):
    response = api_client.get("/api/v1/products/", {"search": query})

    assert ids(response) == [orange.pk]


def test_search_ignores_non_sellable_products_and_combines_with_filters(
    api_client, rice, orange, store_a, store_b
):
    ProductFactory(store=store_a, title="五常大米 草稿", status=Product.Status.DRAFT)

    assert ids(api_client.get("/api/v1/products/", {"search": "五常大米"})) == [rice.pk]
    response = api_client.get("/api/v1/products/", {"search": "五常大米", "store": store_b.pk})
    assert ids(response) == []


def test_search_count_is_every_match_and_pages_follow_it(api_client, rice, orange, store_a):
    # given 12 products matching 大米 (rice and 11 more) and one that does not (orange)
    for i in range(11):
        ProductFactory(store=store_a, title=f"五常大米 {i}号")
    url = "/api/v1/products/"

    # when / then: the count is every match, whatever the page
    first = api_client.get(url, {"search": "大米", "page_size": 5}).json()
    last = api_client.get(url, {"search": "大米", "page_size": 5, "page": 3}).json()
    assert (first["count"], len(first["results"])) == (12, 5)
    assert first["next"] is not None
    assert (last["count"], len(last["results"]), last["next"]) == (12, 2, None)
    assert api_client.get(url, {"search": "大米", "page_size": 5, "page": 4}).status_code == 404
    # a homophone typo: the count of what it was taken to mean
    typo = api_client.get(url, {"search": "五长大米"}).json()
    assert (typo["count"], typo["did_you_mean"]) == (12, "五常大米")
    # nothing found
    assert api_client.get(url, {"search": "火星土豆"}).json()["count"] == 0


def test_search_with_only_punctuation_finds_nothing(api_client, rice):
    response = api_client.get("/api/v1/products/", {"search": "&|!:*()"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_search_longer_than_100_characters_is_refused(api_client, rice):
    response = api_client.get("/api/v1/products/", {"search": "米" * 101})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["search"]


# --- Pagination and query counts ----------------------------------------------------------


def test_pagination_with_page_size(api_client, store_a):
    products = [ProductFactory(store=store_a) for _ in range(5)]
    newest_first = [p.pk for p in reversed(products)]

    first = api_client.get("/api/v1/products/?page_size=2").json()
    last = api_client.get("/api/v1/products/?page_size=2&page=3").json()

    assert first["count"] == 5
    assert [item["id"] for item in first["results"]] == newest_first[:2]
    assert first["next"] == "http://testserver/api/v1/products/?page=2&page_size=2"
    assert first["previous"] is None
    assert [item["id"] for item in last["results"]] == newest_first[4:]
    assert last["next"] is None


def test_page_size_is_capped(api_client, store_a, monkeypatch):
    monkeypatch.setattr(StandardPagination, "max_page_size", 3)
    for _ in range(4):
        ProductFactory(store=store_a)

    response = api_client.get("/api/v1/products/?page_size=1000")

    assert len(response.json()["results"]) == 3


def test_page_out_of_range_is_404_json(api_client, rice):
    response = api_client.get("/api/v1/products/?page=9")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "无效页面。", "fields": {}}


def _many_products(store, category, count: int) -> None:
    for i in range(count):
        product = ProductFactory(
            store=store,
            category=category,
            title=f"五常大米 {i}号",
            certifications=[Certification.ORGANIC],
            storage=Storage.AMBIENT,
            skus=[{"spec": "5kg", "price": "50.00"}, {"spec": "10kg", "price": "95.00"}],
        )
        product_image_add(product=product, upload=image_upload())


@pytest.mark.parametrize("count", [3, 25])
@pytest.mark.parametrize(
    ("query", "ceiling"),
    [
        # count, page (with store and category), SKUs, images
        ("page_size=25", 4),
        # + the synonym table (cached after the first search; the tests clear the cache),
        # the search-term log's INSERT (analytics); the search's count is the paginator's
        ("page_size=25&search=五常大米&ordering=price", 6),
        # + the category and store look-ups of the filter form, and the category's subtree ids
        ("page_size=25&category={grain}&store={store}&origin=23&price_min=1&storage=ambient", 7),
    ],
)
def test_product_list_query_count_does_not_grow_with_page_size(
    api_client,
    store_a,
    grain,
    rice_category,
    django_assert_max_num_queries,
    count,
    query,
    ceiling,
):
    # given N products, each with two SKUs and an image
    _many_products(store_a, rice_category, count)
    url = "/api/v1/products/?" + query.format(grain=grain.pk, store=store_a.pk)

    # when / then
    with django_assert_max_num_queries(ceiling):
        response = api_client.get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) == count


def test_product_detail_query_count(api_client, rice, django_assert_max_num_queries):
    product_image_add(product=rice, upload=image_upload())

    with django_assert_max_num_queries(4):
        response = api_client.get(f"/api/v1/products/{rice.pk}/")

    assert response.status_code == 200


# --- Product detail -----------------------------------------------------------------------


def test_product_detail_has_description_shelf_life_but_no_wholesale_tiers(api_client, rice):
    Product.objects.filter(pk=rice.pk).update(description="东北黑土地种植", shelf_life_days=365)
    sku = rice.skus.get(spec="10kg/袋")
    sku.wholesale_tiers.create(min_quantity=10, unit_price=Decimal("99.00"))

    response = api_client.get(f"/api/v1/products/{rice.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "东北黑土地种植"
    assert body["shelf_life_days"] == 365
    # Tier prices are shown to verified wholesale buyers only (/api/v1/wholesale/prices/).
    assert all("wholesale_tiers" not in sku for sku in body["skus"])
    assert "99.00" not in response.content.decode()


@pytest.mark.parametrize(
    "change",
    [
        {"status": Product.Status.DRAFT},
        {"status": Product.Status.OFF_SALE},
    ],
)
def test_product_detail_of_unsellable_product_is_404(api_client, rice, change):
    Product.objects.filter(pk=rice.pk).update(**change)

    response = api_client.get(f"/api/v1/products/{rice.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_product_detail_of_suspended_store_is_404(api_client, rice, store_a):
    Store.objects.filter(pk=store_a.pk).update(status=Store.Status.SUSPENDED)

    assert api_client.get(f"/api/v1/products/{rice.pk}/").status_code == 404
    assert api_client.get("/api/v1/products/").json()["count"] == 0


def test_product_detail_of_unknown_or_huge_id_is_404(api_client, rice):
    assert api_client.get("/api/v1/products/999999/").status_code == 404
    assert api_client.get("/api/v1/products/99999999999999999999999/").status_code == 404


def test_public_api_is_read_only(client_for, merchant_a, rice):
    client = client_for(merchant_a)

    response = client.post("/api/v1/products/", {"title": "x"}, format="json")
    patch = client.patch(f"/api/v1/products/{rice.pk}/", {"title": "x"}, format="json")

    assert response.status_code == 405
    assert patch.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    rice.refresh_from_db()
    assert rice.title == "黑龙江五常稻花香大米 5kg"
