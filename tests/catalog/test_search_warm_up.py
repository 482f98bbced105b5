"""The first search of a web worker is as fast as any other: config/wsgi.py loads the
dictionaries when the worker starts."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import time, jieba
import config.wsgi
from apps.catalog.search import _converter, pinyin_syllables, query_terms
assert jieba.dt.initialized, "jieba not loaded by config.wsgi"
assert _converter.cache_info().currsize == 1 and pinyin_syllables.cache_info().currsize == 1
started = time.perf_counter()
query_terms("蘋果 wcdm 五常大米")
print(round((time.perf_counter() - started) * 1000, 1))
"""


def test_a_web_worker_loads_the_search_dictionaries_when_it_starts():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}

    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    first_query_ms = float(result.stdout.strip().splitlines()[-1])
    assert first_query_ms < 200  # the dictionary load alone takes seconds


@pytest.mark.django_db
def test_reindex_search_rebuilds_stale_products_at_once(store_a):
    from django.core.management import call_command

    from apps.catalog.models import Product
    from apps.catalog.selectors import ProductFilters, product_list_for_storefront
    from tests.factories import ProductFactory

    # given: a product whose search text was lost (as after the migration marking all stale)
    product = ProductFactory(store=store_a, title="寿光沙瓤西红柿 5斤")
    Product.objects.filter(pk=product.pk).update(
        search_document="", search_title="", is_search_stale=True
    )
    assert product_list_for_storefront(ProductFilters(q="西红柿")).count() == 0

    # when
    call_command("reindex_search", stdout=io.StringIO())

    # then
    assert [p.pk for p in product_list_for_storefront(ProductFilters(q="西红柿"))] == [product.pk]
    assert not Product.objects.filter(is_search_stale=True).exists()
