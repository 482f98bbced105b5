from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.catalog.models import Category, Certification, Storage
from tests.factories import CategoryFactory, ProductFactory


@pytest.fixture
def client_for() -> Callable:
    """An APIClient authenticated with a fresh token of `user` (None: anonymous)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            token = Token.objects.create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def grain(db) -> Category:
    return CategoryFactory(name="粮油米面", slug="grain", sort_order=1)


@pytest.fixture
def rice_category(grain) -> Category:
    return CategoryFactory(name="大米", slug="rice", parent=grain)


@pytest.fixture
def fruit(db) -> Category:
    return CategoryFactory(name="新鲜水果", slug="fruit", sort_order=2)


@pytest.fixture
def orange_category(fruit) -> Category:
    return CategoryFactory(name="柑橘橙柚", slug="citrus", parent=fruit)


@pytest.fixture
def rice(store_a, rice_category):
    return ProductFactory(
        store=store_a,
        category=rice_category,
        title="黑龙江五常稻花香大米 5kg",
        subtitle="当季新米",
        origin_code="230184",
        origin_name="五常市",
        storage=Storage.AMBIENT,
        grade="一级",
        certifications=[Certification.GEO_INDICATION, Certification.GREEN_FOOD],
        skus=[
            {"spec": "5kg/袋", "price": "59.90", "stock": 120},
            {"spec": "10kg/袋", "price": "109.00", "stock": 40},
        ],
    )


@pytest.fixture
def orange(store_b, orange_category):
    return ProductFactory(
        store=store_b,
        category=orange_category,
        title="赣南脐橙 10斤装",
        origin_code="360732",
        origin_name="兴国县",
        storage=Storage.CHILLED,
        skus=[{"spec": "10斤/箱", "price": "39.80", "stock": 300}],
    )
