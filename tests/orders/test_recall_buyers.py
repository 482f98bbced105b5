"""The back-office list of a lot's buyers (召回批次买家): who bought from the lot, whether they
were told of the recall, the CSV export, and each store seeing only its own lots."""

import csv
import io
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.core.roles import roles_sync
from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Order, OrderEvent
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.traceability.models import Lot
from apps.traceability.services.lots import lot_recall
from tests.factories import UserFactory
from tests.orders.conftest import fill_cart, make_address, make_lot, make_sku, place

pytestmark = pytest.mark.django_db

_waybills = itertools.count(1)


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


def bought(user, address, sku, quantity: int, key: str, *, shipped_by=None) -> Order:
    fill_cart(user, (sku, quantity))
    payment_order = place(user, address, key=key)
    payment_order_mark_paid(payment_order=payment_order, paid_at=timezone.now())
    order = payment_order.orders.get()
    if shipped_by is not None:
        shipment_create(
            order=order,
            actor=shipped_by,
            carrier_code="sf",
            tracking_number=f"SF{next(_waybills):012d}",
        )
        order.refresh_from_db()
    return order


@pytest.fixture
def recall_world(shopper, store_a, store_b, merchant_a, merchant_b, divisions):
    """Lot WC-01 of store A sold to two buyers (shipped), a third order of the same SKU not
    yet shipped (no lot yet), and store B's own lot with its buyer."""
    sku = make_sku(store_a, stock=20, title="五常稻花香大米", spec="5kg/袋")
    lot = make_lot(store_a, sku, "WC-01")
    neighbour = UserFactory(name="邻居老李", phone="13900001111")
    first = bought(shopper, make_address(shopper), sku, 2, "recall-key-0001", shipped_by=merchant_a)
    second = bought(
        neighbour,
        make_address(neighbour, contact_name="李四", contact_phone="13900001111"),
        sku,
        3,
        "recall-key-0002",
        shipped_by=merchant_a,
    )
    unshipped = bought(shopper, make_address(shopper), sku, 1, "recall-key-0003")
    orange = make_sku(store_b, stock=20, title="赣南脐橙", spec="5斤/箱")
    orange_lot = make_lot(store_b, orange, "GN-01")
    orange_order = bought(
        neighbour, make_address(neighbour), orange, 1, "recall-key-0004", shipped_by=merchant_b
    )
    return {
        "lot": lot,
        "first": first,
        "second": second,
        "unshipped": unshipped,
        "orange_lot": orange_lot,
        "orange_order": orange_order,
    }


def page_url(lot: Lot, **query) -> str:
    url = reverse("admin:orders_recall_buyers", args=[lot.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def recall(world, merchant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lot_recall(lot=world["lot"], actor=merchant, reason="农残超标")


def test_staff_sees_exactly_the_lines_filled_from_the_lot_with_full_phones(
    client, staff, merchant_a, recall_world, django_capture_on_commit_callbacks
):
    recall(recall_world, merchant_a, django_capture_on_commit_callbacks)
    client.force_login(staff)

    response = client.get(page_url(recall_world["lot"]))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["order"].pk, row["line"].quantity) for row in rows] == [
        (recall_world["first"].pk, 2),
        (recall_world["second"].pk, 3),
    ]
    assert [row["phone"] for row in rows] == ["+8613812345678", "+8613900001111"]
    assert [row["line"].is_recall_notified for row in rows] == [True, True]
    page = response.content.decode()
    first_url = reverse("admin:orders_order_change", args=[recall_world["first"].pk])
    assert f'<a href="{first_url}">{recall_world["first"].number}</a>' in page
    assert recall_world["unshipped"].number not in page
    assert recall_world["orange_order"].number not in page


def test_lines_show_not_notified_before_the_recall(client, staff, recall_world):
    client.force_login(staff)

    rows = client.get(page_url(recall_world["lot"])).context["rows"]

    assert [row["line"].is_recall_notified for row in rows] == [False, False]
    assert OrderEvent.objects.filter(kind="recall_notified").count() == 0


def test_recall_notice_is_recorded_on_each_order(
    merchant_a, recall_world, django_capture_on_commit_callbacks
):
    recall(recall_world, merchant_a, django_capture_on_commit_callbacks)

    events = OrderEvent.objects.filter(kind="recall_notified").order_by("order_id")
    assert [(e.order_id, e.payload["lot_ids"]) for e in events] == [
        (recall_world["first"].pk, [recall_world["lot"].pk]),
        (recall_world["second"].pk, [recall_world["lot"].pk]),
    ]
    assert {e.to_status for e in events} == {Order.Status.SHIPPED}


def test_merchant_sees_its_own_lots_buyers_with_masked_phones(
    client, merchant_a, recall_world, django_capture_on_commit_callbacks
):
    recall(recall_world, merchant_a, django_capture_on_commit_callbacks)
    client.force_login(merchant_a)

    response = client.get(page_url(recall_world["lot"]))

    assert response.status_code == 200
    assert [row["phone"] for row in response.context["rows"]] == ["138****5678", "139****1111"]
    assert "13900001111" not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "lot_key", "expected"),
    [
        ("staff", "lot", 200),
        ("staff", "orange_lot", 200),
        ("merchant_a", "lot", 200),
        ("merchant_a", "orange_lot", 404),
        ("merchant_b", "lot", 404),
        ("merchant_b", "orange_lot", 200),
    ],
)
def test_isolation_matrix(client, request, recall_world, who, lot_key, expected):
    client.force_login(request.getfixturevalue(who))

    page = client.get(page_url(recall_world[lot_key]))
    export = client.get(page_url(recall_world[lot_key], format="csv"))

    assert (page.status_code, export.status_code) == (expected, expected)


