"""Community pickup points: the clerk scans parcels in (the shopper gets a pickup code) and
hands them over by code; wrong codes are limited per clerk and per point."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Notification
from apps.core.errors import ApplicationError
from apps.logistics.models import Carrier, Shipment, ShipmentEvent
from apps.logistics.services.pickup import pickup_arrival_record, pickup_hand_over
from apps.orders.models import DeliveryOption, Order, PickupPoint
from tests.factories import UserFactory
from tests.logistics.conftest import paid_order
from tests.orders.conftest import make_sku

WUCHANG = "230184"


def make_point(name: str, **extra) -> PickupPoint:
    return PickupPoint.objects.create(
        name=name,
        shop_name=f"{name}超市",
        county_code=WUCHANG,
        address=extra.pop("address", "五常市幸福村 1 号"),
        opening_hours="08:00–20:00",
        contact_name="张店长",
        contact_phone="13900001111",
        **extra,
    )


@pytest.fixture
def point(divisions):
    return make_point("幸福村自提点")


@pytest.fixture
def other_point(divisions):
    return make_point("向阳村自提点", address="五常市向阳村 2 号")


@pytest.fixture
def clerk(point):
    user = UserFactory(name="幸福村店员")
    point.clerks.add(user)
    return user


@pytest.fixture
def other_clerk(other_point):
    user = UserFactory(name="向阳村店员")
    other_point.clerks.add(user)
    return user


def ship_to_point(order: Order, point: PickupPoint, number: str) -> Shipment:
    """What helper "ship"'s shipment_create does for a pickup order: a parcel on the way."""
    Order.objects.filter(pk=order.pk).update(status=Order.Status.SHIPPED, shipped_at=timezone.now())
    return Shipment.objects.create(
        order=order,
        store=order.store,
        carrier=Carrier.objects.get(code="county"),
        tracking_number=number,
        delivery_method="pickup",
        pickup_point=point,
        status=Shipment.Status.IN_TRANSIT,
    )


@pytest.fixture
def pickup_order(shopper, store_a, address, point):
    DeliveryOption.objects.create(store=store_a, method="pickup", fee=Decimal("1.00"))
    rice = make_sku(store_a, price="10.00", title="五常大米")
    return paid_order(
        shopper,
        address,
        (rice, 2),
        deliveries={store_a.pk: {"method": "pickup", "pickup_point": point.pk}},
    )


@pytest.fixture
def parcel(pickup_order, point):
    return ship_to_point(pickup_order, point, "TJ000000000001")


def arrive(client, point, number):
    return client.post(
        reverse("logistics:pickup_arrive", args=[point.pk]), {"tracking_number": number}
    )


def hand_over(client, point, code):
    return client.post(reverse("logistics:pickup_hand_over", args=[point.pk]), {"code": code})


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# --- The clerk's page ---------------------------------------------------------------------


def test_clerk_page_lists_parcels_on_the_way(client, clerk, parcel, point):
    client.force_login(clerk)

    response = client.get(reverse("logistics:pickup"))

    assert response.status_code == 200
    assert response.context["point"] == point
    assert [s.pk for s in response.context["on_the_way"]] == [parcel.pk]
    assert "TJ000000000001" in response.content.decode()


def test_page_needs_login_and_a_point(client, shopper):
    assert client.get(reverse("logistics:pickup")).status_code == 302
    client.force_login(shopper)
    assert client.get(reverse("logistics:pickup")).status_code == 404


# --- Scan in ------------------------------------------------------------------------------


def test_scan_in_gives_the_shopper_a_pickup_code(client, clerk, parcel, shopper, point):
    client.force_login(clerk)

    response = arrive(client, point, " tj000000000001 ")

    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == "at_pickup_point"
    assert parcel.arrived_at_point_at is not None
    assert len(parcel.pickup_code) == 6
    assert parcel.pickup_code.isdigit()
    notice = Notification.objects.get(user=shopper, title__contains="取件码")
    assert parcel.pickup_code in notice.title
    for text in (parcel.pickup_code, "幸福村自提点", "五常市幸福村 1 号", "08:00–20:00"):
        assert text in notice.body
    event = ShipmentEvent.objects.get(shipment=parcel, kind="pickup_arrival")
    assert (event.from_status, event.to_status, event.actor) == (
        "in_transit",
        "at_pickup_point",
        clerk,
    )


def test_shopper_sees_the_code_and_the_scan_in_on_the_order_page(
    client, clerk, parcel, shopper, point, pickup_order
):
    client.force_login(clerk)
    arrive(client, point, parcel.tracking_number)
    parcel.refresh_from_db()

    client.force_login(shopper)
    page = client.get(pickup_order.get_absolute_url()).content.decode()

    assert f"取件码 <strong>{parcel.pickup_code}</strong>" in page
    assert "到达自提点：幸福村自提点" in page


def test_public_tracking_page_shows_the_scan_in(client, clerk, parcel, point, pickup_order):
    client.force_login(clerk)
    arrive(client, point, parcel.tracking_number)
    client.logout()
    tail = pickup_order.address["contact_phone"][-4:]

    page = client.post(
        reverse("logistics:track"), {"number": parcel.tracking_number, "phone_tail": tail}
    )

    assert page.status_code == 200
    assert "到达自提点：幸福村自提点" in page.content.decode()


