"""The channels back office: CSV upload of channel orders, the list filtered by channel, the
report by channel, and merchants kept inside their own store."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.channels.models import ChannelListing, ChannelOrder
from apps.channels.services import channel_order_place
from apps.orders.models import Order
from tests.channels.conftest import channels_ensure, order_payload
from tests.orders.conftest import sku_state

pytestmark = pytest.mark.django_db

HEADER = "channel_order_number,channel_item_id,quantity,contact_name,contact_phone,county_code,detail,freight_amount\n"  # noqa: E501


@pytest.fixture
def merchants(merchant_a, merchant_b):
    for user in (merchant_a, merchant_b):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return merchant_a, merchant_b


def upload(client, store, channel, text: str, encoding: str = "utf-8"):
    return client.post(
        reverse("admin:channels_channelorder_import"),
        {
            "store": store.pk,
            "channel": channel.pk,
            "file": SimpleUploadedFile("orders.csv", text.encode(encoding), "text/csv"),
        },
    )


def test_csv_upload_places_each_order_on_its_own(
    client, merchants, store_a, taobao, listing_a, rice_a, divisions
):
    client.force_login(merchants[0])
    text = HEADER + (
        "TB-1,TB-1001,2,李四,13912345678,230184,幸福村 1 号,5\n"
        "TB-2,TB-1001,9,王五,13912345679,230184,幸福村 2 号,0\n"  # beyond stock: refused whole
        "TB-3,TB-1001,1,赵六,13912345670,,东街 3 号,\n"
        "TB-3,TB-1001,1,赵六,13912345670,,东街 3 号,\n"  # a second line of TB-3 adds up
    )

    response = upload(client, store_a, taobao, text, encoding="gb18030")

    assert response.status_code == 200
    page = response.content.decode()
    assert "库存不足" in page
    placed = dict(ChannelOrder.objects.values_list("channel_order_number", "order__total_amount"))
    assert set(placed) == {"TB-1", "TB-3"}
    assert str(placed["TB-1"]) == "30.00"  # 2 × 12.50 + 5.00
    assert str(placed["TB-3"]) == "25.00"
    assert sku_state(rice_a) == (5, 4)
    assert ChannelOrder.objects.get(channel_order_number="TB-3").source == "csv"

    again = upload(client, store_a, taobao, text)

    assert "重复（已存在）" in again.content.decode()
    assert ChannelOrder.objects.count() == 2
    assert sku_state(rice_a) == (5, 4)


def test_malformed_csv_is_refused_whole(client, merchants, store_a, taobao, listing_a, divisions):
    client.force_login(merchants[0])
    text = HEADER + "TB-1,TB-1001,2,李四,139,230184,幸福村,0\nTB-2,TB-1001,two,王五,139,,x,0\n"

    response = upload(client, store_a, taobao, text)

    assert response.status_code == 200
    assert "第 3 行：数量须为正整数。" in response.content.decode()
    assert ChannelOrder.objects.count() == 0
    assert Order.objects.count() == 0


def test_merchant_cannot_upload_for_another_store(
    client, merchants, store_b, taobao, listing_b, divisions
):
    client.force_login(merchants[0])

    response = upload(client, store_b, taobao, HEADER + "TB-1,TB-2001,1,李四,139,,x,0\n")

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()  # not one of the choices
    assert ChannelOrder.objects.count() == 0


def test_changelist_filter_and_report_are_scoped(
    client, merchants, merchant_a, store_a, taobao, listing_a, divisions
):
    channel_order_place(
        actor=merchant_a,
        store=store_a,
        channel=taobao,
        channel_order_number="TB-9",
        lines=[{"sku": listing_a.sku_id, "quantity": 1}],
        address=order_payload()["address"],
    )
    changelist = reverse("admin:channels_channelorder_changelist")

    client.force_login(merchants[0])
    own = client.get(changelist, {"channel": "taobao"})
    other_channel = client.get(changelist, {"channel": "jd"})
    report = client.get(reverse("admin:channels_channelorder_report"))
    client.force_login(merchants[1])
    theirs = client.get(changelist)
    their_report = client.get(reverse("admin:channels_channelorder_report"))
    detail = client.get(
        reverse("admin:channels_channelorder_change", args=[ChannelOrder.objects.get().pk])
    )

    assert "TB-9" in own.content.decode()
    assert "TB-9" not in other_channel.content.decode()
    assert "TB-9" not in theirs.content.decode()
    assert "<td>淘宝/天猫</td><td>1</td><td>¥12.50</td><td>¥12.50</td>" in report.content.decode()
    assert "<td>淘宝/天猫</td><td>0</td>" in their_report.content.decode()
    assert detail.status_code == 404


def test_listing_admin_keeps_merchant_to_own_skus(
    client, merchants, store_a, taobao, rice_a, orange_b
):
    client.force_login(merchants[0])
    add = reverse("admin:channels_channellisting_add")
    data = {"channel": taobao.pk, "channel_item_id": "TB-X", "channel_price": "9.90"}

    foreign = client.post(add, {**data, "sku": orange_b.pk, "is_active": "on"})
    own = client.post(add, {**data, "sku": rice_a.pk, "is_active": "on"})

    assert foreign.status_code == 200  # the form again, with the error
    assert own.status_code == 302
    listing = ChannelListing.objects.get()
    assert (listing.store_id, listing.sku_id, str(listing.channel_price)) == (
        store_a.pk,
        rice_a.pk,
        "9.90",
    )


@pytest.mark.django_db(transaction=True)
def test_two_identical_channel_orders_at_once_make_one_order(
    store_a, merchant_a, divisions, request
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    channels_ensure()
    taobao = request.getfixturevalue("taobao")
    listing = request.getfixturevalue("listing_a")
    results, errors = [], []
    barrier = threading.Barrier(2)

    def place():
        try:
            barrier.wait()
            results.append(
                channel_order_place(
                    actor=merchant_a,
                    store=store_a,
                    channel=taobao,
                    channel_order_number="TB-RACE",
                    lines=[{"sku": listing.sku_id, "quantity": 2}],
                    address=order_payload()["address"],
                )
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=place) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(result.is_new for result in results) == [False, True]
    assert len({result.channel_order.order_id for result in results}) == 1
    assert Order.objects.count() == 1
    assert sku_state(listing.sku) == (5, 2)


def test_admin_lists_make_a_fixed_number_of_queries(
    client, merchants, merchant_a, store_a, taobao, listing_a, divisions
):
    def place(n: int, start: int) -> None:
        for i in range(start, start + n):
            channel_order_place(
                actor=merchant_a,
                store=store_a,
                channel=taobao,
                channel_order_number=f"TB-Q{i}",
                lines=[{"sku": listing_a.sku_id, "quantity": 1}],
                address=order_payload()["address"],
            )

    client.force_login(merchants[0])
    orders_url = reverse("admin:channels_channelorder_changelist")
    listings_url = reverse("admin:channels_channellisting_changelist")
    place(1, 0)

    with CaptureQueriesContext(connection) as one_order:
        assert client.get(orders_url).status_code == 200
    with CaptureQueriesContext(connection) as one_listing:
        assert client.get(listings_url).status_code == 200
    place(4, 1)
    with CaptureQueriesContext(connection) as five_orders:
        page = client.get(orders_url).content.decode()

    assert page.count("TB-Q") >= 5
    assert len(five_orders.captured_queries) == len(one_order.captured_queries)
    assert len(one_listing.captured_queries) <= 20
