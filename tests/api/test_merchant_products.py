from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.catalog.models import Product, ProductImage, Sku
from apps.core.api import error_fields
from tests.api.helpers import image_bytes, image_upload, media_files
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

MERCHANT_PRODUCTS = "/api/v1/merchant/products/"


@pytest.fixture
def client_a(client_for, merchant_a) -> APIClient:
    return client_for(merchant_a)


def product_payload(store, category, /, **overrides) -> dict:
    payload = {
        "store": store.pk,
        "category": category.pk,
        "title": "五常长粒香大米 10kg",
        "subtitle": "新米上市",
        "origin_code": "230184",
        "shelf_life_days": 365,
        "storage": "ambient",
        "grade": "一级",
        "certifications": ["green_food", "geo_indication", "green_food"],
        "skus": [
            {"spec": "5kg/袋", "retail_price": "49.90", "stock": 80, "weight_grams": 5100},
            {
                "spec": "10kg/袋",
                "retail_price": "95.00",
                "stock": 30,
                "barcode": "6901234567892",
                "wholesale_tiers": [{"min_quantity": 10, "unit_price": "88.00"}],
            },
        ],
    }
    payload.update(overrides)
    return payload


# --- Create -------------------------------------------------------------------------------


def test_merchant_creates_a_draft_product_with_skus(client_a, store_a, rice_category):
    response = client_a.post(
        MERCHANT_PRODUCTS, product_payload(store_a, rice_category), format="json"
    )

    assert response.status_code == 201, response.json()
    product = Product.objects.get(pk=response.json()["id"])
    assert product.store == store_a
    assert product.status == Product.Status.DRAFT
    assert product.published_at is None
    assert product.origin_name == "五常市"
    assert product.certifications == ["green_food", "geo_indication"]
    assert product.price_min == Decimal("49.90")
    assert "五常" in product.search_document
    skus = {sku.spec: sku for sku in product.skus.all()}
    assert set(skus) == {"5kg/袋", "10kg/袋"}
    assert skus["5kg/袋"].retail_price == Decimal("49.90")
    assert skus["5kg/袋"].stock == 80
    assert skus["5kg/袋"].weight_grams == 5100
    assert skus["10kg/袋"].barcode == "6901234567892"
    assert list(skus["10kg/袋"].wholesale_tiers.values_list("min_quantity", "unit_price")) == [
        (10, Decimal("88.00"))
    ]
    body = response.json()
    assert body["status"] == "draft"
    assert body["store"]["id"] == store_a.pk
    assert [sku["spec"] for sku in body["skus"]] == ["5kg/袋", "10kg/袋"]


def test_draft_product_is_not_public_but_in_the_merchant_list(
    client_a, api_client, store_a, rice_category
):
    created = client_a.post(
        MERCHANT_PRODUCTS, product_payload(store_a, rice_category), format="json"
    ).json()

    mine = client_a.get(MERCHANT_PRODUCTS).json()
    public = api_client.get("/api/v1/products/").json()

    assert [item["id"] for item in mine["results"]] == [created["id"]]
    assert public["count"] == 0
    assert api_client.get(f"/api/v1/products/{created['id']}/").status_code == 404


def test_merchant_creates_an_on_sale_product_that_is_searchable(
    client_a, api_client, store_a, rice_category
):
    payload = product_payload(store_a, rice_category, status="on_sale")

    response = client_a.post(MERCHANT_PRODUCTS, payload, format="json")

    assert response.status_code == 201
    assert response.json()["published_at"] is not None
    found = api_client.get("/api/v1/products/", {"search": "长粒香"}).json()
    assert [item["id"] for item in found["results"]] == [response.json()["id"]]


def test_on_sale_without_skus_is_refused_and_nothing_is_created(client_a, store_a, rice_category):
    payload = product_payload(store_a, rice_category, status="on_sale")
    del payload["skus"]

    response = client_a.post(MERCHANT_PRODUCTS, payload, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "product_no_sku",
        "message": "上架的商品至少需要一个启用的规格。",
        "fields": {"skus": ["至少需要一个规格。"]},
    }
    assert Product.objects.count() == 0


