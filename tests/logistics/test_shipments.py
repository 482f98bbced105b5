"""Shipping an order in parcels (logistics.services.shipments.shipment_create): carriers and
their waybill formats, partial shipping, cold chain, own fleet, lots; refusals write nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.logistics.models import Carrier, Shipment, ShipmentEvent, TemperatureReading
from apps.logistics.models import TrackingEvent as Scan
from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Order, OrderEvent
from tests.logistics.conftest import paid_order
from tests.orders.conftest import make_lot, make_sku, sku_state

pytestmark = pytest.mark.django_db


def lines_of(order: Order) -> tuple:
    rice, oil = order.lines.order_by("pk")
    return rice, oil


def nothing_shipped(order: Order) -> None:
    """A refused shipment leaves no trace: no parcel, no shipped pieces, no order event."""
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert not Shipment.objects.filter(order=order).exists()
    assert [line.shipped_quantity for line in order.lines.order_by("pk")] == [0, 0]
    assert not OrderEvent.objects.filter(order=order, kind__in=["shipment", "shipped"]).exists()


def test_two_parcels_ship_the_order_only_after_the_second(order_a, merchant_a):
    rice, oil = lines_of(order_a)

    first = shipment_create(
        order=order_a,
        actor=merchant_a,
        carrier_code="sf",
        tracking_number=" sf 1234 5678 9012 ",
        lines={rice.pk: 2},
    )
    order_a.refresh_from_db()
    status_after_first = order_a.status
    second = shipment_create(
        order=order_a,
        actor=merchant_a,
        carrier_code="zto",
        tracking_number="731234567890",
        lines={rice.pk: 1, oil.pk: 2},
    )

    order_a.refresh_from_db()
    assert status_after_first == Order.Status.PAID
    assert first.tracking_number == "SF123456789012"
    assert [(sl.order_line_id, sl.quantity) for sl in first.lines.all()] == [(rice.pk, 2)]
    assert [(sl.order_line_id, sl.quantity) for sl in second.lines.all()] == [
        (rice.pk, 1),
        (oil.pk, 2),
    ]
    assert (order_a.status, order_a.carrier_name, order_a.tracking_number) == (
        Order.Status.SHIPPED,
        "中通快递",
        "731234567890",
    )
    assert order_a.shipped_at is not None
    assert [line.shipped_quantity for line in order_a.lines.order_by("pk")] == [3, 2]
    assert sku_state(rice.sku) == (47, 0)
    assert sku_state(oil.sku) == (18, 0)
    assert list(
        OrderEvent.objects.filter(order=order_a, kind__in=["shipment", "shipped"])
        .order_by("pk")
        .values_list("kind", "to_status", "actor")
    ) == [
        ("shipment", "paid", merchant_a.pk),
        ("shipment", "paid", merchant_a.pk),
        ("shipped", "shipped", merchant_a.pk),
    ]
    event = ShipmentEvent.objects.get(shipment=first)
    assert (event.kind, event.from_status, event.to_status, event.actor) == (
        "created",
        "",
        "created",
        merchant_a,
    )
    assert (first.store_id, first.status, first.created_by) == (
        order_a.store_id,
        Shipment.Status.CREATED,
        merchant_a,
    )


def test_without_lines_the_parcel_takes_everything_left(order_a, merchant_a):
    rice, oil = lines_of(order_a)
    shipment_create(
        order=order_a,
        actor=merchant_a,
        carrier_code="sf",
        tracking_number="SF100000000001",
        lines={rice.pk: 1},
    )

    rest = shipment_create(
        order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="SF100000000002"
    )

    order_a.refresh_from_db()
    assert [(sl.order_line_id, sl.quantity) for sl in rest.lines.all()] == [
        (rice.pk, 2),
        (oil.pk, 2),
    ]
    assert order_a.status == Order.Status.SHIPPED


@pytest.mark.parametrize(
    ("which", "quantity", "message"),
    [
        ("rice", 4, "「五常大米」最多还可发 3 件。"),
        ("rice", 0, "发货数量须大于 0。"),
        ("rice", -2, "发货数量须大于 0。"),
        ("foreign", 1, "不是本订单的商品。"),
    ],
)
def test_bad_quantities_are_refused_and_nothing_is_written(
    order_a, merchant_a, shopper, address, store_a, which, quantity, message
):
    rice, _oil = lines_of(order_a)
    other = paid_order(shopper, address, (make_sku(store_a), 1), key="logistics-key-0002")
    line_id = rice.pk if which == "rice" else other.lines.get().pk

    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a,
            actor=merchant_a,
            carrier_code="sf",
            tracking_number="SF123456789012",
            lines={line_id: quantity},
        )

    assert refused.value.code == "orders_invalid_ship_quantity"
    assert refused.value.fields == {"lines": {str(line_id): message}}
    nothing_shipped(order_a)
    assert sku_state(rice.sku) == (50, 3)


def test_a_line_already_shipped_in_full_cannot_ship_again(order_a, merchant_a):
    rice, _oil = lines_of(order_a)
    shipment_create(
        order=order_a,
        actor=merchant_a,
        carrier_code="sf",
        tracking_number="SF100000000001",
        lines={rice.pk: 3},
    )

    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a,
            actor=merchant_a,
            carrier_code="sf",
            tracking_number="SF100000000002",
            lines={rice.pk: 1},
        )

    assert refused.value.fields == {"lines": {str(rice.pk): "「五常大米」最多还可发 0 件。"}}
    assert Shipment.objects.filter(order=order_a).count() == 1


@pytest.mark.parametrize(
    ("carrier", "number", "code", "field"),
    [
        ("dhl", "SF123456789012", "logistics_carrier_unknown", "carrier"),
        ("", "SF123456789012", "logistics_carrier_unknown", "carrier"),
        ("sf", "", "logistics_invalid_tracking_number", "tracking_number"),
        ("sf", "SF12345", "logistics_invalid_tracking_number", "tracking_number"),
        ("sf", "731234567890", "logistics_invalid_tracking_number", "tracking_number"),
        ("zto", "SF123456789012", "logistics_invalid_tracking_number", "tracking_number"),
        ("ems", "EA123456789US", "logistics_invalid_tracking_number", "tracking_number"),
        ("jd", "JD" + "1" * 50, "logistics_invalid_tracking_number", "tracking_number"),
    ],
)
def test_unknown_carriers_and_malformed_numbers_are_refused(
    order_a, merchant_a, carrier, number, code, field
):
    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a, actor=merchant_a, carrier_code=carrier, tracking_number=number
        )

    assert (refused.value.code, refused.value.status_code) == (code, 400)
    assert list(refused.value.fields) == [field]
    nothing_shipped(order_a)


def test_an_inactive_carrier_is_unknown(order_a, merchant_a):
    Carrier.objects.filter(code="yto").update(is_active=False)

    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a, actor=merchant_a, carrier_code="yto", tracking_number="YT1234567890123"
        )

    assert refused.value.code == "logistics_carrier_unknown"
    nothing_shipped(order_a)


def test_a_duplicate_number_of_the_same_carrier_is_refused(
    order_a, merchant_a, shopper, address, store_a
):
    other = paid_order(shopper, address, (make_sku(store_a), 1), key="logistics-key-0002")
    shipment_create(
        order=other, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789099"
    )

    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="sf123456789099"
        )

    assert (refused.value.code, refused.value.status_code) == (
        "logistics_duplicate_tracking_number",
        409,
    )
    assert refused.value.message == "顺丰速运运单号 SF123456789099 已被其他包裹使用。"
    nothing_shipped(order_a)


def test_the_database_constraint_backs_the_duplicate_check(
    order_a, merchant_a, shopper, address, store_a, monkeypatch
):
    # A parcel that took the number between the check and the insert (a race) is caught by
    # the unique constraint and becomes the same 409, with everything rolled back.
    other = paid_order(shopper, address, (make_sku(store_a), 1), key="logistics-key-0002")
    shipment_create(
        order=other, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789099"
    )
    real_filter = Shipment.objects.filter

    class NeverExists:
        def exists(self):
            return False

    def filter_hiding_the_number(*args, **kwargs):
        if kwargs.get("tracking_number") == "SF123456789099":
            return NeverExists()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Shipment.objects, "filter", filter_hiding_the_number)
    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789099"
        )
    monkeypatch.undo()

    assert refused.value.status_code == 409
    nothing_shipped(order_a)
    rice, _oil = lines_of(order_a)
    assert sku_state(rice.sku) == (50, 3)


def test_the_same_number_at_another_carrier_is_allowed(
    order_a, merchant_a, shopper, address, store_a
):
    other = paid_order(shopper, address, (make_sku(store_a), 1), key="logistics-key-0002")
    shipment_create(
        order=other, actor=merchant_a, carrier_code="zto", tracking_number="731234567890"
    )

    shipment = shipment_create(
        order=order_a, actor=merchant_a, carrier_code="sto", tracking_number="551234567890"
    )

    assert shipment.carrier.code == "sto"


def test_a_cold_chain_order_needs_a_cold_chain_carrier(order_a, merchant_a):
    Order.objects.filter(pk=order_a.pk).update(is_cold_chain=True)
    order_a.refresh_from_db()

    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a, actor=merchant_a, carrier_code="zto", tracking_number="731234567890"
        )
    cold = shipment_create(
        order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
    )

    assert refused.value.code == "logistics_not_cold_chain"
    assert refused.value.fields == {"carrier": "请选择冷链承运商。"}
    assert cold.is_cold_chain is True


def test_county_delivery_uses_the_own_fleet_with_a_generated_number(order_a, merchant_a):
    Order.objects.filter(pk=order_a.pk).update(delivery_method="county")
    order_a.refresh_from_db()

    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
        )
    shipment = shipment_create(order=order_a, actor=merchant_a, carrier_code="county")

    assert refused.value.code == "logistics_not_allowed"
    assert shipment.tracking_number.startswith("TJ")
    assert len(shipment.tracking_number) == 14
    assert shipment.tracking_number[2:].isdigit()
    assert shipment.delivery_method == "county"


def test_another_stores_merchant_cannot_ship(order_a, merchant_b):
    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a, actor=merchant_b, carrier_code="sf", tracking_number="SF123456789012"
        )

    assert refused.value.status_code == 403
    nothing_shipped(order_a)


def test_an_unpaid_order_cannot_ship(shopper, address, store_a, merchant_a):
    from tests.orders.conftest import fill_cart, place

    sku = make_sku(store_a, stock=5)
    fill_cart(shopper, (sku, 1))
    order = place(shopper, address, key="logistics-key-0009").orders.get()

    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
        )

    assert refused.value.code == "orders_invalid_transition"
    assert not Shipment.objects.exists()
    assert sku_state(sku) == (5, 1)


def test_the_chosen_lot_is_recorded_on_the_line_and_the_parcel(order_a, merchant_a, store_a):
    rice, _oil = lines_of(order_a)
    make_lot(store_a, rice.sku, "SOON-01", expiry_days=5)
    later = make_lot(store_a, rice.sku, "LATE-01", expiry_days=40)

    shipment = shipment_create(
        order=order_a,
        actor=merchant_a,
        carrier_code="sf",
        tracking_number="SF123456789012",
        lines={rice.pk: 3},
        lots={rice.pk: later.pk},
    )

    rice.refresh_from_db()
    assert rice.lot == later
    assert [(sl.order_line_id, sl.lot_id) for sl in shipment.lines.all()] == [(rice.pk, later.pk)]


def test_by_default_the_first_expiring_lot_is_used(order_a, merchant_a, store_a):
    rice, _oil = lines_of(order_a)
    make_lot(store_a, rice.sku, "LATE-01", expiry_days=40)
    soon = make_lot(store_a, rice.sku, "SOON-01", expiry_days=5)

    shipment = shipment_create(
        order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
    )

    assert [sl.lot_id for sl in shipment.lines.all()] == [soon.pk, None]


def test_another_stores_lot_is_refused(order_a, merchant_a, store_b):
    rice, _oil = lines_of(order_a)
    foreign = make_lot(store_b, make_sku(store_b), "FOREIGN-01", expiry_days=10)

    with pytest.raises(ApplicationError) as refused:
        shipment_create(
            order=order_a,
            actor=merchant_a,
            carrier_code="sf",
            tracking_number="SF123456789012",
            lots={rice.pk: foreign.pk},
        )

    assert refused.value.fields == {"lots": "批次无效。"}
    nothing_shipped(order_a)
    rice.refresh_from_db()
    assert rice.lot is None


def test_the_order_page_shows_the_parcel_and_its_timeline(
    client, order_a, merchant_a, shopper, django_assert_max_num_queries
):
    rice, oil = lines_of(order_a)
    first = shipment_create(
        order=order_a,
        actor=merchant_a,
        carrier_code="sf",
        tracking_number="SF123456789012",
        lines={rice.pk: 3},
    )
    now = timezone.now()
    Scan.objects.create(
        shipment=first,
        occurred_at=now - timedelta(hours=5),
        status="collected",
        location="五常市",
        text="顺丰已揽收",
        source="manual",
        dedup_key="a",
    )
    Scan.objects.create(
        shipment=first,
        occurred_at=now - timedelta(hours=1),
        status="in_transit",
        location="哈尔滨转运中心",
        text="快件已到达哈尔滨",
        source="manual",
        dedup_key="b",
    )
    TemperatureReading.objects.create(
        shipment=first,
        measured_at=now - timedelta(hours=3),
        celsius=Decimal("9.5"),
        is_out_of_range=True,
    )
    client.force_login(shopper)

    html = client.get(order_a.get_absolute_url()).content.decode()
    shipment_create(
        order=order_a,
        actor=merchant_a,
        carrier_code="zto",
        tracking_number="731234567890",
        lines={oil.pk: 2},
    )
    with django_assert_max_num_queries(20) as captured:
        client.get(order_a.get_absolute_url())
    parcel_queries = [q for q in captured.captured_queries if "logistics_" in q["sql"]]

    assert "顺丰速运" in html
    assert "SF123456789012" in html
    assert "五常大米 1kg/袋 × 3" in html
    newest, alert, oldest = (
        html.index("快件已到达哈尔滨"),
        html.index("温度超标：9.5 °C"),
        html.index("顺丰已揽收"),
    )
    assert newest < alert < oldest
    assert 'class="o-alert"' in html
    # two parcels: one query each for parcels, lines, scans, temperature alerts and pickup
    # events, whatever the number of parcels
    assert len(parcel_queries) == 5


def test_the_order_page_of_an_unshipped_order_has_no_parcel_panel(client, order_a, shopper):
    client.force_login(shopper)

    html = client.get(reverse("orders:order_detail", args=[order_a.number])).content.decode()

    assert "物流包裹" not in html


def test_the_order_page_names_each_waybill_once_in_its_parcel(client, order_a, merchant_a, shopper):
    rice, oil = lines_of(order_a)
    for carrier, number, line in (("sf", "SF123456789012", rice), ("zto", "731234567890", oil)):
        shipment_create(
            order=order_a,
            actor=merchant_a,
            carrier_code=carrier,
            tracking_number=number,
            lines={line.pk: line.quantity},
        )
    client.force_login(shopper)

    html = client.get(order_a.get_absolute_url()).content.decode()

    # The order keeps the last parcel's waybill, but the page shows it only in the parcel list.
    assert html.count("731234567890") == html.count("SF123456789012")
    parcels = html.index("物流包裹")
    assert html.index("731234567890") > parcels
    assert html.index("SF123456789012") > parcels
