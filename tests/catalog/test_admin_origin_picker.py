"""The product form's 产地 is a province → city → county picker: small page, fixed queries."""

import pytest

from apps.catalog.models import Product
from apps.core.roles import roles_sync
from tests.catalog.test_admin_products import ADD, new_product_data
from tests.factories import CategoryFactory, ProductFactory

# Before the picker the page listed every county: 200 KB; with it about 50–65 KB (the admin's
# app sidebar grows with every app a merchant may see). All counties would add ~150 KB.
PAGE_SIZE_LIMIT = 80_000


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


@pytest.fixture
def category(db):
    return CategoryFactory(name="大米", parent=CategoryFactory(name="粮油米面"))


@pytest.mark.django_db
def test_the_add_page_is_small_with_a_fixed_number_of_queries(
    client, merchant_a, category, django_assert_max_num_queries
):
    client.force_login(merchant_a)

    with django_assert_max_num_queries(10):
        response = client.get(ADD)

    assert response.status_code == 200
    assert len(response.content) < PAGE_SIZE_LIMIT
    html = response.content.decode()
    assert 'name="origin_code__province"' in html
    assert "五常市" not in html


@pytest.mark.django_db
def test_the_change_page_is_small_and_shows_the_saved_origin(
    client, merchant_a, store_a, category, django_assert_max_num_queries
):
    specs = [{"spec": spec, "price": "59.90"} for spec in ("5kg", "10kg", "2.5kg")]
    product = ProductFactory(store=store_a, category=category, origin_code="230184", skus=specs)
    client.force_login(merchant_a)

    with django_assert_max_num_queries(15):
        response = client.get(f"/admin/catalog/product/{product.pk}/change/")

    assert response.status_code == 200
    assert len(response.content) < PAGE_SIZE_LIMIT
    html = response.content.decode()
    assert '<option value="23" selected>黑龙江省</option>' in html
    assert '<option value="2301" selected>哈尔滨市</option>' in html
    assert '<option value="230184" selected>五常市</option>' in html


@pytest.mark.django_db
def test_saving_with_a_county_keeps_it(client, merchant_a, category):
    client.force_login(merchant_a)
    data = new_product_data(category, origin_code="420102")
    data.update({"origin_code__province": "42", "origin_code__city": "4201"})

    response = client.post(ADD, data)

    assert response.status_code == 302
    assert Product.objects.get().origin_code == "420102"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "message"), [("429999", "未知的区县代码。"), ("4201", "请选择区县。")]
)
def test_a_bad_county_is_a_form_error(client, merchant_a, category, code, message):
    client.force_login(merchant_a)

    response = client.post(ADD, new_product_data(category, origin_code=code))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["origin_code"] == [message]
    assert Product.objects.count() == 0
