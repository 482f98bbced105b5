"""Merchants see and change only their own store's catalogue in the admin; staff see all."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from apps.catalog.models import Product, ProductImage, Sku
from apps.catalog.services.images import product_image_add
from apps.core.roles import roles_sync
from apps.stores.services import store_member_add
from tests.factories import ProductFactory, StoreFactory
from tests.stores.helpers import admin_form_data, image_upload

ADMIN = "/admin/catalog"


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


@pytest.fixture
def product_a(store_a):
    product = ProductFactory(store=store_a, title="五常稻花香大米 5kg")
    product_image_add(product=product, upload=image_upload())
    return product


@pytest.fixture
def product_b(store_b):
    product = ProductFactory(store=store_b, title="赣南脐橙 10斤装")
    product_image_add(product=product, upload=image_upload())
    return product


@pytest.fixture
def catalogue(product_a, product_b, merchant_a, merchant_b):
    return {"a": product_a, "b": product_b}


def owned(model: str, product: Product):
    """The object of `model` that belongs to `product`'s store."""
    if model == "product":
        return product
    if model == "sku":
        return product.skus.get()
    return product.images.get()


def visible_store_ids(model: str, objects) -> set[int]:
    if model == "product":
        return {o.store_id for o in objects}
    return {o.product.store_id for o in objects}


ROLE_SEES = [
    ("merchant_a", {"a"}),
    ("merchant_b", {"b"}),
    ("staff", {"a", "b"}),
]
MODELS = ["product", "sku", "productimage"]


# --- changelist -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(("role", "sees"), ROLE_SEES)
def test_changelist_shows_only_own_store(client, request, catalogue, model, role, sees):
    client.force_login(request.getfixturevalue(role))

    response = client.get(f"{ADMIN}/{model}/")

    assert response.status_code == 200
    expected = {catalogue[key].store_id for key in sees}
    assert visible_store_ids(model, response.context["cl"].result_list) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
def test_merchant_changelist_offers_no_store_filter(client, catalogue, merchant_a, model):
    client.force_login(merchant_a)

    html = client.get(f"{ADMIN}/{model}/").content.decode()

    assert "赣南脐橙家庭农场" not in html
    assert "store__id__exact" not in html


@pytest.mark.django_db
def test_staff_changelist_filters_by_store(client, catalogue, staff):
    client.force_login(staff)

    response = client.get(f"{ADMIN}/product/", {"store__id__exact": catalogue["b"].store_id})

    assert list(response.context["cl"].result_list) == [catalogue["b"]]


@pytest.mark.django_db
def test_merchant_cannot_widen_the_list_with_a_lookup(client, catalogue, merchant_a):
    client.force_login(merchant_a)

    response = client.get(f"{ADMIN}/product/", {"store__id__exact": catalogue["b"].store_id})

    assert list(response.context["cl"].result_list) == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["merchant_a", "staff"])
def test_product_changelist_has_a_fixed_query_count(
    client, request, store_a, role, django_assert_max_num_queries
):
    for _ in range(12):
        product = ProductFactory(store=store_a)
        product_image_add(product=product, upload=image_upload())
    user = request.getfixturevalue(role)
    client.force_login(user)

    with django_assert_max_num_queries(11):
        response = client.get(f"{ADMIN}/product/")

    assert response.status_code == 200
    assert response.content.decode().count('class="field-cover"') == 12


# --- change / delete / history views ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_merchant_gets_404_for_another_stores_object(client, catalogue, merchant_a, model, view):
    other = owned(model, catalogue["b"])
    client.force_login(merchant_a)

    response = client.get(f"{ADMIN}/{model}/{other.pk}/{view}/")

    assert response.status_code == 404
    assert "10斤装" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
def test_404_for_another_store_looks_like_a_missing_id(client, catalogue, merchant_a, model):
    client.force_login(merchant_a)

    other = client.get(f"{ADMIN}/{model}/{owned(model, catalogue['b']).pk}/change/")
    missing = client.get(f"{ADMIN}/{model}/999999/change/")

    assert other.status_code == missing.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(("role", "sees"), ROLE_SEES)
def test_change_view_matrix(client, request, catalogue, model, role, sees):
    client.force_login(request.getfixturevalue(role))

    statuses = {
        key: client.get(f"{ADMIN}/{model}/{owned(model, product).pk}/change/").status_code
        for key, product in catalogue.items()
    }

    assert statuses == {key: 200 if key in sees else 404 for key in catalogue}


