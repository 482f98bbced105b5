"""The admin's first page: branded for who is looking, today's work as counts that link to
exactly those rows of the filtered change lists, a first-time merchant's checklist, and
nothing of another store's."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.aftersales.models import AfterSale
from apps.aftersales.services import aftersale_create
from apps.catalog.models import Sku
from apps.core.roles import MERCHANT, roles_sync
from apps.orders.models import Order
from apps.stores.models import StoreApplication
from tests.logistics.conftest import paid_order
from tests.orders.conftest import address, divisions, make_lot, make_sku  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchants(merchant_a, merchant_b):
    roles_sync()
    for user in (merchant_a, merchant_b):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=MERCHANT))
    return merchant_a, merchant_b


def tiles(html: str) -> dict[str, tuple[int, str]]:
    """{label: (count, link)} of the workbench's tiles."""
    found = re.findall(
        r'<a href="([^"]+)"><span class="tj-count">(\d+)</span>'
        r'<span class="tj-label">([^<]+)</span>',
        html,
    )
    return {label: (int(count), url.replace("&amp;", "&")) for url, count, label in found}


def rows_listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    assert "e=1" not in response.request.get("QUERY_STRING", "")
    return response.context["cl"].result_count


def test_merchant_sees_own_work_and_each_count_opens_those_rows(
    client,
    merchants,
    shopper,
    address,  # noqa: F811
    store_a,
    store_b,
    settings,
    monkeypatch,
):
    merchant_a, _merchant_b = merchants
    # Wednesday 2026-12-09 12:00 in Shanghai, so "this week" holds the order paid 30 h ago.
    now = datetime(2026, 12, 9, 4, 0, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    settings.LOGISTICS_COLLECT_DEADLINE_HOURS = 24
    rice = make_sku(store_a, price="10.00", stock=50, title="五常大米")
    low = make_sku(store_a, price="8.00", stock=3, title="鲜玉米")  # threshold 10 by default
    late = paid_order(shopper, address, (rice, 1), key="wb-key-0001")
    Order.objects.filter(pk=late.pk).update(paid_at=now - timedelta(hours=30))
    paid_order(shopper, address, (rice, 2), key="wb-key-0002")
    aftersale_create(
        buyer=shopper,
        order=late,
        type=AfterSale.Type.REFUND_ONLY,
        reason=AfterSale.Reason.NO_LONGER_NEEDED,
        lines={late.lines.get().pk: 1},
    )
    make_lot(store_a, rice, "WC-WB-1", expiry_days=3)
    make_lot(store_a, low, "WC-WB-2", expiry_days=60)
    # Store B's work must not show up in A's counts.
    orange = make_sku(store_b, price="6.00", stock=2, title="赣南脐橙")
    paid_order(shopper, address, (orange, 1), key="wb-key-0003")
    make_lot(store_b, orange, "GN-WB-1", expiry_days=1)
    client.force_login(merchant_a)

    html = client.get(reverse("admin:index")).content.decode()

    board = tiles(html)
    assert board["待发货订单"][0] == 2
    assert board["超时未发货"][0] == 1
    assert board["待处理售后"][0] == 1
    assert "最早一单剩余 48 小时" in html
    assert board["库存不足的规格"][0] == 1
    assert board["临期批次"][0] == 1
    for label in ("待发货订单", "超时未发货", "待处理售后", "库存不足的规格", "临期批次"):
        count, url = board[label]
        assert rows_listed(client, url) == count, label
    assert "今日支付订单" in html
    today = html[html.index("今日支付订单") :].split("</dd>")[0]
    week = html[html.index("本周支付订单") :].split("</dd>")[0]
    # Store A's orders (freight included), never store B's: the late one was paid on Monday.
    late_total, fresh_total = (
        o.total_amount for o in Order.objects.filter(store=store_a).order_by("pk")
    )
    assert f"1 单 · ¥{fresh_total}" in today
    assert f"2 单 · ¥{late_total + fresh_total}" in week
    assert "下期结算单" in html


def test_branding_names_who_the_back_office_is_for(client, merchants, staff):
    client.force_login(merchants[0])
    merchant_page = client.get(reverse("admin:index")).content.decode()
    client.force_login(staff)
    staff_page = client.get(reverse("admin:index")).content.decode()

    assert "田间商家后台" in merchant_page
    assert "田间平台运营" not in merchant_page
    assert "田间平台运营" in staff_page
    assert "Django" not in merchant_page
    assert "Django" not in staff_page
    assert 'rel="icon"' in staff_page


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("/favicon.ico")
    assert response["Location"].startswith("/static/")


def test_staff_sees_the_platform_queues(client, staff, shopper, store_a):
    StoreApplication.objects.create(
        applicant=shopper,
        store_name="山里红合作社",
        store_type="cooperative",
        contact_name="李四",
        contact_phone="13800000001",
    )
    client.force_login(staff)

    html = client.get(reverse("admin:index")).content.decode()

    board = tiles(html)
    assert board["待审核的开店申请"][0] == 1
    for label in ("待审核的开店申请", "待审核的批发买家", "待平台裁决的售后", "超时包裹"):
        count, url = board[label]
        assert rows_listed(client, url) == count, label
    assert "开店指引" not in html


def test_first_time_merchant_is_guided_and_steps_tick(client, merchants, store_a):
    client.force_login(merchants[0])

    html = client.get(reverse("admin:index")).content.decode()
    assert "开店指引" in html
    assert html.count("tj-done") == 0
    assert reverse("admin:traceability_party_add") in html

    make_sku(store_a, title="五常大米")
    html = client.get(reverse("admin:index")).content.decode()
    product_step = html[html.index("发布第一个商品") - 200 : html.index("发布第一个商品")]
    assert "tj-done" in product_step


def test_lot_form_says_where_producers_come_from(client, merchants):
    client.force_login(merchants[0])

    html = client.get(reverse("admin:traceability_lot_add")).content.decode()

    assert "还没有生产者（追溯主体）" in html
    assert reverse("admin:traceability_party_add") in html


def test_low_stock_threshold_is_per_sku(client, merchants, store_a):
    plenty = make_sku(store_a, stock=8, title="小米")
    Sku.objects.filter(pk=plenty.pk).update(low_stock_threshold=5)
    make_sku(store_a, stock=8, title="黄豆")  # default threshold 10: low
    client.force_login(merchants[0])

    response = client.get(reverse("admin:catalog_sku_changelist") + "?low_stock=yes")

    assert [sku.product.title for sku in response.context["cl"].result_list] == ["黄豆"]


def test_workbench_query_count_is_fixed(client, merchants, store_a, django_assert_max_num_queries):
    for n in range(5):
        make_sku(store_a, stock=1, title=f"商品{n}")
    client.force_login(merchants[0])

    with django_assert_max_num_queries(40):
        client.get(reverse("admin:index"))
