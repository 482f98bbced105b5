"""apps.core.prepared: a queryset compiled once answers each run as the ORM would."""

import pytest
from django.db.models import Count, DateTimeField

from apps.catalog.models import Product
from apps.core.prepared import PreparedQuery
from tests.factories import ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


def _products(p):
    return (
        Product.objects.filter(p.isin("pk", "ids"), created_at__lte=p.param("now", DateTimeField()))
        .select_related("store")
        .annotate(stores_named=Count("store__name"))
        .order_by("pk")
    )


def test_each_run_binds_its_own_values_and_matches_the_orm():
    # given: three products in two stores, one query prepared once for the test
    store_a, store_b = StoreFactory(), StoreFactory()
    one, two, three = (
        ProductFactory(store=store_a),
        ProductFactory(store=store_b),
        ProductFactory(store=store_a),
    )
    query = PreparedQuery(_products)
    now = three.created_at

    # when: run with different lists of ids (different lengths, empty)
    runs = [query.run(ids=ids, now=now) for ids in ([one.pk], [three.pk, two.pk], [])]

    # then: each answers what the ORM answers for the same values, related rows loaded
    assert [[p.pk for p in rows] for rows in runs] == [[one.pk], [two.pk, three.pk], []]
    expected = list(
        Product.objects.filter(pk__in=[three.pk, two.pk], created_at__lte=now)
        .select_related("store")
        .order_by("pk")
    )
    assert [(p.pk, p.title, p.store.name) for p in runs[1]] == [
        (p.pk, p.title, p.store.name) for p in expected
    ]
    assert all(p.stores_named == 1 for p in runs[1])


def test_a_value_changes_the_answer_not_the_statement(django_assert_num_queries):
    # given: a product created after the cut-off of the first run
    product = ProductFactory()
    query = PreparedQuery(_products)
    before = product.created_at.replace(year=product.created_at.year - 1)

    # when / then: one statement a run, and the date bound each time decides
    with django_assert_num_queries(1):
        assert query.run(ids=[product.pk], now=before) == []
    with django_assert_num_queries(1):
        assert [p.pk for p in query.run(ids=[product.pk], now=product.created_at)] == [product.pk]