def test_missing_lot_is_404_and_shoppers_are_sent_to_log_in(client, staff, shopper, recall_world):
    client.force_login(staff)
    missing = client.get(reverse("admin:orders_recall_buyers", args=[999999]))
    client.force_login(shopper)
    shopper_page = client.get(page_url(recall_world["lot"]))

    assert missing.status_code == 404
    assert shopper_page.status_code == 302
    assert shopper_page["Location"].startswith(reverse("admin:login"))


def test_csv_export_lists_the_buyers(
    client, merchant_a, recall_world, django_capture_on_commit_callbacks
):
    recall(recall_world, merchant_a, django_capture_on_commit_callbacks)
    client.force_login(merchant_a)

    response = client.get(page_url(recall_world["lot"], format="csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="recall-buyers-{recall_world["lot"].pk}-'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [
        "订单号",
        "付款时间",
        "买家",
        "收货人",
        "电话",
        "商品",
        "规格",
        "批次",
        "数量",
        "订单状态",
        "已通知",
    ]
    body = [row[:1] + row[2:] for row in rows[1:]]  # payment time varies
    assert body == [
        [
            recall_world["first"].number,
            "顾客小王",
            "王小明",
            "138****5678",
            "五常稻花香大米",
            "5kg/袋",
            "WC-01",
            "2",
            "已发货",
            "是",
        ],
        [
            recall_world["second"].number,
            "邻居老李",
            "李四",
            "139****1111",
            "五常稻花香大米",
            "5kg/袋",
            "WC-01",
            "3",
            "已发货",
            "是",
        ],
    ]
    assert all(row[1] for row in rows[1:])


def test_lot_admin_links_to_the_buyers_page(client, staff, recall_world):
    client.force_login(staff)

    page = client.get(
        reverse("admin:traceability_lot_change", args=[recall_world["lot"].pk])
    ).content.decode()

    assert f'href="{page_url(recall_world["lot"])}"' in page


def test_buyers_page_query_count_does_not_grow_with_lines(
    client, staff, shopper, merchant_a, recall_world
):
    client.force_login(staff)
    url = page_url(recall_world["lot"])
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as two_lines:
        client.get(url)
    sku = recall_world["first"].lines.get().sku
    for n in range(3):
        bought(shopper, make_address(shopper), sku, 1, f"recall-more-{n}", shipped_by=merchant_a)

    with CaptureQueriesContext(connection) as five_lines:
        response = client.get(url)

    assert len(response.context["rows"]) == 5
    assert len(five_lines) == len(two_lines)