def test_create_in_another_merchants_store_is_refused(
    client_a, store_b, rice_category, django_assert_max_num_queries
):
    response = client_a.post(
        MERCHANT_PRODUCTS, product_payload(store_b, rice_category), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "店铺不存在或您无权管理该店铺。",
        "fields": {"store": ["店铺不存在或您无权管理该店铺。"]},
    }
    assert Product.objects.count() == 0
    assert Sku.objects.count() == 0


def test_unknown_origin_code_is_refused(client_a, store_a, rice_category):
    payload = product_payload(store_a, rice_category, origin_code="999999")

    response = client_a.post(MERCHANT_PRODUCTS, payload, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "unknown_origin",
        "message": "产地必须是有效的县级行政区划代码。",
        "fields": {"origin_code": ["未知的区划代码。"]},
    }
    assert Product.objects.count() == 0


def _sku(**overrides) -> dict:
    return {"spec": "5kg/袋", "retail_price": "49.90", "stock": 10, **overrides}


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"title": ""}, {"title": ["该字段不能为空。"]}),
        ({"title": "米" * 121}, {"title": ["请确保这个字段不能超过 120 个字符。"]}),
        ({"category": 999999}, {"category": ["分类不存在或已停用。"]}),
        ({"storage": "hot"}, {"storage": ["“hot” 不是合法选项。"]}),
        ({"status": "sold_out"}, {"status": ["“sold_out” 不是合法选项。"]}),
        (
            {"certifications": ["nobel_prize"]},
            {"certifications": {"0": ["“nobel_prize” 不是合法选项。"]}},
        ),
        ({"shelf_life_days": -1}, {"shelf_life_days": ["请确保该值大于或者等于 0。"]}),
        (
            {"shelf_life_days": 10**10},
            {"shelf_life_days": ["请确保该值小于或者等于 2147483647。"]},
        ),
        (
            {"skus": [_sku(retail_price="-1")]},
            {"skus": {"0": {"retail_price": ["请确保该值大于或者等于 0.01。"]}}},
        ),
        (
            {"skus": [_sku(retail_price="0")]},
            {"skus": {"0": {"retail_price": ["请确保该值大于或者等于 0.01。"]}}},
        ),
        (
            {"skus": [_sku(retail_price="1.234")]},
            {"skus": {"0": {"retail_price": ["请确保总计不超过 2 个小数位。"]}}},
        ),
        (
            {"skus": [_sku(retail_price="12345678901.00")]},
            {"skus": {"0": {"retail_price": ["请确保总计不超过 12 个数字。"]}}},
        ),
        (
            {"skus": [_sku(retail_price="abc")]},
            {"skus": {"0": {"retail_price": ["请填写合法的数字。"]}}},
        ),
        (
            {"skus": [_sku(retail_price="NaN")]},
            {"skus": {"0": {"retail_price": ["请填写合法的数字。"]}}},
        ),
        (
            {"skus": [_sku(stock=-5)]},
            {"skus": {"0": {"stock": ["请确保该值大于或者等于 0。"]}}},
        ),
        (
            {"skus": [_sku(stock=10**12)]},
            {"skus": {"0": {"stock": ["请确保该值小于或者等于 2147483647。"]}}},
        ),
        (
            {"skus": [_sku(stock="many")]},
            {"skus": {"0": {"stock": ["请填写合法的整数值。"]}}},
        ),
        (
            {"skus": [_sku(barcode="1" * 33)]},
            {"skus": {"0": {"barcode": ["请确保这个字段不能超过 32 个字符。"]}}},
        ),
        ({"skus": [_sku(), _sku()]}, {"skus": ["规格名称不能重复。"]}),
        (
            {
                "skus": [
                    _sku(
                        wholesale_tiers=[
                            {"min_quantity": 10, "unit_price": "40.00"},
                            {"min_quantity": 10, "unit_price": "39.00"},
                        ]
                    )
                ]
            },
            {"skus": {"0": {"wholesale_tiers": ["起批量不能重复。"]}}},
        ),
        (
            {"skus": [_sku(wholesale_tiers=[{"min_quantity": 1, "unit_price": "40.00"}])]},
            {
                "skus": {
                    "0": {
                        "wholesale_tiers": {"0": {"min_quantity": ["请确保该值大于或者等于 2。"]}}
                    }
                }
            },
        ),
    ],
)
def test_bad_product_input_is_400_with_field_errors(
    client_a, store_a, rice_category, overrides, fields
):
    payload = product_payload(store_a, rice_category, **overrides)

    response = client_a.post(MERCHANT_PRODUCTS, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    # Nested problems come back flat, with dotted paths ("skus.0.stock").
    assert body["fields"] == error_fields(fields)
    assert isinstance(body["message"], str)
    assert body["message"]
    assert Product.objects.count() == 0


def test_malformed_json_is_400(client_a):
    response = client_a.post(MERCHANT_PRODUCTS, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["fields"] == {}


# --- Update, status -----------------------------------------------------------------------


def test_merchant_patches_a_product(client_a, rice, api_client, orange_category):
    response = client_a.patch(
        f"{MERCHANT_PRODUCTS}{rice.pk}/",
        {"title": "五常有机稻花香 5kg", "origin_code": "360732", "category": orange_category.pk},
        format="json",
    )

    assert response.status_code == 200, response.json()
    rice.refresh_from_db()
    assert rice.title == "五常有机稻花香 5kg"
    assert rice.category == orange_category
    # the old county name is not kept for the new code
    assert rice.origin_name == "兴国县"
    assert rice.subtitle == "当季新米"
    found = api_client.get("/api/v1/products/", {"search": "有机稻花香"}).json()
    assert [item["id"] for item in found["results"]] == [rice.pk]


def test_patch_cannot_move_a_product_to_another_store(client_a, rice, store_b):
    response = client_a.patch(
        f"{MERCHANT_PRODUCTS}{rice.pk}/", {"store": store_b.pk, "status": "draft"}, format="json"
    )

    assert response.status_code == 200
    rice.refresh_from_db()
    assert rice.store_id != store_b.pk
    assert rice.status == Product.Status.ON_SALE


def test_bad_patch_changes_nothing(client_a, rice):
    response = client_a.patch(
        f"{MERCHANT_PRODUCTS}{rice.pk}/", {"title": "新名字", "storage": "hot"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["storage"]
    rice.refresh_from_db()
    assert rice.title == "黑龙江五常稻花香大米 5kg"


def test_taking_a_product_off_sale_hides_it(client_a, api_client, rice):
    response = client_a.post(
        f"{MERCHANT_PRODUCTS}{rice.pk}/status/", {"status": "off_sale"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "off_sale"
    rice.refresh_from_db()
    assert rice.status == Product.Status.OFF_SALE
    assert api_client.get(f"/api/v1/products/{rice.pk}/").status_code == 404


def test_putting_a_draft_on_sale_publishes_it(client_a, api_client, store_a, rice_category):
    draft = ProductFactory(store=store_a, status=Product.Status.DRAFT, published_at=None)

    response = client_a.post(
        f"{MERCHANT_PRODUCTS}{draft.pk}/status/", {"status": "on_sale"}, format="json"
    )

    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Product.Status.ON_SALE
    assert draft.published_at is not None
    assert api_client.get(f"/api/v1/products/{draft.pk}/").status_code == 200


def test_on_sale_without_active_sku_is_refused(client_a, store_a):
    draft = ProductFactory(store=store_a, status=Product.Status.DRAFT, skus=[])

    response = client_a.post(
        f"{MERCHANT_PRODUCTS}{draft.pk}/status/", {"status": "on_sale"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "product_no_sku"
    draft.refresh_from_db()
    assert draft.status == Product.Status.DRAFT


def test_unknown_status_is_400(client_a, rice):
    response = client_a.post(
        f"{MERCHANT_PRODUCTS}{rice.pk}/status/", {"status": "deleted"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"status": ["“deleted” 不是合法选项。"]}
    rice.refresh_from_db()
    assert rice.status == Product.Status.ON_SALE


# --- SKUs ---------------------------------------------------------------------------------


def test_merchant_adds_a_sku_and_the_price_floor_follows(client_a, api_client, rice):
    response = client_a.post(
        f"{MERCHANT_PRODUCTS}{rice.pk}/skus/",
        {"spec": "2.5kg/袋", "retail_price": "32.00", "stock": 15, "weight_grams": 2600},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["spec"] == "2.5kg/袋"
    assert response.json()["retail_price"] == "32.00"
    rice.refresh_from_db()
    assert rice.price_min == Decimal("32.00")
    assert rice.skus.count() == 3
    public = api_client.get(f"/api/v1/products/{rice.pk}/").json()
    assert public["price_min"] == "32.00"


def test_adding_a_sku_with_an_existing_spec_is_refused(client_a, rice):
    response = client_a.post(
        f"{MERCHANT_PRODUCTS}{rice.pk}/skus/",
        {"spec": "5kg/袋", "retail_price": "1.00"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"spec": ["该商品已有同名规格。"]}
    assert rice.skus.get(spec="5kg/袋").retail_price == Decimal("59.90")


def test_merchant_patches_a_sku(client_a, rice):
    sku = rice.skus.get(spec="5kg/袋")

    response = client_a.patch(
        f"{MERCHANT_PRODUCTS}{rice.pk}/skus/{sku.pk}/",
        {"retail_price": "69.90", "stock": 7, "barcode": "6900000000001", "spec": "5kg/袋"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    sku.refresh_from_db()
    assert (sku.retail_price, sku.stock, sku.barcode) == (Decimal("69.90"), 7, "6900000000001")
    rice.refresh_from_db()
    assert rice.price_min == Decimal("69.90")  # the 10kg bag at 109.00 is dearer
    assert rice.skus.count() == 2


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"spec": "6kg/袋"}, {"spec": ["规格名称创建后不能修改，请新建规格。"]}),
        ({"stock": -1}, {"stock": ["请确保该值大于或者等于 0。"]}),
        ({"retail_price": "-0.01"}, {"retail_price": ["请确保该值大于或者等于 0.01。"]}),
        ({"retail_price": "1e20"}, {"retail_price": ["请确保总计不超过 12 个数字。"]}),
        (
            {"weight_grams": 3_000_000_000},
            {"weight_grams": ["请确保该值小于或者等于 2147483647。"]},
        ),
    ],
)
def test_bad_sku_patch_changes_nothing(client_a, rice, payload, fields):
    sku = rice.skus.get(spec="5kg/袋")

    response = client_a.patch(
        f"{MERCHANT_PRODUCTS}{rice.pk}/skus/{sku.pk}/", payload, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == fields
    sku.refresh_from_db()
    assert (sku.spec, sku.retail_price, sku.stock, sku.weight_grams) == (
        "5kg/袋",
        Decimal("59.90"),
        120,
        0,
    )


def test_deactivating_the_last_sku_of_an_on_sale_product_is_refused(client_a, store_a):
    product = ProductFactory(store=store_a, skus=[{"spec": "1箱", "price": "10.00"}])
    sku = product.skus.get()

    response = client_a.patch(
        f"{MERCHANT_PRODUCTS}{product.pk}/skus/{sku.pk}/", {"is_active": False}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "product_no_sku"
    sku.refresh_from_db()
    assert sku.is_active is True


def test_sku_list_includes_inactive_skus_and_costs(client_a, rice):
    Sku.objects.filter(product=rice, spec="10kg/袋").update(is_active=False, cost_price="80.00")

    response = client_a.get(f"{MERCHANT_PRODUCTS}{rice.pk}/skus/")

    assert response.status_code == 200
    assert [(s["spec"], s["is_active"], s["cost_price"]) for s in response.json()] == [
        ("5kg/袋", True, None),
        ("10kg/袋", False, "80.00"),
    ]


# --- Images -------------------------------------------------------------------------------


def test_merchant_uploads_an_image_and_gets_its_thumbnail(client_a, api_client, rice):
    response = client_a.post(
        f"{MERCHANT_PRODUCTS}{rice.pk}/images/",
        {"image": image_upload(size=(800, 600)), "sort_order": 2},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    image = ProductImage.objects.get(product=rice)
    assert (image.width, image.height, image.sort_order) == (800, 600, 2)
    assert response.json() == {
        "id": image.pk,
        "image": f"http://testserver{image.image.url}",
        "thumbnail": f"http://testserver{image.thumbnail.url}",
        "width": 800,
        "height": 600,
        "sort_order": 2,
    }
    assert len(media_files()) == 2
    public = api_client.get(f"/api/v1/products/{rice.pk}/").json()
    assert public["images"][0]["thumbnail"] == f"http://testserver{image.thumbnail.url}"


def test_fake_image_is_refused_and_leaves_no_file(client_a, rice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("rice.jpg", b"GIF89a-not-really-an-image", content_type="image/jpeg")

    response = client_a.post(
        f"{MERCHANT_PRODUCTS}{rice.pk}/images/", {"image": fake}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "image_invalid",
        "message": "文件不是有效的图片。",
        "fields": {"image": ["文件不是有效的图片。"]},
    }
    assert ProductImage.objects.count() == 0
    assert media_files() == []


def test_oversized_image_is_refused_and_leaves_no_file(client_a, rice, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1024
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile(
        "big.bmp", image_bytes(size=(300, 300), fmt="BMP"), content_type="image/bmp"
    )

    response = client_a.post(
        f"{MERCHANT_PRODUCTS}{rice.pk}/images/", {"image": big}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "image_too_large"
    assert list(response.json()["fields"]) == ["image"]
    assert ProductImage.objects.count() == 0
    assert media_files() == []


def test_image_upload_without_a_file_is_400(client_a, rice):
    response = client_a.post(f"{MERCHANT_PRODUCTS}{rice.pk}/images/", {}, format="multipart")

    assert response.status_code == 400
    assert response.json()["fields"] == {"image": ["没有提交任何文件。"]}


# --- Listing and auth ---------------------------------------------------------------------


def test_merchant_list_filters_by_status_and_title(client_a, rice, store_a):
    draft = ProductFactory(store=store_a, title="黑米 草稿", status=Product.Status.DRAFT)

    drafts = client_a.get(MERCHANT_PRODUCTS, {"status": "draft"}).json()
    by_title = client_a.get(MERCHANT_PRODUCTS, {"title": "稻花香"}).json()

    assert [item["id"] for item in drafts["results"]] == [draft.pk]
    assert [item["id"] for item in by_title["results"]] == [rice.pk]


@pytest.mark.parametrize("count", [3, 25])
def test_merchant_list_query_count_does_not_grow(
    client_a, store_a, django_assert_max_num_queries, count
):
    for _ in range(count):
        product = ProductFactory(store=store_a)
        product.skus.first().wholesale_tiers.create(min_quantity=5, unit_price="1.00")

    # token user, membership, permissions (2), count, page, SKUs, tiers, images
    with django_assert_max_num_queries(9):
        response = client_a.get(f"{MERCHANT_PRODUCTS}?page_size=25")

    assert len(response.json()["results"]) == count


def test_session_authentication_works_and_needs_csrf(merchant_a, rice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(merchant_a)

    listed = client.get(MERCHANT_PRODUCTS)
    refused = client.patch(f"{MERCHANT_PRODUCTS}{rice.pk}/", {"title": "x"}, format="json")

    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    rice.refresh_from_db()
    assert rice.title == "黑龙江五常稻花香大米 5kg"


def test_a_shopper_without_a_store_is_403(client_for, shopper, store_a, rice_category):
    response = client_for(shopper).post(
        MERCHANT_PRODUCTS, product_payload(store_a, rice_category), format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "只有店铺成员或平台运营人员可以管理商品。",
        "fields": {},
    }
    assert Product.objects.count() == 0


def test_a_bad_token_is_401(store_a, rice_category):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.post(
        MERCHANT_PRODUCTS, product_payload(store_a, rice_category), format="json"
    )

    assert response.status_code == 401
    assert response.json() == {
        "code": "authentication_failed",
        "message": "认证令牌无效。",
        "fields": {},
    }
    assert Product.objects.count() == 0


def test_staff_creates_a_product_in_any_store(client_for, staff, store_b, orange_category):
    response = client_for(staff).post(
        MERCHANT_PRODUCTS, product_payload(store_b, orange_category), format="json"
    )

    assert response.status_code == 201
    assert Product.objects.get().store == store_b
