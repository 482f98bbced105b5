"""Listings through the API and the product feed of a channel (JSON and CSV): contents,
store isolation and a fixed number of queries."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.catalog.models import Sku
from apps.catalog.services.images import product_image_add
from apps.channels.models import ChannelListing
from apps.channels.services import listing_save
from apps.traceability.selectors import lot_primary_code
from apps.traceability.services.codes import trace_code_for_lot
from tests.channels.test_channel_orders import token_client
from tests.orders.conftest import make_lot, make_sku

pytestmark = pytest.mark.django_db

LISTINGS = "/api/v1/channels/listings/"


def feed_url(code: str = "taobao", kind: str = "json") -> str:
    return f"/api/v1/channels/{code}/feed.{kind}"


def png(color=(200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), color).save(out, format="PNG")
    return SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def traced_listing(store_a, listing_a, rice_a, settings):
    settings.SITE_URL = "https://tianjian.example.cn"
    product_image_add(product=rice_a.product, upload=png(), sort_order=0)
    product_image_add(product=rice_a.product, upload=png((0, 90, 0)), sort_order=1)
    lot = make_lot(store_a, rice_a, "LOT-FEED-1")
    trace_code_for_lot(lot=lot)
    Sku.objects.filter(pk=rice_a.pk).update(reserved=2)
    return listing_a, lot


def test_json_feed_lists_price_stock_images_and_trace_link(
    api_client, merchant_a, traced_listing, rice_a
):
    _listing, lot = traced_listing

    response = token_client(api_client, merchant_a).get(feed_url())

    assert response.status_code == 200
    body = response.json()
    assert body["channel"] == "taobao"
    [item] = body["items"]
    code = lot_primary_code(lot=lot).code
    assert item["channel_item_id"] == "TB-1001"
    assert item["sku"] == rice_a.pk
    assert item["title"] == "五常大米"
    assert item["channel_price"] == "12.50"
    assert item["stock_available"] == 3  # 5 in stock − 2 reserved
    assert len(item["images"]) == 2
    assert all(url.startswith("https://tianjian.example.cn/media/") for url in item["images"])
    assert item["lot_number"] == "LOT-FEED-1"
    assert item["trace_url"] == f"https://tianjian.example.cn/t/{code}"


def test_csv_feed_has_the_same_rows(api_client, merchant_a, traced_listing, rice_a):
    _listing, lot = traced_listing

    response = token_client(api_client, merchant_a).get(feed_url(kind="csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    assert (row["channel_item_id"], row["sku"], row["title"]) == (
        "TB-1001",
        str(rice_a.pk),
        "五常大米",
    )
    assert (row["channel_price"], row["stock_available"]) == ("12.50", "3")
    assert len(row["images"].split(" ")) == 2
    assert row["trace_url"] == f"https://tianjian.example.cn/t/{lot_primary_code(lot=lot).code}"


def test_feed_leaves_out_inactive_and_off_sale_listings_and_other_channels(
    api_client, merchant_a, store_a, listing_a, jd
):
    off = make_sku(store_a, price="3.00", stock=10, title="小米")
    listing_save(store=store_a, channel=jd, sku_id=off.pk, channel_item_id="JD-1", channel_price=4)
    paused = make_sku(store_a, price="3.00", stock=10, title="黄豆")
    from apps.channels.models import Channel

    listing_save(
        store=store_a,
        channel=Channel.objects.get(code="taobao"),
        sku_id=paused.pk,
        channel_item_id="TB-PAUSED",
        channel_price=4,
        is_active=False,
    )

    items = token_client(api_client, merchant_a).get(feed_url()).json()["items"]

    assert [item["channel_item_id"] for item in items] == ["TB-1001"]


def test_feed_is_the_merchants_own_store_only(
    api_client, merchant_a, merchant_b, store_b, listing_a, listing_b
):
    mine = token_client(api_client, merchant_a).get(feed_url()).json()["items"]
    theirs = token_client(api_client, merchant_b).get(feed_url()).json()["items"]
    asking_for_b = token_client(api_client, merchant_a).get(feed_url(), {"store": store_b.pk})
    asking_for_b_csv = token_client(api_client, merchant_a).get(
        feed_url(kind="csv"), {"store": store_b.pk}
    )

    assert [item["channel_item_id"] for item in mine] == ["TB-1001"]
    assert [item["channel_item_id"] for item in theirs] == ["TB-2001"]
    assert asking_for_b.status_code == 404
    assert asking_for_b_csv.status_code == 404


def test_feed_needs_a_token_and_a_known_channel(api_client, merchant_a, listing_a):
    assert api_client.get(feed_url()).status_code == 401
    assert token_client(api_client, merchant_a).get(feed_url("nope")).status_code == 404


def test_staff_must_name_the_store(api_client, staff, store_a, listing_a):
    client = token_client(api_client, staff)

    unnamed = client.get(feed_url())
    named = client.get(feed_url(), {"store": store_a.pk})

    assert unnamed.status_code == 400
    assert unnamed.json()["code"] == "channels_store_required"
    assert [item["channel_item_id"] for item in named.json()["items"]] == ["TB-1001"]


def test_feed_query_count_does_not_grow_with_listings(
    api_client, merchant_a, store_a, taobao, django_assert_max_num_queries
):
    client = token_client(api_client, merchant_a)

    def add(n: int) -> None:
        for index in range(n):
            sku = make_sku(store_a, price="5.00", stock=10, title=f"商品{index}")
            product_image_add(product=sku.product, upload=png(), sort_order=0)
            make_lot(store_a, sku, f"LOT-Q-{ChannelListing.objects.count()}")
            listing_save(
                store=store_a,
                channel=taobao,
                sku_id=sku.pk,
                channel_item_id=f"TB-Q{ChannelListing.objects.count()}",
                channel_price=Decimal("6.00"),
            )

    add(2)
    with django_assert_max_num_queries(10) as few:
        assert len(client.get(feed_url()).json()["items"]) == 2
    add(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(feed_url(kind="csv")).content.splitlines()) == 11


def test_listing_create_and_isolation(api_client, merchant_a, store_a, rice_a, orange_b):
    client = token_client(api_client, merchant_a)

    created = client.post(
        LISTINGS,
        {"channel": "douyin", "sku": rice_a.pk, "channel_item_id": "DY-1", "channel_price": "11.8"},
        format="json",
    )
    foreign = client.post(
        LISTINGS,
        {"channel": "douyin", "sku": orange_b.pk, "channel_item_id": "DY-2", "channel_price": "9"},
        format="json",
    )
    duplicate = client.post(
        LISTINGS,
        {"channel": "douyin", "sku": rice_a.pk, "channel_item_id": "DY-3", "channel_price": "9"},
        format="json",
    )
    bad_price = client.post(
        LISTINGS,
        {"channel": "jd", "sku": rice_a.pk, "channel_item_id": "JD-3", "channel_price": "0"},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["channel_price"] == "11.80"
    assert (foreign.status_code, foreign.json()["fields"]) == (400, {"sku": ["无效。"]})
    assert duplicate.status_code == 400
    assert bad_price.status_code == 400
    assert list(ChannelListing.objects.values_list("channel_item_id", flat=True)) == ["DY-1"]


def test_listing_list_is_scoped(api_client, merchant_a, merchant_b, listing_a, listing_b):
    mine = token_client(api_client, merchant_a).get(LISTINGS).json()["results"]
    theirs = token_client(api_client, merchant_b).get(LISTINGS).json()["results"]

    assert [row["channel_item_id"] for row in mine] == ["TB-1001"]
    assert [row["channel_item_id"] for row in theirs] == ["TB-2001"]


def test_listing_update_and_delete_are_scoped(api_client, merchant_a, merchant_b, listing_a):
    url = f"{LISTINGS}{listing_a.pk}/"

    foreign_patch = token_client(api_client, merchant_b).patch(
        url, {"channel_price": "1.00"}, format="json"
    )
    foreign_delete = token_client(api_client, merchant_b).delete(url)
    bad = token_client(api_client, merchant_a).patch(
        url, {"channel_item_id": "含空格 x"}, format="json"
    )
    own = token_client(api_client, merchant_a).patch(
        url, {"channel_price": "13.00", "is_active": False}, format="json"
    )

    assert (foreign_patch.status_code, foreign_delete.status_code) == (404, 404)
    assert bad.status_code == 400
    assert own.status_code == 200
    assert (own.json()["channel_price"], own.json()["is_active"]) == ("13.00", False)
    listing_a.refresh_from_db()
    assert (listing_a.channel_item_id, listing_a.channel_price) == ("TB-1001", Decimal("13.00"))
    assert token_client(api_client, merchant_a).delete(url).status_code == 204
    assert not ChannelListing.objects.exists()
