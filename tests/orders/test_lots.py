"""Order lines and traceability lots: allocation at shipping, recall notices, the trace link
on the order page, and checkout refusing SKUs a recall stopped."""

import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Notification
from apps.core.errors import ApplicationError
from apps.core.roles import roles_sync
from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Order, OrderLine
from apps.orders.selectors import cart_summary, order_lines_for_lots
from apps.orders.services.cart import cart_get
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.traceability.models import TraceEvent
from apps.traceability.selectors import lot_primary_code, trace_url
from apps.traceability.services.lots import lot_recall
from tests.logistics.conftest import carriers_ensure
from tests.orders.conftest import fill_cart, make_lot, make_sku, place, sku_state

pytestmark = pytest.mark.django_db

# The order page (user, order + lines + lots, events, siblings, trace codes, parcels with their
# lines, scans, temperature alerts and pickup events (five), the unread count just dropped by the
# shipment notice, ...; the session comes from the cache): the same for any number of lines.
QUERY_CEILING = 12


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


def paid_order(shopper, address, sku, quantity: int = 2, key: str = "lots-key-0001") -> Order:
    fill_cart(shopper, (sku, quantity))
    payment_order = place(shopper, address, key=key)
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    return payment_order.orders.get()


_waybills = itertools.count(1)


def ship(order: Order, merchant, **kwargs) -> Order:
    carriers_ensure()
    shipment_create(
        order=order,
        actor=merchant,
        carrier_code="sf",
        tracking_number=f"SF{next(_waybills):012d}",
        **kwargs,
    )
    order.refresh_from_db()
    return order


def test_ship_fills_the_line_from_the_first_expiring_active_lot_and_records_it(
    shopper, address, store_a, merchant_a
):
    sku = make_sku(store_a, stock=10)
    make_lot(store_a, sku, "LATE-01", expiry_days=60)
    soon = make_lot(store_a, sku, "SOON-01", expiry_days=10)
    make_lot(store_a, sku, "UNDATED-01")
    order = paid_order(shopper, address, sku)

    ship(order, merchant_a)

    line = order.lines.get()
    assert line.lot == soon
    shipment = TraceEvent.objects.get(extra__kind="order_shipment")
    assert shipment.extra["reference"] == order.number
    assert [(link.lot_id, link.quantity) for link in shipment.event_lots.all()] == [
        (soon.pk, Decimal("2"))
    ]


def test_ship_without_lots_still_works(shopper, address, store_a, merchant_a):
    sku = make_sku(store_a, stock=10)
    order = paid_order(shopper, address, sku)

    ship(order, merchant_a)

    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert order.lines.get().lot is None
    assert not TraceEvent.objects.filter(extra__kind="order_shipment").exists()


def test_merchant_may_choose_another_active_lot_of_the_sku(shopper, address, store_a, merchant_a):
    sku = make_sku(store_a, stock=10)
    make_lot(store_a, sku, "SOON-01", expiry_days=10)
    later = make_lot(store_a, sku, "LATE-01", expiry_days=60)
    order = paid_order(shopper, address, sku)
    line = order.lines.get()

    ship(order, merchant_a, lots={line.pk: later.pk})

    line.refresh_from_db()
    assert line.lot == later


def test_merchant_cannot_fill_a_line_from_another_stores_lot(
    shopper, address, store_a, store_b, merchant_a
):
    sku = make_sku(store_a, stock=10)
    make_lot(store_a, sku, "OWN-01")
    foreign = make_lot(store_b, make_sku(store_b), "FOREIGN-01")
    order = paid_order(shopper, address, sku)
    line = order.lines.get()
    events_before = TraceEvent.objects.count()

    with pytest.raises(ApplicationError):
        ship(order, merchant_a, lots={line.pk: foreign.pk})

    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert line.lot is None
    assert sku_state(sku) == (10, 2)
    assert TraceEvent.objects.count() == events_before


def test_merchant_cannot_fill_a_line_from_a_lot_not_supplying_the_sku(
    shopper, address, store_a, merchant_a
):
    sku = make_sku(store_a, stock=10)
    other = make_lot(store_a, make_sku(store_a), "OTHER-SKU-01")
    order = paid_order(shopper, address, sku)
    line = order.lines.get()

    with pytest.raises(ApplicationError):
        ship(order, merchant_a, lots={line.pk: other.pk})

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert OrderLine.objects.get(pk=line.pk).lot is None


