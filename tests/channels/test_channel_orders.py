"""Channel orders in through the API: a paid order of the store at the channel price, stock
reserved like a checkout, idempotent on (channel, channel order number), refused whole on bad
input, shipped and traced like any order, counted by channel."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from apps.channels.models import ChannelOrder
from apps.channels.selectors import channel_sales_report
from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Order, OrderEvent, PaymentOrder
from apps.traceability.models import TraceEvent
from tests.channels.conftest import order_payload
from tests.logistics.conftest import carriers_ensure
from tests.orders.conftest import make_lot, sku_state

pytestmark = pytest.mark.django_db

URL = "/api/v1/channels/orders/"


def token_client(api_client, user):
    token, _created = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def written() -> tuple[int, int, int, int]:
    return (
        Order.objects.count(),
        PaymentOrder.objects.count(),
        ChannelOrder.objects.count(),
        OrderEvent.objects.count(),
    )


def test_channel_order_becomes_a_paid_order_at_the_channel_price_and_reserves_stock(
    api_client, merchant_a, store_a, listing_a, rice_a, divisions
):
    client = token_client(api_client, merchant_a)

    response = client.post(URL, order_payload(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["channel"] == "taobao"
    assert body["channel_order_number"] == "TB20261207001"
    assert body["status"] == "paid"
    assert body["status_label"] == "待发货"
    assert body["goods_amount"] == "25.00"  # 2 × 12.50 channel price, not the 10.00 retail
    assert body["total_amount"] == "31.00"  # + 6.00 freight
    order = Order.objects.get(number=body["order_number"])
    assert order.store == store_a
    assert order.buyer.email == "channel-taobao@channels.invalid"
    assert not order.buyer.is_active
    assert order.address["full_text"] == "黑龙江省哈尔滨市五常市幸福村 8 号"
    line = order.lines.get()
    assert (line.sku_id, line.quantity, line.unit_price) == (rice_a.pk, 2, Decimal("12.50"))
    assert sku_state(rice_a) == (5, 2)  # stock, reserved
    assert list(order.events.values_list("kind", flat=True).order_by("id")) == ["placed", "paid"]


def test_repeat_returns_the_same_order_with_200_and_reserves_nothing_more(
    api_client, merchant_a, listing_a, rice_a, divisions
):
    client = token_client(api_client, merchant_a)
    first = client.post(URL, order_payload(), format="json")
    before = written()

    again = client.post(URL, order_payload(), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["order_number"] == first.json()["order_number"]
    assert again.json()["id"] == first.json()["id"]
    assert written() == before
    assert sku_state(rice_a) == (5, 2)


def test_same_number_on_another_channel_is_another_order(
    api_client, merchant_a, store_a, listing_a, rice_a, jd, divisions
):
    from apps.channels.services import listing_save

    listing_save(
        store=store_a, channel=jd, sku_id=rice_a.pk, channel_item_id="JD-9", channel_price="11"
    )
    client = token_client(api_client, merchant_a)
    client.post(URL, order_payload(), format="json")

    response = client.post(
        URL,
        order_payload(channel="jd", lines=[{"sku": rice_a.pk, "quantity": 1}]),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["goods_amount"] == "11.00"
    assert sku_state(rice_a) == (5, 3)


def test_beyond_stock_is_409_and_nothing_is_written(
    api_client, merchant_a, listing_a, rice_a, divisions
):
    client = token_client(api_client, merchant_a)
    before = written()

    payload = order_payload(lines=[{"channel_item_id": "TB-1001", "quantity": 6}])
    response = client.post(URL, payload, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "out_of_stock"
    assert "库存不足" in body["message"]
    assert list(body["fields"]) == [f"lines.{rice_a.pk}"]
    assert written() == before
    assert sku_state(rice_a) == (5, 0)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"channel_item_id": "NO-SUCH-ITEM", "quantity": 1}, "lines.NO-SUCH-ITEM"),
        ({"sku": 999999, "quantity": 1}, "lines.999999"),
    ],
)
def test_unknown_item_or_sku_is_400_and_nothing_is_written(
    api_client, merchant_a, listing_a, rice_a, divisions, line, field
):
    client = token_client(api_client, merchant_a)
    before = written()

    response = client.post(URL, order_payload(lines=[line]), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "channels_listing_not_found"
    assert list(response.json()["fields"]) == [field]
    assert written() == before


def test_merchant_a_cannot_order_store_b_skus_even_when_b_lists_them(
    api_client, merchant_a, listing_a, listing_b, orange_b, rice_a, divisions
):
    client = token_client(api_client, merchant_a)
    before = written()

    by_sku = client.post(
        URL, order_payload(lines=[{"sku": orange_b.pk, "quantity": 1}]), format="json"
    )
    by_item = client.post(
        URL, order_payload(lines=[{"channel_item_id": "TB-2001", "quantity": 1}]), format="json"
    )

    assert (by_sku.status_code, by_item.status_code) == (400, 400)
    assert written() == before
    assert sku_state(orange_b) == (50, 0)


def test_merchant_a_cannot_place_for_store_b_by_naming_it(
    api_client, merchant_a, store_b, listing_b, divisions
):
    client = token_client(api_client, merchant_a)
    before = written()

    response = client.post(
        URL,
        order_payload(store=store_b.pk, lines=[{"channel_item_id": "TB-2001", "quantity": 1}]),
        format="json",
    )

    assert response.status_code == 404
    assert written() == before


def test_bad_address_and_number_are_400(api_client, merchant_a, listing_a, divisions):
    client = token_client(api_client, merchant_a)
    before = written()

    bad_county = client.post(
        URL,
        order_payload(address={**order_payload()["address"], "county_code": "999999"}),
        format="json",
    )
    bad_number = client.post(URL, order_payload(number="TB 1/2"), format="json")

    assert bad_county.status_code == 400
    assert "address.county_code" in bad_county.json()["fields"]
    assert bad_number.status_code == 400
    assert bad_number.json()["code"] == "channels_order_number_invalid"
    assert written() == before


def test_anonymous_and_shopper_are_refused(api_client, shopper, listing_a, divisions):
    assert api_client.post(URL, order_payload(), format="json").status_code == 401
    client = token_client(api_client, shopper)
    assert client.post(URL, order_payload(), format="json").status_code == 403
    assert ChannelOrder.objects.count() == 0


def test_channel_order_ships_and_is_traced_like_any_order(
    api_client, merchant_a, store_a, listing_a, rice_a, divisions
):
    carriers_ensure()
    lot = make_lot(store_a, rice_a, "LOT-CH-1")
    client = token_client(api_client, merchant_a)
    order = Order.objects.get(
        number=client.post(URL, order_payload(), format="json").json()["order_number"]
    )

    shipment_create(
        order=order, actor=merchant_a, carrier_code="sf", tracking_number="SF000000000001"
    )

    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert order.lines.get().lot == lot
    assert sku_state(rice_a) == (3, 0)
    shipped = TraceEvent.objects.get(extra__kind="order_shipment", extra__reference=order.number)
    assert shipped.business_step == TraceEvent.BusinessStep.SHIPPING
    assert list(shipped.event_lots.values_list("lot_id", "quantity")) == [(lot.pk, Decimal("2"))]


def test_channel_order_list_is_scoped_and_filterable(
    api_client, merchant_a, merchant_b, listing_a, divisions
):
    token_client(api_client, merchant_a).post(URL, order_payload(), format="json")

    own = token_client(api_client, merchant_a).get(URL, {"channel": "taobao"})
    other = token_client(api_client, merchant_b).get(URL)
    unknown = token_client(api_client, merchant_a).get(URL, {"channel": "nope"})

    assert [row["channel_order_number"] for row in own.json()["results"]] == ["TB20261207001"]
    assert other.json()["results"] == []
    assert unknown.status_code == 404


def test_sales_by_channel_report(api_client, merchant_a, merchant_b, staff, listing_a, divisions):
    token_client(api_client, merchant_a).post(URL, order_payload(), format="json")
    token_client(api_client, merchant_a).post(URL, order_payload(number="TB2"), format="json")

    mine = {row.channel_code: row for row in channel_sales_report(user=merchant_a)}
    theirs = {row.channel_code: row for row in channel_sales_report(user=merchant_b)}
    response = token_client(api_client, staff).get(reverse("api-channel-report"))

    assert (mine["taobao"].orders, mine["taobao"].total_amount) == (2, Decimal("62.00"))
    assert mine["jd"].orders == 0
    assert theirs["taobao"].orders == 0
    taobao = next(row for row in response.json() if row["channel_code"] == "taobao")
    assert (taobao["orders"], taobao["total_amount"]) == (2, "62.00")
    bad = token_client(api_client, staff).get(reverse("api-channel-report"), {"since": "2026-13"})
    assert bad.status_code == 400


def test_channel_buyer_account_gets_no_email(taobao, shopper):
    from apps.accounts.services import notification_send
    from apps.channels.services import channel_buyer_get
    from apps.core.models import OutboxMessage

    buyer = channel_buyer_get(channel=taobao)

    notification_send(user=buyer, title="包裹异常")
    assert OutboxMessage.objects.count() == 0
    notification_send(user=shopper, title="包裹异常")
    assert OutboxMessage.objects.count() == 1
    assert channel_buyer_get(channel=taobao) == buyer
    assert not buyer.has_usable_password()