@pytest.mark.django_db
def test_merchant_post_to_another_stores_product_changes_nothing(
    client, catalogue, merchant_a, staff
):
    product_b = catalogue["b"]
    client.force_login(staff)
    data = admin_form_data(client.get(f"{ADMIN}/product/{product_b.pk}/change/"))
    data["title"] = "被篡改的标题"
    client.force_login(merchant_a)

    response = client.post(f"{ADMIN}/product/{product_b.pk}/change/", data)

    assert response.status_code == 404
    product_b.refresh_from_db()
    assert product_b.title == "赣南脐橙 10斤装"


@pytest.mark.django_db
def test_merchant_delete_of_another_stores_product_changes_nothing(client, catalogue, merchant_a):
    client.force_login(merchant_a)

    response = client.post(f"{ADMIN}/product/{catalogue['b'].pk}/delete/", {"post": "yes"})

    assert response.status_code == 404
    assert Product.objects.filter(pk=catalogue["b"].pk).exists()


@pytest.mark.django_db
def test_merchant_edits_own_product(client, catalogue, merchant_a):
    product_a = catalogue["a"]
    client.force_login(merchant_a)
    data = admin_form_data(client.get(f"{ADMIN}/product/{product_a.pk}/change/"))
    data["title"] = "五常稻花香大米 10kg"
    data["skus-0-retail_price"] = "88.00"

    response = client.post(f"{ADMIN}/product/{product_a.pk}/change/", data)

    assert response.status_code == 302
    product_a.refresh_from_db()
    assert product_a.title == "五常稻花香大米 10kg"
    assert product_a.store_id == catalogue["a"].store_id
    assert str(product_a.price_min) == "88.00"


# --- add forms: store and foreign-key choices -------------------------------------------------


@pytest.mark.django_db
def test_single_store_merchant_does_not_pick_a_store(client, catalogue, merchant_a):
    client.force_login(merchant_a)

    response = client.get(f"{ADMIN}/product/add/")

    assert response.status_code == 200
    assert "store" not in response.context["adminform"].form.fields


@pytest.mark.django_db
def test_multi_store_merchant_picks_among_own_stores_only(client, catalogue, merchant_a, store_a):
    store_c = StoreFactory(name="五常第二农场")
    store_member_add(store=store_c, user=merchant_a, role="owner")
    client.force_login(merchant_a)

    response = client.get(f"{ADMIN}/product/add/")

    choices = response.context["adminform"].form.fields["store"].queryset
    assert set(choices) == {store_a, store_c}


@pytest.mark.django_db
def test_staff_picks_any_store(client, catalogue, staff, store_a, store_b):
    client.force_login(staff)

    response = client.get(f"{ADMIN}/product/add/")

    assert set(response.context["adminform"].form.fields["store"].queryset) == {
        store_a,
        store_b,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["sku", "productimage"])
@pytest.mark.parametrize(("role", "sees"), ROLE_SEES)
def test_product_choices_are_scoped(client, request, catalogue, model, role, sees):
    client.force_login(request.getfixturevalue(role))

    response = client.get(f"{ADMIN}/{model}/add/")

    choices = set(response.context["adminform"].form.fields["product"].queryset)
    assert choices == {catalogue[key] for key in sees}


