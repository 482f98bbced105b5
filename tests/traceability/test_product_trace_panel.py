"""溯源 on the product page: the active lot supplying the chosen SKU, its harvest date,
certificate and tests, and the /t/ link, in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.traceability.models import Certificate, Inspection
from apps.traceability.selectors import lot_primary_code
from apps.traceability.services.certificates import certificate_issue
from apps.traceability.services.lots import lot_recall
from tests.traceability.conftest import inspect, make_lot

pytestmark = pytest.mark.django_db


def page(client, product, sku=None) -> str:
    url = product.get_absolute_url() + (f"?sku={sku.pk}" if sku else "")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_panel_shows_lot_harvest_certificate_tests_and_the_trace_link(client, rice):
    lot = make_lot(rice.store, rice, number="WC-2026-007")
    inspect(lot, "毒死蜱", kind=Inspection.Kind.LAB)
    inspect(lot, "吡虫啉")
    certificate = certificate_issue(lot=lot, basis=Certificate.Basis.QUALITY_CONTROL, actor=None)

    html = page(client, rice)

    assert 'id="trace-title"' in html
    assert "WC-2026-007" in html
    assert lot.harvest_date.strftime("%Y-%m-%d") in html
    assert "王大伯" in html
    assert certificate.number in html
    assert "2 次，最近" in html
    assert "快速检测合格" in html
    assert f'href="/t/{lot_primary_code(lot=lot).code}"' in html


def test_a_lot_without_records_says_so(client, rice):
    make_lot(rice.store, rice)

    html = page(client, rice)

    assert "暂未开具" in html
    assert "暂无检测记录" in html


def test_no_panel_without_a_lot_or_for_a_sku_the_lot_does_not_supply(client, rice):
    small, large = rice.skus.order_by("sort_order", "id")
    assert 'id="trace-title"' not in page(client, rice)

    make_lot(rice.store, rice, number="SMALL-01", skus=[small])

    assert "SMALL-01" in page(client, rice, small)
    assert 'id="trace-title"' not in page(client, rice, large)


def test_a_recalled_lot_is_not_shown_as_the_source(client, rice):
    lot = make_lot(rice.store, rice, number="WC-2026-009")
    lot_recall(lot=lot, actor=None, reason="农残超标")

    assert "WC-2026-009" not in page(client, rice)


def test_the_panel_costs_one_query(client, rice):
    lot = make_lot(rice.store, rice)
    inspect(lot, "毒死蜱")
    certificate_issue(lot=lot, basis=Certificate.Basis.QUALITY_CONTROL, actor=None)
    # warm caches (session, categories) under another address: the measured view renders the
    # body (the fragment cache keys on the path)
    client.get(rice.get_absolute_url() + "?warm=1")

    with CaptureQueriesContext(connection) as queries:
        page(client, rice)

    lot_queries = [q["sql"] for q in queries if 'FROM "traceability_lot"' in q["sql"]]
    assert len(lot_queries) == 1
    assert not [q for q in queries if 'FROM "traceability_certificate"' in q["sql"][:200]]


def test_a_logged_in_shopper_sees_a_new_certificate_and_a_recall_at_once(client, rice, shopper):
    # The product body is cached while nothing it shows changed (catalog/fragments.py); the
    # panel's lot, certificates and tests are part of what it shows.
    client.force_login(shopper)
    lot = make_lot(rice.store, rice, number="WC-2026-011")
    assert "暂未开具" in page(client, rice)
    assert "暂未开具" in page(client, rice)  # the second view may come from the cache

    certificate = certificate_issue(lot=lot, basis=Certificate.Basis.QUALITY_CONTROL, actor=None)
    assert certificate.number in page(client, rice)

    inspect(lot, "毒死蜱")
    assert "1 次，最近" in page(client, rice)

    lot_recall(lot=lot, actor=None, reason="农残超标")
    assert "WC-2026-011" not in page(client, rice)
