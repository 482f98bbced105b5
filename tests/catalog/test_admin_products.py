"""Writing the catalogue through the admin goes through the catalog services."""

from decimal import Decimal

import pytest
from django.conf import settings

from apps.catalog.models import Product, ProductImage, Sku, WholesaleTier
from apps.core.roles import roles_sync
from tests.factories import CategoryFactory, ProductFactory
from tests.stores.helpers import (
    fake_image_upload,
    has_exif,
    image_upload,
    media_files,
    noisy_png_upload,
)

ADD = "/admin/catalog/product/add/"


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


@pytest.fixture
def category(db):
    parent = CategoryFactory(name="粮油米面")
    return CategoryFactory(name="大米", parent=parent)


def new_product_data(category, **overrides) -> dict:
    data = {
        "category": category.pk,
        "title": "五常稻花香大米 5kg 新米",
        "subtitle": "当季新米",
        "status": "on_sale",
        "origin_code": "230184",
        "origin_name": "",
        "storage": "ambient",
        "certifications": ["green_food", "geo_indication"],
        "description": "",
        "skus-TOTAL_FORMS": "1",
        "skus-INITIAL_FORMS": "0",
        "skus-0-spec": "5kg/袋",
        "skus-0-retail_price": "69.90",
        "skus-0-stock": "100",
        "skus-0-weight_grams": "5000",
        "skus-0-min_wholesale_quantity": "0",
        "skus-0-sort_order": "0",
        "skus-0-is_active": "on",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-0-image": image_upload("rice.jpg", size=(800, 600)),
        "images-0-sort_order": "0",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_merchant_adds_a_product_with_sku_and_image(client, merchant_a, store_a, category):
    client.force_login(merchant_a)

    response = client.post(ADD, new_product_data(category))

    assert response.status_code == 302
    product = Product.objects.get()
    assert product.store == store_a
    assert product.origin_name == "五常市"
    assert product.certifications == ["green_food", "geo_indication"]
    assert product.price_min == Decimal("69.90")
    assert product.published_at is not None
    assert "五常" in product.search_document
    image = ProductImage.objects.get(product=product)
    assert (image.width, image.height) == (800, 600)
    assert image.thumbnail.name
    stored = image.image.read()
    image.image.close()
    assert not has_exif(stored)
    assert media_files(settings.MEDIA_ROOT) == sorted([image.image.name, image.thumbnail.name])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (fake_image_upload, "请上传有效图片"),
        (lambda: noisy_png_upload(side=300), "图片不能超过 0 MB。"),
    ],
)
def test_a_bad_image_refuses_the_whole_product_and_leaves_no_file(
    client, merchant_a, category, settings, upload, error
):
    settings.IMAGE_UPLOAD_MAX_BYTES = 100_000
    client.force_login(merchant_a)

    response = client.post(ADD, new_product_data(category, **{"images-0-image": upload()}))

    assert response.status_code == 200
    image_errors = response.context["inline_admin_formsets"][1].formset.errors[0]["image"]
    assert error in image_errors[0]
    assert Product.objects.count() == 0
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_an_on_sale_product_needs_an_active_sku(client, merchant_a, category):
    client.force_login(merchant_a)
    data = new_product_data(category, **{"skus-TOTAL_FORMS": "0"})

    response = client.post(ADD, data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert errors == ["上架的商品至少需要一个启用的规格。"]
    assert Product.objects.count() == 0
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_an_unknown_origin_is_refused(client, merchant_a, category):
    client.force_login(merchant_a)

    response = client.post(ADD, new_product_data(category, origin_code="2301"))

    assert response.status_code == 200
    assert "origin_code" in response.context["adminform"].form.errors
    assert Product.objects.count() == 0


@pytest.mark.django_db
def test_a_draft_product_may_have_no_sku(client, merchant_a, category):
    client.force_login(merchant_a)
    data = new_product_data(
        category, status="draft", **{"skus-TOTAL_FORMS": "0", "images-TOTAL_FORMS": "0"}
    )

    response = client.post(ADD, data)

    assert response.status_code == 302
    product = Product.objects.get()
    assert product.status == Product.Status.DRAFT
    assert product.published_at is None


@pytest.mark.django_db
def test_merchant_edits_wholesale_tiers_on_the_sku_page(client, merchant_a, store_a):
    product = ProductFactory(store=store_a)
    sku = product.skus.get()
    client.force_login(merchant_a)

    response = client.post(
        f"/admin/catalog/sku/{sku.pk}/change/",
        {
            "product": product.pk,
            "spec": sku.spec,
            "retail_price": "50.00",
            "stock": "80",
            "low_stock_threshold": "10",
            "weight_grams": "5000",
            "min_wholesale_quantity": "10",
            "sort_order": "0",
            "is_active": "on",
            "wholesale_tiers-TOTAL_FORMS": "2",
            "wholesale_tiers-INITIAL_FORMS": "0",
            "wholesale_tiers-0-min_quantity": "10",
            "wholesale_tiers-0-unit_price": "45.00",
            "wholesale_tiers-1-min_quantity": "50",
            "wholesale_tiers-1-unit_price": "42.00",
        },
    )

    assert response.status_code == 302
    tiers = list(WholesaleTier.objects.filter(sku=sku).values_list("min_quantity", "unit_price"))
    assert tiers == [(10, Decimal("45.00")), (50, Decimal("42.00"))]
    product.refresh_from_db()
    assert product.price_min == Decimal("50.00")


@pytest.mark.django_db
def test_sku_changelist_shows_tiers_with_a_fixed_query_count(
    client, merchant_a, store_a, django_assert_max_num_queries
):
    for _ in range(10):
        sku = ProductFactory(store=store_a).skus.get()
        WholesaleTier.objects.create(sku=sku, min_quantity=10, unit_price=Decimal("9.00"))
    client.force_login(merchant_a)

    with django_assert_max_num_queries(10):
        response = client.get("/admin/catalog/sku/")

    assert response.status_code == 200
    assert response.content.decode().count("≥10: ¥9.00") == 10


@pytest.mark.django_db
def test_image_admin_adds_through_the_service(client, merchant_a, store_a):
    product = ProductFactory(store=store_a)
    client.force_login(merchant_a)

    response = client.post(
        "/admin/catalog/productimage/add/",
        {"product": product.pk, "image": image_upload("p.png"), "sort_order": "3"},
    )

    assert response.status_code == 302
    image = ProductImage.objects.get()
    assert image.sort_order == 3
    assert image.thumbnail.name.startswith("products/thumbs/")
    assert response["Location"] == "/admin/catalog/productimage/"


@pytest.mark.django_db
def test_image_changelist_has_a_fixed_query_count(
    client, merchant_a, store_a, django_assert_max_num_queries
):
    from apps.catalog.services.images import product_image_add

    for _ in range(8):
        product_image_add(product=ProductFactory(store=store_a), upload=image_upload())
    client.force_login(merchant_a)

    with django_assert_max_num_queries(9):
        response = client.get("/admin/catalog/productimage/")

    assert response.status_code == 200
    assert response.content.decode().count('class="field-preview"') == 8


@pytest.mark.django_db
def test_deleting_a_sku_refreshes_the_price(client, merchant_a, store_a):
    product = ProductFactory(
        store=store_a,
        skus=[{"spec": "5kg", "price": "30.00"}, {"spec": "10kg", "price": "55.00"}],
    )
    cheap = Sku.objects.get(product=product, spec="5kg")
    client.force_login(merchant_a)

    response = client.post(f"/admin/catalog/sku/{cheap.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.price_min == Decimal("55.00")