@pytest.mark.django_db
def test_merchant_cannot_add_a_sku_to_another_stores_product(client, catalogue, merchant_a):
    client.force_login(merchant_a)

    response = client.post(
        f"{ADMIN}/sku/add/",
        {
            "product": catalogue["b"].pk,
            "spec": "偷偷加的规格",
            "retail_price": "1.00",
            "stock": "1",
            "weight_grams": "0",
            "min_wholesale_quantity": "0",
            "sort_order": "0",
            "is_active": "on",
            "wholesale_tiers-TOTAL_FORMS": "0",
            "wholesale_tiers-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "product" in response.context["adminform"].form.errors
    assert not Sku.objects.filter(spec="偷偷加的规格").exists()


@pytest.mark.django_db
def test_merchant_cannot_attach_an_image_to_another_stores_product(
    client, catalogue, merchant_a, settings
):
    client.force_login(merchant_a)
    before = ProductImage.objects.count()

    response = client.post(
        f"{ADMIN}/productimage/add/",
        {"product": catalogue["b"].pk, "image": image_upload(), "sort_order": "0"},
    )

    assert response.status_code == 200
    assert "product" in response.context["adminform"].form.errors
    assert ProductImage.objects.count() == before


@pytest.mark.django_db
def test_multi_store_merchant_cannot_post_a_foreign_store(client, catalogue, merchant_a, store_b):
    store_member_add(store=StoreFactory(), user=merchant_a, role="owner")
    client.force_login(merchant_a)
    data = admin_form_data(client.get(f"{ADMIN}/product/add/"))
    data.update({"store": store_b.pk, "title": "越权商品", "status": "draft"})

    response = client.post(f"{ADMIN}/product/add/", data)

    assert response.status_code == 200
    assert "store" in response.context["adminform"].form.errors
    assert not Product.objects.filter(title="越权商品").exists()


# --- actions and exports --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "taken_off"),
    [("merchant_a", {"a"}), ("merchant_b", {"b"}), ("staff", {"a", "b"})],
)
def test_bulk_take_off_sale_acts_only_on_own_products(client, request, catalogue, role, taken_off):
    client.force_login(request.getfixturevalue(role))

    client.post(
        f"{ADMIN}/product/",
        {
            "action": "take_off_sale",
            ACTION_CHECKBOX_NAME: [p.pk for p in catalogue.values()],
            "index": 0,
        },
    )

    for key, product in catalogue.items():
        product.refresh_from_db()
        expected = Product.Status.OFF_SALE if key in taken_off else Product.Status.ON_SALE
        assert product.status == expected, key


@pytest.mark.django_db
def test_bulk_put_on_sale_with_select_across_stays_in_scope(client, catalogue, merchant_a):
    Product.objects.update(status=Product.Status.OFF_SALE)
    client.force_login(merchant_a)

    client.post(
        f"{ADMIN}/product/",
        {
            "action": "put_on_sale",
            ACTION_CHECKBOX_NAME: [catalogue["a"].pk],
            "select_across": "1",
            "index": 0,
        },
    )

    statuses = dict(Product.objects.values_list("title", "status"))
    assert statuses == {"五常稻花香大米 5kg": "on_sale", "赣南脐橙 10斤装": "off_sale"}


@pytest.mark.django_db
def test_bulk_delete_of_another_stores_product_is_ignored(client, catalogue, merchant_a):
    client.force_login(merchant_a)

    client.post(
        f"{ADMIN}/product/",
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [catalogue["b"].pk], "post": "yes"},
    )

    assert Product.objects.filter(pk=catalogue["b"].pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "sees"), ROLE_SEES)
def test_csv_export_holds_only_own_products(client, request, catalogue, role, sees):
    client.force_login(request.getfixturevalue(role))

    response = client.post(
        f"{ADMIN}/product/",
        {
            "action": "export_csv",
            ACTION_CHECKBOX_NAME: [p.pk for p in catalogue.values()],
            "select_across": "1",
            "index": 0,
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert len(lines) == 1 + len(sees)  # header + one line per SKU
    for key, product in catalogue.items():
        assert (product.title in body) is (key in sees)


# --- categories -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [("merchant_a", 403), ("staff", 200)])
def test_categories_are_managed_by_platform_staff_only(client, request, catalogue, role, status):
    client.force_login(request.getfixturevalue(role))

    assert client.get(f"{ADMIN}/category/").status_code == status


@pytest.mark.django_db
def test_merchant_admin_index_lists_catalogue_but_not_categories(client, catalogue, merchant_a):
    client.force_login(merchant_a)

    html = client.get("/admin/").content.decode()

    assert "/admin/catalog/product/" in html
    assert "/admin/catalog/category/" not in html
    assert "/admin/stores/storeapplication/" not in html


@pytest.mark.django_db
def test_bulk_put_on_sale_reports_a_refused_product_and_puts_the_rest_on_sale(
    client, catalogue, merchant_a, store_a
):
    # given: two off-sale products of store A, one without an active SKU
    Product.objects.update(status=Product.Status.OFF_SALE)
    no_sku = ProductFactory(store=store_a, title="无规格商品", status=Product.Status.OFF_SALE)
    no_sku.skus.update(is_active=False)
    client.force_login(merchant_a)

    # when: the merchant puts both on sale
    response = client.post(
        f"{ADMIN}/product/",
        {"action": "put_on_sale", ACTION_CHECKBOX_NAME: [catalogue["a"].pk, no_sku.pk]},
        follow=True,
    )

    # then: the one with a SKU is on sale, the other is refused with the service's message
    statuses = dict(Product.objects.filter(store=store_a).values_list("title", "status"))
    assert statuses == {"五常稻花香大米 5kg": "on_sale", "无规格商品": "off_sale"}
    texts = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert texts == [
        ("error", "无规格商品: 上架的商品至少需要一个启用的规格。"),
        ("success", "已上架 1 件商品。"),
    ]
