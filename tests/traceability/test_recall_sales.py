"""A recall or hold stops a SKU selling: traceability keeps catalog's Sku.is_held equal to
selectors.sku_ids_blocked_by_lots, and the storefront, the cart and the catalog API read it."""

import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.catalog.models import Sku
from apps.orders.models import CartLine
from apps.traceability.models import Lot
from apps.traceability.selectors import sku_ids_blocked_by_lots
from apps.traceability.services import lots as lots_module
from apps.traceability.services.lots import (
    TransformInput,
    lot_hold,
    lot_recall,
    lot_release,
    lot_transform,
    lot_update,
    lots_expire_due,
)
from tests.factories import ProductFactory
from tests.traceability.conftest import inspect, make_lot
from tests.traceability.test_concurrency import _run_threads

pytestmark = pytest.mark.django_db


def _days(n: int):
    return timezone.localdate() + timedelta(days=n)


def held(*skus: Sku) -> list[bool]:
    return [Sku.objects.get(pk=sku.pk).is_held for sku in skus]


def assert_flags_match_selector():
    ids = list(Sku.objects.values_list("pk", flat=True))
    assert set(Sku.objects.filter(is_held=True).values_list("pk", flat=True)) == (
        sku_ids_blocked_by_lots(ids)
    )


@pytest.fixture
def rice_skus(rice) -> tuple[Sku, Sku]:
    small, large = rice.skus.order_by("sort_order")
    return small, large


# --- the flag follows the lots ---------------------------------------------------------------


def test_recall_holds_the_lots_skus_and_nothing_else(store_a, rice, rice_skus, orange, merchant_a):
    small, large = rice_skus
    lot = make_lot(store_a, rice, skus=[small])
    orange_sku = orange.skus.get()
    make_lot(orange.store, orange, number="GN-01")

    with CaptureQueriesContext(connection) as queries:
        lot_recall(lot=lot, actor=merchant_a, reason="农残超标")

    assert held(small, large, orange_sku) == [True, False, False]
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "catalog_sku"')]
    assert len(updates) == 1  # one UPDATE per change, however many SKUs
    assert_flags_match_selector()


def test_recall_leaves_a_sku_on_sale_while_another_active_lot_supplies_it(
    store_a, rice, rice_skus, merchant_a
):
    small, large = rice_skus
    bad = make_lot(store_a, rice, number="BAD-01", skus=[small, large])
    make_lot(store_a, rice, number="GOOD-01", skus=[large])

    lot_recall(lot=bad, actor=merchant_a, reason="农残超标")

    assert held(small, large) == [True, False]
    assert_flags_match_selector()


def test_a_new_active_lot_puts_a_held_sku_back_on_sale(store_a, rice, rice_skus, merchant_a):
    small, _large = rice_skus
    bad = make_lot(store_a, rice, number="BAD-01", skus=[small])
    lot_recall(lot=bad, actor=merchant_a, reason="农残超标")
    assert held(small) == [True]

    make_lot(store_a, rice, number="NEW-01", skus=[small])

    assert held(small) == [False]


def test_hold_then_release_clears_the_flag(lot_a, rice_skus, merchant_a):
    small, large = rice_skus

    lot_hold(lot=lot_a, actor=merchant_a, reason="待复检")
    after_hold = held(small, large)
    lot_release(lot=lot_a, actor=merchant_a, reason="复检合格")

    assert after_hold == [True, True]
    assert held(small, large) == [False, False]


def test_unlinking_a_sku_from_a_recalled_lot_releases_it_and_linking_holds_it(
    store_a, rice, rice_skus, merchant_a
):
    small, large = rice_skus
    lot = make_lot(store_a, rice, skus=[small])
    lot_recall(lot=lot, actor=merchant_a, reason="农残超标")

    lot_update(lot=lot, actor=merchant_a, skus=[large])

    assert held(small, large) == [False, True]
    assert_flags_match_selector()


