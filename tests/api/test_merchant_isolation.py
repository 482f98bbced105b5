"""Who may read and change store A's product through the merchant API.

merchant_a (its owner) and platform staff may; merchant_b gets 404 as if the product did not
exist; a shopper without a store gets 403; an anonymous caller 401. A refused request changes
nothing: product, SKUs, images and files stay as they were.
"""

from decimal import Decimal

import pytest

from apps.catalog.models import Product, ProductImage, Sku
from tests.api.helpers import image_upload, media_files
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _state(product: Product) -> dict:
    product.refresh_from_db()
    return {
        "product": (product.title, product.status, product.store_id, product.price_min),
        "skus": sorted(
            Sku.objects.filter(product=product).values_list(
                "spec", "retail_price", "stock", "is_active"
            )
        ),
        "images": ProductImage.objects.filter(product=product).count(),
        "files": media_files(),
    }


def _requests(product: Product) -> dict:
    base = f"/api/v1/merchant/products/{product.pk}/"
    sku = product.skus.get(spec="5kg/袋")
    return {
        "read": ("get", base, None, None),
        "update": ("patch", base, {"title": "被改掉的标题"}, "json"),
        "status": ("post", f"{base}status/", {"status": "off_sale"}, "json"),
        "sku_list": ("get", f"{base}skus/", None, None),
        "sku_create": ("post", f"{base}skus/", {"spec": "1kg", "retail_price": "9.90"}, "json"),
        "sku_read": ("get", f"{base}skus/{sku.pk}/", None, None),
        "sku_update": ("patch", f"{base}skus/{sku.pk}/", {"retail_price": "0.01"}, "json"),
        "image_upload": ("post", f"{base}images/", {"image": image_upload()}, "multipart"),
    }


def _call(client, request):
    method, url, data, fmt = request
    if data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data, format=fmt)


ACTIONS = [
    "read",
    "update",
    "status",
    "sku_list",
    "sku_create",
    "sku_read",
    "sku_update",
    "image_upload",
]
DENIED = {
    "merchant_b": (404, {"code": "not_found", "message": "商品不存在。", "fields": {}}),
    "shopper": (
        403,
        {
            "code": "permission_denied",
            "message": "只有店铺成员或平台运营人员可以管理商品。",
            "fields": {},
        },
    ),
    None: (401, {"code": "not_authenticated", "message": "身份认证信息未提供。", "fields": {}}),
}
ALLOWED_STATUS = {
    "read": 200,
    "update": 200,
    "status": 200,
    "sku_list": 200,
    "sku_create": 201,
    "sku_read": 200,
    "sku_update": 200,
    "image_upload": 201,
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor", ["merchant_b", "shopper", None])
def test_others_cannot_touch_store_a_product_and_nothing_changes(
    request, client_for, rice, merchant_a, merchant_b, actor, action
):
    # given store A's product and someone who is not its merchant
    user = request.getfixturevalue(actor) if actor else None
    before = _state(rice)

    # when
    response = _call(client_for(user), _requests(rice)[action])

    # then
    status_code, body = DENIED[actor]
    assert response.status_code == status_code
    assert response.json() == body
    assert _state(rice) == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor", ["merchant_a", "staff"])
def test_owner_and_platform_staff_may_act_on_store_a_product(
    request, client_for, rice, actor, action
):
    user = request.getfixturevalue(actor)

    response = _call(client_for(user), _requests(rice)[action])

    assert response.status_code == ALLOWED_STATUS[action], response.json()


def test_writes_by_owner_really_change_the_product(client_for, rice, merchant_a):
    client = client_for(merchant_a)
    requests = _requests(rice)

    for action in ["update", "sku_update", "image_upload", "status"]:
        _call(client, requests[action])

    state = _state(rice)
    assert state["product"][:2] == ("被改掉的标题", Product.Status.OFF_SALE)
    assert ("5kg/袋", Decimal("0.01"), 120, True) in state["skus"]
    assert state["images"] == 1
    assert len(state["files"]) == 2


def test_merchant_b_cannot_reach_store_a_sku_through_its_own_product(
    client_for, rice, merchant_b, store_b
):
    # given a product of store B and the id of a SKU of store A's product
    own = ProductFactory(store=store_b)
    foreign_sku = rice.skus.get(spec="5kg/袋")
    before = _state(rice)

    # when merchant B addresses that SKU under its own product
    url = f"/api/v1/merchant/products/{own.pk}/skus/{foreign_sku.pk}/"
    client = client_for(merchant_b)
    read = client.get(url)
    update = client.patch(url, {"retail_price": "0.01"}, format="json")

    # then it does not exist for them
    assert read.status_code == 404
    assert update.status_code == 404
    assert update.json() == {"code": "not_found", "message": "规格不存在。", "fields": {}}
    assert _state(rice) == before


def test_merchant_lists_only_own_products(client_for, rice, orange, merchant_a, merchant_b):
    mine_a = client_for(merchant_a).get("/api/v1/merchant/products/").json()
    mine_b = client_for(merchant_b).get("/api/v1/merchant/products/").json()

    assert [item["id"] for item in mine_a["results"]] == [rice.pk]
    assert [item["id"] for item in mine_b["results"]] == [orange.pk]


def test_merchant_cannot_filter_by_another_store(client_for, rice, merchant_b, store_a):
    response = client_for(merchant_b).get(f"/api/v1/merchant/products/?store={store_a.pk}")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["store"]


def test_staff_lists_every_store(client_for, rice, orange, staff):
    response = client_for(staff).get("/api/v1/merchant/products/").json()

    assert sorted(item["id"] for item in response["results"]) == sorted([rice.pk, orange.pk])
