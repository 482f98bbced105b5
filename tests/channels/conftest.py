"""Fixtures of the channels tests: the seeded channels, SKUs of two stores and listings."""

from decimal import Decimal

import pytest

from apps.channels.models import Channel
from apps.channels.services import listing_save
from apps.core.roles import roles_sync
from tests.orders.conftest import divisions, make_sku  # noqa: F401 (fixtures)


def channels_ensure() -> None:
    """The channels migration 0002 seeds, again if a transactional test flushed the table."""
    import importlib

    from django.apps import apps as django_apps

    if not Channel.objects.filter(code="taobao").exists():
        importlib.import_module("apps.channels.migrations.0002_seed_channels").seed(
            django_apps, None
        )


@pytest.fixture(autouse=True)
def _seeded(db):
    channels_ensure()
    roles_sync()


@pytest.fixture
def taobao():
    return Channel.objects.get(code="taobao")


@pytest.fixture
def jd():
    return Channel.objects.get(code="jd")


@pytest.fixture
def rice_a(store_a):
    return make_sku(store_a, price="10.00", stock=5, title="五常大米")


@pytest.fixture
def orange_b(store_b):
    return make_sku(store_b, price="8.00", stock=50, title="赣南脐橙", spec="5斤/箱")


@pytest.fixture
def listing_a(store_a, taobao, rice_a):
    return listing_save(
        store=store_a,
        channel=taobao,
        sku_id=rice_a.pk,
        channel_item_id="TB-1001",
        channel_price=Decimal("12.50"),
    )


@pytest.fixture
def listing_b(store_b, taobao, orange_b):
    return listing_save(
        store=store_b,
        channel=taobao,
        sku_id=orange_b.pk,
        channel_item_id="TB-2001",
        channel_price=Decimal("9.90"),
    )


def order_payload(number: str = "TB20261207001", **overrides) -> dict:
    payload = {
        "channel": "taobao",
        "channel_order_number": number,
        "lines": [{"channel_item_id": "TB-1001", "quantity": 2}],
        "address": {
            "contact_name": "李四",
            "contact_phone": "13912345678",
            "county_code": "230184",
            "detail": "幸福村 8 号",
        },
        "freight_amount": "6.00",
    }
    payload.update(overrides)
    return payload