def test_moving_the_other_lots_expiry_into_the_past_holds_the_sku(
    store_a, rice, rice_skus, merchant_a
):
    small, _large = rice_skus
    bad = make_lot(store_a, rice, number="BAD-01", skus=[small])
    good = make_lot(store_a, rice, number="GOOD-01", skus=[small], expiry_date=_days(30))
    lot_recall(lot=bad, actor=merchant_a, reason="农残超标")
    assert held(small) == [False]

    lot_update(lot=good, actor=merchant_a, expiry_date=_days(-1))

    assert held(small) == [True]


def test_expire_job_holds_a_sku_whose_last_active_lot_expired(store_a, rice, rice_skus, merchant_a):
    small, large = rice_skus
    bad = make_lot(store_a, rice, number="BAD-01", skus=[small])
    make_lot(store_a, rice, number="GOOD-01", skus=[small], expiry_date=_days(3))
    lot_recall(lot=bad, actor=merchant_a, reason="农残超标")
    assert held(small) == [False]

    expired = lots_expire_due(today=_days(4))

    assert expired == 1
    assert held(small, large) == [True, False]


def test_expire_job_and_command_repair_flags_of_an_existing_database(
    store_a, rice, rice_skus, merchant_a
):
    small, large = rice_skus
    lot = make_lot(store_a, rice, skus=[small])
    lot_recall(lot=lot, actor=merchant_a, reason="农残超标")
    # A database from before the flag, or a flag set by hand: both wrong.
    Sku.objects.filter(pk=small.pk).update(is_held=False)
    Sku.objects.filter(pk=large.pk).update(is_held=True)

    lots_expire_due()
    after_job = held(small, large)
    Sku.objects.filter(pk=small.pk).update(is_held=False)
    out = StringIO()
    call_command("skus_hold_refresh", stdout=out)

    assert after_job == [True, False]
    assert held(small, large) == [True, False]
    # The job looked at both (one linked, one held); by then only the linked one is left.
    assert out.getvalue().strip() == "1 SKU(s) refreshed."


def test_consuming_the_only_active_lot_holds_the_sku(store_a, rice, rice_skus, merchant_a):
    small, large = rice_skus
    bad = make_lot(store_a, rice, number="BAD-01", skus=[small])
    good = make_lot(store_a, rice, number="GOOD-01", skus=[small])
    lot_recall(lot=bad, actor=merchant_a, reason="农残超标")
    assert held(small) == [False]

    lot_transform(
        store=store_a,
        inputs=[TransformInput(lot=good, quantity=good.quantity)],
        lot_number="PACK-01",
        product=rice,
        producer=good.producer,
        quantity=good.quantity,
        unit=good.unit,
        skus=[large],
        actor=merchant_a,
    )

    good.refresh_from_db()
    assert good.status == "consumed"
    assert held(small, large) == [True, False]
    assert_flags_match_selector()


# --- the storefront, the cart and the API --------------------------------------------------


@pytest.fixture
def recalled_small(store_a, rice, rice_skus, merchant_a) -> Sku:
    small, _large = rice_skus
    lot = make_lot(store_a, rice, skus=[small])
    lot_recall(lot=lot, actor=merchant_a, reason="农残超标")
    return small


def test_product_page_shows_the_held_spec_as_paused_and_disables_buying(
    client, rice, recalled_small
):
    page = client.get(rice.get_absolute_url(), {"sku": recalled_small.pk}).content.decode()

    assert page.count("暂停销售") == 3  # current spec, spec picker, disabled button
    assert 'id="add-to-cart"' not in page
    assert '<button class="button button-lg" type="button" disabled>暂停销售</button>' in page


def test_product_page_selects_a_spec_still_on_sale_by_default(
    client, rice, rice_skus, recalled_small
):
    _small, large = rice_skus

    page = client.get(rice.get_absolute_url()).content.decode()

    assert f'<input type="hidden" name="sku" value="{large.pk}">' in page
    assert page.count("暂停销售") == 1  # only the held spec in the picker


