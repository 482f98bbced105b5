"""The share button of product and store pages: a promoter's link and poster for that page;
a non-promoter a link to the promoter centre; an anonymous visitor nothing, at no query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.distribution.services.config import config_update
from apps.distribution.services.promoters import promoter_disable
from tests.distribution.conftest import brokerage_sku, make_promoter

pytestmark = pytest.mark.django_db


def _distribution_queries(client, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    # (the product body's cache version, catalog/fragments.py, names the tables too: not counted)
    touching = [q["sql"] for q in queries if "distribution_" in q["sql"] and "md5(" not in q["sql"]]
    return response.content.decode(), touching


def test_promoter_sees_the_product_share_link_and_poster(client, store_a, config):
    product = brokerage_sku(store_a).product
    promoter = make_promoter("甲")
    client.force_login(promoter.user)

    text, touching = _distribution_queries(client, product.get_absolute_url())

    assert "分享赚佣金" in text
    assert f"{product.get_absolute_url()}?ref={promoter.code}" in text
    assert f"/distribution/poster.png?product={product.pk}" in text
    assert len(touching) == 1  # the whole button costs one query
    poster = client.get(f"/distribution/poster.png?product={product.pk}")
    assert poster.status_code == 200
    assert poster["Content-Type"] == "image/png"


def test_promoter_sees_the_store_share_link(client, store_a, config):
    promoter = make_promoter("甲")
    client.force_login(promoter.user)

    text, touching = _distribution_queries(client, store_a.get_absolute_url())

    assert "分享店铺赚佣金" in text
    assert f"{store_a.get_absolute_url()}?ref={promoter.code}" in text
    assert f"/distribution/poster.png?store={store_a.slug}" in text
    assert len(touching) == 1


def test_non_promoter_gets_a_link_to_the_promoter_centre(client, shopper, store_a, config):
    product = brokerage_sku(store_a).product
    client.force_login(shopper)

    text, touching = _distribution_queries(client, product.get_absolute_url())

    assert "成为推广员，分享赚佣金" in text
    assert 'href="/distribution/"' in text
    assert "?ref=" not in text
    assert len(touching) == 1


def test_disabled_promoter_gets_no_share_link(client, store_a, config):
    product = brokerage_sku(store_a).product
    promoter = make_promoter("甲")
    promoter_disable(promoter=promoter, actor=None, reason="测试")
    client.force_login(promoter.user)

    text, _touching = _distribution_queries(client, product.get_absolute_url())

    assert f"?ref={promoter.code}" not in text
    assert "成为推广员，分享赚佣金" in text


def test_anonymous_visitor_sees_nothing_and_costs_no_query(client, store_a, config):
    product = brokerage_sku(store_a).product
    make_promoter("甲")

    text, touching = _distribution_queries(client, product.get_absolute_url())

    assert "分享赚佣金" not in text
    assert touching == []


def test_nothing_when_distribution_is_switched_off(client, store_a, config):
    product = brokerage_sku(store_a).product
    promoter = make_promoter("甲")
    config_update(actor=None, is_enabled=False)
    client.force_login(promoter.user)

    text, touching = _distribution_queries(client, product.get_absolute_url())

    assert "分享赚佣金" not in text
    assert f"?ref={promoter.code}" not in text
    assert len(touching) == 1


def test_a_shopper_made_promoter_sees_the_share_link_at_once(client, shopper, store_a, config):
    # The product body is cached per shopper while nothing it shows changed
    # (catalog/fragments.py); the promoter row and the configuration are part of it.
    from apps.distribution.services.promoters import promoter_appoint

    product = brokerage_sku(store_a).product
    client.force_login(shopper)
    for _ in range(2):  # the second view may come from the cache
        assert "成为推广员" in client.get(product.get_absolute_url()).content.decode()

    promoter = promoter_appoint(user=shopper, actor=None)

    text = client.get(product.get_absolute_url()).content.decode()
    assert f"{product.get_absolute_url()}?ref={promoter.code}" in text