def test_recall_notifies_each_buyer_once(
    shopper, address, store_a, merchant_a, django_capture_on_commit_callbacks
):
    sku = make_sku(store_a, stock=10)
    lot = make_lot(store_a, sku, "WC-2026-007")
    first = paid_order(shopper, address, sku, key="lots-key-0001")
    second = paid_order(shopper, address, sku, key="lots-key-0002")
    ship(first, merchant_a)
    ship(second, merchant_a)
    assert sorted(line.order_id for line in order_lines_for_lots([lot.pk])) == sorted(
        [first.pk, second.pk]
    )

    with django_capture_on_commit_callbacks(execute=True):
        lot_recall(lot=lot, actor=merchant_a, reason="农残超标")

    notices = Notification.objects.filter(user=shopper, title="您购买的商品已被召回")
    assert notices.count() == 1
    body = notices.get().body
    assert sku.product.title in body
    assert "WC-2026-007" in body
    assert "农残超标" in body


def test_checkout_refuses_a_sku_whose_only_lot_is_recalled(shopper, address, store_a, merchant_a):
    sku = make_sku(store_a, stock=10)
    lot = make_lot(store_a, sku, "BAD-01")
    # Already in the cart when the recall comes (adding it afterwards is refused outright).
    fill_cart(shopper, (sku, 1))
    lot_recall(lot=lot, actor=merchant_a, reason="农残超标")

    summary = cart_summary(cart=cart_get(user=shopper), organisation=None)
    with pytest.raises(ApplicationError) as refused:
        place(shopper, address)

    assert summary.problem_items[0].problem == "该商品批次已召回或暂停销售"
    assert not summary.can_checkout
    assert refused.value.fields == {"lines": {str(sku.pk): "该商品批次已召回或暂停销售"}}
    assert not Order.objects.filter(buyer=shopper).exists()
    assert sku_state(sku) == (10, 0)


def test_checkout_accepts_the_sku_while_another_active_lot_supplies_it(
    shopper, address, store_a, merchant_a
):
    sku = make_sku(store_a, stock=10)
    bad = make_lot(store_a, sku, "BAD-01")
    make_lot(store_a, sku, "GOOD-01")
    lot_recall(lot=bad, actor=merchant_a, reason="农残超标")
    fill_cart(shopper, (sku, 1))

    payment_order = place(shopper, address)

    assert payment_order.orders.get().lines.get().sku == sku
    assert sku_state(sku) == (10, 1)


def test_order_detail_links_each_line_to_its_lot_trace_page(
    client, shopper, address, store_a, merchant_a, django_assert_max_num_queries
):
    rice, beans = make_sku(store_a, stock=10), make_sku(store_a, stock=10)
    rice_lot = make_lot(store_a, rice, "WC-2026-009")
    beans_lot = make_lot(store_a, beans, "WC-2026-010")
    fill_cart(shopper, (rice, 1), (beans, 2))
    payment_order = place(shopper, address)
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get()
    ship(order, merchant_a)
    client.force_login(shopper)

    with django_assert_max_num_queries(QUERY_CEILING):
        response = client.get(reverse("orders:order_detail", kwargs={"number": order.number}))

    assert response.status_code == 200
    page = response.content.decode()
    for lot in (rice_lot, beans_lot):
        assert f'href="{trace_url(lot_primary_code(lot=lot).code)}"' in page
        assert lot.lot_number in page


@pytest.mark.parametrize("reason", ["农残超标。", "农残超标"])
def test_recall_message_ends_the_reason_with_one_full_stop(
    reason, shopper, address, store_a, merchant_a, django_capture_on_commit_callbacks
):
    sku = make_sku(store_a, stock=10)
    lot = make_lot(store_a, sku, "WC-2026-008")
    ship(paid_order(shopper, address, sku, key="lots-key-0003"), merchant_a)

    with django_capture_on_commit_callbacks(execute=True):
        lot_recall(lot=lot, actor=merchant_a, reason=reason)

    body = Notification.objects.get(user=shopper, title="您购买的商品已被召回").body
    assert "原因：农残超标。请停止食用" in body
    assert "。。" not in body