def test_listing_card_badge_when_every_spec_is_held(client, store_a, rice, merchant_a):
    other = ProductFactory(store=store_a, title="东北小米")
    lot = make_lot(store_a, rice)
    lot_recall(lot=lot, actor=merchant_a, reason="农残超标")

    page = client.get(reverse("catalog:store_detail", args=[store_a.slug])).content.decode()

    assert page.count('<span class="badge badge-held">暂停销售</span>') == 1
    rice_card = page.index(rice.title)
    assert page.rfind("badge-held", 0, rice_card) > page.rfind("product-card-link", 0, rice_card)
    assert other.title in page


def test_add_to_cart_page_refuses_a_held_sku(client, shopper, rice, recalled_small):
    client.force_login(shopper)

    response = client.post(
        reverse("orders:cart_add"),
        {"sku": recalled_small.pk, "quantity": 1, "next": rice.get_absolute_url()},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "「五常稻花香大米 5kg/袋」该批次已召回，暂停销售。"
    ]
    assert CartLine.objects.count() == 0


def test_add_to_cart_api_refuses_a_held_sku_with_400(api_client, shopper, recalled_small):
    api_client.force_authenticate(shopper)

    response = api_client.post(
        reverse("api-cart-lines"), {"sku_id": recalled_small.pk, "quantity": 1}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "orders_not_sellable",
        "message": "「五常稻花香大米 5kg/袋」该批次已召回，暂停销售。",
        "fields": {"quantity": ["该批次已召回，暂停销售"]},
    }
    assert CartLine.objects.count() == 0


def test_catalog_api_exposes_is_held_per_sku(api_client, rice, rice_skus, recalled_small):
    _small, large = rice_skus

    response = api_client.get(reverse("api-product-detail", args=[rice.pk]))

    assert response.status_code == 200
    assert {sku["id"]: sku["is_held"] for sku in response.json()["skus"]} == {
        recalled_small.pk: True,
        large.pk: False,
    }


def test_a_failed_inspection_holds_the_lots_skus(lot_a, rice_skus):
    small, large = rice_skus

    inspect(lot_a, "毒死蜱", passed=False)

    lot_a.refresh_from_db()
    assert lot_a.status == "on_hold"
    assert held(small, large) == [True, True]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_recall_racing_the_other_lots_expiry_change_leaves_the_sku_held(
    store_a, merchant_a, monkeypatch
):
    # given a SKU supplied by two lots, when one is recalled while, on another connection, the
    # other's expiry date moves into the past, and the second refresh runs while the recall has
    # refreshed but not committed, then the second must wait for it and see the lot recalled
    # (an UPDATE alone would re-check the locked row against its older snapshot: not held).
    product = ProductFactory(store=store_a, title="并发召回")
    sku = product.skus.get()
    recalled_id, expiring_id = (
        make_lot(store_a, product, number=f"RACE-{n}", expiry_date=_days(30)).pk for n in range(2)
    )
    real_refresh = lots_module.skus_hold_refresh
    first_refreshed = threading.Event()
    local = threading.local()

    def refresh_in_turn(**kwargs):
        if getattr(local, "index", None) == 0:
            result = real_refresh(**kwargs)
            first_refreshed.set()
            time.sleep(0.5)  # still inside the recall's transaction
            return result
        first_refreshed.wait(10)
        return real_refresh(**kwargs)

    monkeypatch.setattr(lots_module, "skus_hold_refresh", refresh_in_turn)

    def act(index: int) -> None:
        local.index = index
        if index == 0:
            lot_recall(lot=Lot.objects.get(pk=recalled_id), actor=None, reason="并发召回")
        else:
            lot_update(lot=Lot.objects.get(pk=expiring_id), actor=merchant_a, expiry_date=_days(-1))

    errors = _run_threads(act, 2)

    assert errors == []
    assert held(sku) == [True]