def test_scan_in_after_a_carrier_scan_still_issues_the_code(clerk, parcel, shopper):
    # Given: the carrier's own "arrived at the pickup point" scan moved the parcel already.
    Shipment.objects.filter(pk=parcel.pk).update(status="at_pickup_point")

    pickup_arrival_record(shipment=parcel, actor=clerk)

    parcel.refresh_from_db()
    assert parcel.status == "at_pickup_point"
    assert len(parcel.pickup_code) == 6
    assert (
        parcel.pickup_code in Notification.objects.get(user=shopper, title__contains="取件码").title
    )
    event = ShipmentEvent.objects.get(shipment=parcel, kind="pickup_arrival")
    assert (event.from_status, event.to_status) == ("at_pickup_point", "at_pickup_point")


def test_unknown_tracking_number_is_not_scanned(client, clerk, parcel, point):
    client.force_login(clerk)

    arrive(client, point, "TJ999999999999")

    parcel.refresh_from_db()
    assert (parcel.status, parcel.pickup_code) == ("in_transit", "")
    assert not Notification.objects.filter(title__contains="取件码").exists()


def test_parcel_of_an_order_for_another_point_is_not_scanned(
    clerk, pickup_order, point, other_point
):
    # The parcel says `point` but the order was for `other_point`: it is not this point's.
    Order.objects.filter(pk=pickup_order.pk).update(pickup_point=other_point)
    parcel = ship_to_point(pickup_order, point, "TJ000000000002")

    with pytest.raises(ApplicationError):
        pickup_arrival_record(shipment=parcel, actor=clerk)

    parcel.refresh_from_db()
    assert parcel.status == "in_transit"


# --- Hand over ----------------------------------------------------------------------------


def test_right_code_hands_over_and_delivers_the_order(client, clerk, parcel, point, pickup_order):
    client.force_login(clerk)
    arrive(client, point, parcel.tracking_number)
    parcel.refresh_from_db()

    response = hand_over(client, point, parcel.pickup_code)

    assert response.status_code == 302
    parcel.refresh_from_db()
    assert (parcel.status, parcel.pickup_code) == ("delivered", "")
    assert parcel.delivered_at is not None
    pickup_order.refresh_from_db()
    assert pickup_order.status == "delivered"
    event = ShipmentEvent.objects.get(shipment=parcel, kind="pickup_hand_over")
    assert (event.to_status, event.actor, event.payload) == (
        "delivered",
        clerk,
        {"pickup_point": point.pk},
    )


def test_two_parcels_of_one_order_share_the_code(clerk, pickup_order, point):
    first = ship_to_point(pickup_order, point, "TJ000000000011")
    second = ship_to_point(pickup_order, point, "TJ000000000012")

    code = pickup_arrival_record(shipment=first, actor=clerk).pickup_code
    assert pickup_arrival_record(shipment=second, actor=clerk).pickup_code == code
    delivered = pickup_hand_over(point=point, code=code, actor=clerk)

    assert sorted(s.pk for s in delivered) == sorted([first.pk, second.pk])
    pickup_order.refresh_from_db()
    assert pickup_order.status == "delivered"


def test_wrong_code_is_refused_then_rate_limited(client, clerk, parcel, point, caplog):
    client.force_login(clerk)
    arrive(client, point, parcel.tracking_number)
    parcel.refresh_from_db()
    code = parcel.pickup_code

    wrong = [hand_over(client, point, wrong_code(code)) for _attempt in range(5)]
    limited = hand_over(client, point, code)

    assert [r.status_code for r in wrong] == [400] * 5
    assert "取件码不正确" in wrong[0].context["code_error"]
    assert limited.status_code == 429
    assert "错误次数过多" in limited.context["code_error"]
    parcel.refresh_from_db()
    assert (parcel.status, parcel.pickup_code) == ("at_pickup_point", code)
    assert sum("wrong pickup code" in r.getMessage() for r in caplog.records) == 5


def test_wrong_codes_are_limited_per_point_across_clerks(clerk, parcel, point):
    second_clerk = UserFactory(name="幸福村店员二")
    point.clerks.add(second_clerk)
    code = pickup_arrival_record(shipment=parcel, actor=clerk).pickup_code
    for _attempt in range(5):
        with pytest.raises(ApplicationError):
            pickup_hand_over(point=point, code=wrong_code(code), actor=clerk)

    with pytest.raises(ApplicationError) as exc:
        pickup_hand_over(point=point, code=code, actor=second_clerk)

    assert exc.value.code == "logistics_rate_limited"
    parcel.refresh_from_db()
    assert parcel.status == "at_pickup_point"


# --- Another point's clerk ----------------------------------------------------------------


def test_clerk_of_another_point_cannot_see_or_hand_over(
    client, clerk, other_clerk, parcel, point, other_point
):
    code = pickup_arrival_record(shipment=parcel, actor=clerk).pickup_code
    client.force_login(other_clerk)

    page = client.get(reverse("logistics:pickup"), {"point": point.pk})
    scan = arrive(client, point, parcel.tracking_number)
    handed = hand_over(client, point, code)

    assert page.context["point"] == other_point
    assert page.context["waiting"] == []
    assert parcel.tracking_number not in page.content.decode()
    assert (scan.status_code, handed.status_code) == (404, 404)
    with pytest.raises(ApplicationError) as exc:
        pickup_hand_over(point=point, code=code, actor=other_clerk)
    assert exc.value.code == "logistics_not_allowed"
    parcel.refresh_from_db()
    assert (parcel.status, parcel.pickup_code) == ("at_pickup_point", code)


def test_staff_may_work_any_point(client, staff, parcel, point):
    client.force_login(staff)

    arrive(client, point, parcel.tracking_number)

    parcel.refresh_from_db()
    assert parcel.status == "at_pickup_point"
