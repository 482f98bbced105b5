import pytest

from apps.catalog.selectors import ProductFilters, product_list_for_storefront
from tests.factories import ProductFactory


@pytest.mark.django_db
def test_search_finds_wuchang_rice_by_words_and_pinyin(store_a, store_b):
    rice = ProductFactory(store=store_a, title="黑龙江五常稻花香大米 5kg")
    ProductFactory(store=store_b, title="赣南脐橙 10斤装", origin_code="360730", origin_name="")

    for query in ["五常大米", "wuchang", "大米"]:
        found = list(product_list_for_storefront(ProductFilters(q=query)))
        assert found == [rice], query
