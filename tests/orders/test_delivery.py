"""Delivery methods at checkout: express / county delivery / community pickup, their freight,
county slots and dates, and the cold-chain rule."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.core.errors import ApplicationError
from apps.core.roles import roles_sync
from apps.orders.models import (
    DeliveryOption,
    DeliverySlot,
    DeliveryZone,
    Order,
    OrderEvent,
    PaymentOrder,
    PickupPoint,
    ShippingTemplate,
)
from apps.orders.pricing import delivery_date_for_slot
from tests.orders.conftest import fill_cart, make_address, make_sku, place, sku_state

WUCHANG = "230184"


@pytest.fixture
def express_template(store_a):
    return ShippingTemplate.objects.create(
        store=store_a,
        name="默认",
        basis="piece",
        first_unit=1,
        first_fee=Decimal("8.00"),
        extra_unit=1,
        extra_fee=Decimal("2.00"),
    )


@pytest.fixture
def county(store_a):
    """store_a delivers in 五常 itself: 6.00 per order, free from 100.00, one morning slot."""
    option = DeliveryOption.objects.create(
        store=store_a, method="county", fee=Decimal("0"), free_threshold=Decimal("100.00")
    )
    DeliveryZone.objects.create(
        store=store_a, name="五常市区", region_codes=[WUCHANG], fee=Decimal("6.00")
    )
    slot = DeliverySlot.objects.create(
        store=store_a, start_time=time(9), end_time=time(12), cutoff_time=time(8)
    )
    return option, slot


@pytest.fixture
def point(divisions):
    return PickupPoint.objects.create(
        name="幸福村便民店自提点",
        shop_name="幸福村便民超市",
        county_code=WUCHANG,
        address="五常市幸福村 1 号",
        opening_hours="08:00–20:00",
        contact_name="张店长",
        contact_phone="13900001111",
    )


def choose(store, **choice):
    return {store.pk: choice}


# --- Express (default) ---------------------------------------------------------------------


def test_store_without_options_ships_express_at_template_freight(
    shopper, store_a, address, express_template
):
    # Given a store that never configured delivery methods
    rice = make_sku(store_a, price="10.00")
    fill_cart(shopper, (rice, 2))

    # When the shopper checks out without choosing
    order = place(shopper, address).orders.get()

    # Then it goes by express, priced by the freight template (8 + 2)
    assert (order.delivery_method, order.freight_amount) == ("express", Decimal("10.00"))
    assert (order.pickup_point, order.delivery_date, order.delivery_slot) == (None, None, "")
    assert order.total_amount == Decimal("30.00")
    event = OrderEvent.objects.get(order=order, kind="placed")
    assert event.payload["delivery_method"] == "express"


def test_express_stays_default_when_county_is_offered_too(shopper, store_a, address, county):
    DeliveryOption.objects.create(store=store_a, method="express")
    fill_cart(shopper, (make_sku(store_a), 1))

    order = place(shopper, address).orders.get()

    assert order.delivery_method == "express"


# --- County delivery ----------------------------------------------------------------------


def test_county_delivery_priced_by_zone_with_slot_and_date(
    shopper, store_a, address, county, express_template
):
    _option, slot = county
    fill_cart(shopper, (make_sku(store_a, price="10.00"), 3))

    payment_order = place(
        shopper, address, deliveries=choose(store_a, method="county", slot=slot.pk)
    )

    order = payment_order.orders.get()
    assert (order.delivery_method, order.freight_amount) == ("county", Decimal("6.00"))
    assert order.delivery_slot == "09:00–12:00"
    assert order.delivery_date is not None
    assert payment_order.amount == Decimal("36.00")
    event = OrderEvent.objects.get(order=order, kind="placed")
    assert (event.payload["delivery_method"], event.payload["delivery_slot"]) == (
        "county",
        "09:00–12:00",
    )


def test_county_delivery_free_from_threshold(shopper, store_a, address, county):
    _option, slot = county
    fill_cart(shopper, (make_sku(store_a, price="50.00"), 2))

    order = place(
        shopper, address, deliveries=choose(store_a, method="county", slot=slot.pk)
    ).orders.get()

    assert order.freight_amount == Decimal("0.00")


def test_township_zone_wins_over_county_zone(shopper, store_a, address, county):
    # Given a dearer zone for the shopper's own township (longest prefix wins)
    _option, slot = county
    DeliveryZone.objects.create(
        store=store_a, name="山区", region_codes=[address.township_id], fee=Decimal("9.00")
    )
    fill_cart(shopper, (make_sku(store_a, price="10.00"), 1))

    order = place(
        shopper, address, deliveries=choose(store_a, method="county", slot=slot.pk)
    ).orders.get()

    assert order.freight_amount == Decimal("9.00")


def test_address_outside_every_zone_is_refused(shopper, store_a, county, divisions):
    _option, slot = county
    beijing = make_address(shopper, county="110101")
    rice = make_sku(store_a, stock=10)
    fill_cart(shopper, (rice, 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, beijing, deliveries=choose(store_a, method="county", slot=slot.pk))

    assert exc.value.code == "orders_outside_delivery_zone"
    assert "县域配送不覆盖" in exc.value.message
    assert exc.value.fields["deliveries"][str(store_a.pk)] == exc.value.message
    assert PaymentOrder.objects.count() == 0
    assert sku_state(rice) == (10, 0)


def test_county_without_slot_is_refused(shopper, store_a, address, county):
    fill_cart(shopper, (make_sku(store_a), 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address, deliveries=choose(store_a, method="county"))

    assert exc.value.code == "orders_delivery_slot_required"
    assert Order.objects.count() == 0


def test_default_is_first_option_and_asks_for_a_slot_when_no_express(
    shopper, store_a, address, county
):
    # Given a store offering county delivery only; the shopper chose nothing
    fill_cart(shopper, (make_sku(store_a), 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address)

    assert exc.value.code == "orders_delivery_slot_required"
    assert "选择送达时段" in exc.value.message


def test_method_the_store_does_not_offer_is_refused(shopper, store_a, address):
    fill_cart(shopper, (make_sku(store_a), 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address, deliveries=choose(store_a, method="county"))

    assert exc.value.code == "orders_delivery_method_unavailable"


def test_inactive_slot_is_refused(shopper, store_a, address, county):
    _option, slot = county
    DeliverySlot.objects.filter(pk=slot.pk).update(is_active=False)
    fill_cart(shopper, (make_sku(store_a), 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address, deliveries=choose(store_a, method="county", slot=slot.pk))

    assert exc.value.code == "orders_delivery_slot_required"


@pytest.mark.parametrize(
    ("utc_now", "expected"),
    [
        # 07:59 in Shanghai, before the 08:00 cut-off: today
        (datetime(2026, 3, 9, 23, 59, tzinfo=UTC), date(2026, 3, 10)),
        # 08:00 in Shanghai, at the cut-off: tomorrow
        (datetime(2026, 3, 10, 0, 0, tzinfo=UTC), date(2026, 3, 11)),
        # 23:30 in Shanghai (15:30 UTC): tomorrow
        (datetime(2026, 3, 10, 15, 30, tzinfo=UTC), date(2026, 3, 11)),
    ],
)
def test_slot_date_follows_the_cutoff_in_shanghai(utc_now, expected):
    slot = DeliverySlot(start_time=time(9), end_time=time(12), cutoff_time=time(8))

    assert delivery_date_for_slot(slot, utc_now) == expected


def test_order_gets_next_day_after_cutoff(shopper, store_a, address, county, monkeypatch):
    _option, slot = county
    fill_cart(shopper, (make_sku(store_a), 1))
    # 21:00 in Shanghai on 2026-03-10
    late = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: late)

    order = place(
        shopper, address, deliveries=choose(store_a, method="county", slot=slot.pk)
    ).orders.get()

    assert order.delivery_date == date(2026, 3, 11)


# --- Pickup -------------------------------------------------------------------------------


def test_pickup_at_a_point_costs_the_option_fee(shopper, store_a, address, point):
    DeliveryOption.objects.create(
        store=store_a, method="pickup", fee=Decimal("2.00"), free_threshold=Decimal("200.00")
    )
    fill_cart(shopper, (make_sku(store_a, price="10.00"), 1))

    order = place(
        shopper, address, deliveries=choose(store_a, method="pickup", pickup_point=point.pk)
    ).orders.get()

    assert (order.delivery_method, order.pickup_point, order.freight_amount) == (
        "pickup",
        point,
        Decimal("2.00"),
    )


def test_pickup_without_an_active_point_is_refused(shopper, store_a, address, point):
    DeliveryOption.objects.create(store=store_a, method="pickup")
    PickupPoint.objects.filter(pk=point.pk).update(is_active=False)
    fill_cart(shopper, (make_sku(store_a), 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address, deliveries=choose(store_a, method="pickup", pickup_point=point.pk))

    assert exc.value.code == "orders_pickup_point_required"
    assert Order.objects.count() == 0


def test_pickup_at_a_point_in_another_county_is_refused(shopper, store_a, address, point):
    # The checkout offers the points of the address's county; an id from elsewhere is refused.
    DeliveryOption.objects.create(store=store_a, method="pickup")
    PickupPoint.objects.filter(pk=point.pk).update(county_code="360732")
    fill_cart(shopper, (make_sku(store_a), 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address, deliveries=choose(store_a, method="pickup", pickup_point=point.pk))

    assert exc.value.code == "orders_pickup_point_required"
    assert Order.objects.count() == 0


# --- Cold chain ---------------------------------------------------------------------------


def test_chilled_goods_refused_by_express_without_cold_chain(shopper, store_a, address):
    milk = make_sku(store_a, title="鲜牛奶", storage="chilled", stock=5)
    fill_cart(shopper, (milk, 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address)

    assert exc.value.code == "orders_cold_chain_required"
    assert exc.value.message.startswith("「鲜牛奶」需冷链配送，本店该配送方式（快递）不支持冷链")
    assert sku_state(milk) == (5, 0)


def test_frozen_goods_accepted_by_cold_chain_express(shopper, store_a, address):
    DeliveryOption.objects.create(store=store_a, method="express", is_cold_chain=True)
    fill_cart(shopper, (make_sku(store_a, title="冷冻水饺", storage="frozen"), 1))

    order = place(shopper, address).orders.get()

    assert (order.delivery_method, order.is_cold_chain) == ("express", True)


def test_ambient_goods_are_not_marked_cold_chain(shopper, store_a, address):
    DeliveryOption.objects.create(store=store_a, method="express", is_cold_chain=True)
    fill_cart(shopper, (make_sku(store_a), 1))

    assert place(shopper, address).orders.get().is_cold_chain is False


def test_chilled_pickup_needs_a_point_with_cold_storage(shopper, store_a, address, point):
    DeliveryOption.objects.create(store=store_a, method="pickup", is_cold_chain=True)
    fill_cart(shopper, (make_sku(store_a, title="鲜牛奶", storage="chilled"), 1))
    deliveries = choose(store_a, method="pickup", pickup_point=point.pk)

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address, deliveries=deliveries)
    assert exc.value.code == "orders_cold_chain_required"
    assert "没有冷藏条件" in exc.value.message

    PickupPoint.objects.filter(pk=point.pk).update(has_cold_storage=True)
    order = place(shopper, address, key="checkout-key-0002", deliveries=deliveries).orders.get()
    assert (order.pickup_point, order.is_cold_chain) == (point, True)


# --- Pages and API ------------------------------------------------------------------------


def test_checkout_page_offers_methods_and_places_county_delivery(
    client, shopper, store_a, address, county
):
    DeliveryOption.objects.create(store=store_a, method="express")
    _option, slot = county
    fill_cart(shopper, (make_sku(store_a, price="10.00"), 1))
    client.force_login(shopper)

    page = client.get(reverse("orders:checkout"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'name="delivery-{store_a.pk}-method" value="county"' in html
    assert f'name="delivery-{store_a.pk}-slot"' in html
    assert "09:00–12:00" in html

    requote = client.post(
        reverse("orders:checkout"),
        {
            "address": address.pk,
            "idempotency_key": "page-key-000001",
            f"delivery-{store_a.pk}-method": "county",
            f"delivery-{store_a.pk}-slot": slot.pk,
            "requote": "1",
        },
    )
    assert requote.status_code == 200
    assert requote.context["summary"].freight_amount == Decimal("6.00")
    assert Order.objects.count() == 0

    response = client.post(
        reverse("orders:checkout"),
        {
            "address": address.pk,
            "idempotency_key": "page-key-000001",
            f"delivery-{store_a.pk}-method": "county",
            f"delivery-{store_a.pk}-slot": slot.pk,
        },
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.delivery_method, order.freight_amount) == ("county", Decimal("6.00"))


def test_checkout_page_shows_the_refusal_as_form_error(client, shopper, store_a, address):
    fill_cart(shopper, (make_sku(store_a, title="鲜牛奶", storage="chilled"), 1))
    client.force_login(shopper)

    response = client.post(
        reverse("orders:checkout"), {"address": address.pk, "idempotency_key": "page-key-000002"}
    )

    assert response.status_code == 400
    assert "需冷链配送" in response.context["error"]
    assert Order.objects.count() == 0


def test_order_detail_shows_pickup_point(client, shopper, store_a, address, point):
    DeliveryOption.objects.create(store=store_a, method="pickup")
    fill_cart(shopper, (make_sku(store_a), 1))
    order = place(
        shopper, address, deliveries=choose(store_a, method="pickup", pickup_point=point.pk)
    ).orders.get()
    client.force_login(shopper)

    html = client.get(order.get_absolute_url()).content.decode()

    assert "社区自提" in html
    assert "五常市幸福村 1 号" in html
    assert "08:00–20:00" in html
    assert "13900001111" in html


def test_api_preview_lists_methods_and_checkout_takes_deliveries(
    api_client, shopper, store_a, address, county, point
):
    _option, slot = county
    DeliveryOption.objects.create(store=store_a, method="pickup", fee=Decimal("1.50"))
    fill_cart(shopper, (make_sku(store_a, price="10.00"), 2))
    api_client.force_authenticate(shopper)

    preview = api_client.get(reverse("api-checkout-preview"))
    offers = preview.json()["groups"][0]["delivery_offers"]
    assert [(o["method"], o["fee"]) for o in offers] == [("county", "6.00"), ("pickup", "1.50")]
    assert offers[0]["slots"][0]["id"] == slot.pk
    assert offers[1]["pickup_points"][0]["name"] == "幸福村便民店自提点"

    response = api_client.post(
        reverse("api-checkout"),
        {
            "address_id": address.pk,
            "deliveries": [{"store": store_a.pk, "method": "pickup", "pickup_point": point.pk}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="api-key-000001",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["orders"][0]["delivery_method"] == "pickup"
    assert response.json()["amount"] == "21.50"
    assert Order.objects.get().pickup_point == point


def test_api_checkout_refusal_names_the_store(api_client, shopper, store_a, address, county):
    fill_cart(shopper, (make_sku(store_a), 1))
    api_client.force_authenticate(shopper)

    response = api_client.post(
        reverse("api-checkout"),
        {"address_id": address.pk, "deliveries": [{"store": store_a.pk, "method": "county"}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="api-key-000002",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "orders_delivery_slot_required"
    assert body["fields"] == {f"deliveries.{store_a.pk}": [body["message"]]}
    assert Order.objects.count() == 0


# --- Admin --------------------------------------------------------------------------------


def _admin_merchant(user):
    roles_sync()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name="商家"))
    return user


def test_admin_delivery_options_are_store_scoped(client, merchant_a, store_a, store_b):
    theirs = DeliveryOption.objects.create(store=store_b, method="county", fee=Decimal("3.00"))
    their_slot = DeliverySlot.objects.create(
        store=store_b, start_time=time(9), end_time=time(12), cutoff_time=time(8)
    )
    client.force_login(_admin_merchant(merchant_a))

    created = client.post(
        reverse("admin:orders_deliveryoption_add"),
        {"method": "pickup", "is_enabled": "on", "fee": "2.00", "free_threshold": "", "note": ""},
    )
    listing = client.get(reverse("admin:orders_deliveryoption_changelist"))
    foreign = client.get(reverse("admin:orders_deliveryoption_change", args=[theirs.pk]))
    foreign_edit = client.post(
        reverse("admin:orders_deliveryoption_change", args=[theirs.pk]),
        {"method": "county", "is_enabled": "on", "fee": "0.00", "note": ""},
    )
    foreign_slot = client.get(reverse("admin:orders_deliveryslot_change", args=[their_slot.pk]))

    assert created.status_code == 302, created.content.decode()[:2000]
    assert DeliveryOption.objects.get(method="pickup").store == store_a
    assert list(listing.context["cl"].queryset) == [DeliveryOption.objects.get(method="pickup")]
    assert (foreign.status_code, foreign_edit.status_code, foreign_slot.status_code) == (
        404,
        404,
        404,
    )
    theirs.refresh_from_db()
    assert theirs.fee == Decimal("3.00")


def test_admin_merchant_adds_zone_with_township_codes(client, merchant_a, store_a, address):
    client.force_login(_admin_merchant(merchant_a))

    response = client.post(
        reverse("admin:orders_deliveryzone_add"),
        {
            "name": "镇区",
            "region_codes": f"{WUCHANG}, {address.township_id}",
            "fee": "4.00",
            "is_active": "on",
        },
    )
    bad = client.post(
        reverse("admin:orders_deliveryzone_add"),
        {"name": "错", "region_codes": "999999", "fee": "1.00", "is_active": "on"},
    )
    # A whole province is not a county-delivery zone.
    too_wide = client.post(
        reverse("admin:orders_deliveryzone_add"),
        {"name": "全省", "region_codes": WUCHANG[:2], "fee": "1.00", "is_active": "on"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    zone = DeliveryZone.objects.get(name="镇区")
    assert (zone.store, zone.region_codes) == (store_a, [WUCHANG, address.township_id])
    assert bad.status_code == 200
    assert not DeliveryZone.objects.filter(name="错").exists()
    assert too_wide.status_code == 200
    assert "不是区县及以下的代码：23" in too_wide.content.decode()
    assert not DeliveryZone.objects.filter(name="全省").exists()


def test_admin_zone_list_names_the_regions_in_queries_that_do_not_grow_with_rows(
    client, merchant_a, store_a, address, divisions
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(_admin_merchant(merchant_a))
    url = reverse("admin:orders_deliveryzone_changelist")
    DeliveryZone.objects.create(store=store_a, name="市区", region_codes=[WUCHANG], fee=1)
    with CaptureQueriesContext(connection) as one_zone:
        first = client.get(url)
    for n in range(4):
        DeliveryZone.objects.create(
            store=store_a, name=f"镇{n}", region_codes=[address.township_id], fee=2
        )
    with CaptureQueriesContext(connection) as five_zones:
        second = client.get(url)

    assert first.status_code == second.status_code == 200
    page = second.content.decode()
    assert address.county.name in page
    assert address.township.name in page
    assert len(five_zones) == len(one_zone)


def test_merchant_cannot_manage_pickup_points_but_staff_can(client, merchant_a, staff, point):
    client.force_login(_admin_merchant(merchant_a))
    assert client.get(reverse("admin:orders_pickuppoint_changelist")).status_code == 403

    client.force_login(staff)
    assert (
        client.get(reverse("admin:orders_pickuppoint_change", args=[point.pk])).status_code == 200
    )


# --- Demo data ----------------------------------------------------------------------------


def test_demo_delivery_seed_is_idempotent(store_a, store_b):
    from apps.orders.demo import PICKUP_POINTS, delivery_demo_seed

    stores = {"ziying": store_a, "shouguang_veg": store_b}

    first = delivery_demo_seed(stores=stores)
    second = delivery_demo_seed(stores=stores)

    assert first > 0
    assert second == 0
    assert PickupPoint.objects.filter(county_code="370783").count() == len(PICKUP_POINTS)
    express = DeliveryOption.objects.get(store=store_a, method="express")
    assert express.is_cold_chain is True
    assert set(DeliveryOption.objects.filter(store=store_b).values_list("method", flat=True)) == {
        "express",
        "county",
        "pickup",
    }
    assert DeliverySlot.objects.filter(store=store_a).count() == 3


def test_order_pages_for_merchant_and_api_show_the_pickup_point(
    client, api_client, shopper, merchant_a, store_a, address, point
):
    DeliveryOption.objects.create(store=store_a, method="pickup")
    fill_cart(shopper, (make_sku(store_a), 1))
    order = place(
        shopper, address, deliveries=choose(store_a, method="pickup", pickup_point=point.pk)
    ).orders.get()
    client.force_login(_admin_merchant(merchant_a))
    api_client.force_authenticate(shopper)

    admin_html = client.get(reverse("admin:orders_order_change", args=[order.pk])).content
    body = api_client.get(reverse("api-order-detail", args=[order.number])).json()

    assert "五常市幸福村 1 号" in admin_html.decode()
    assert (body["delivery_method"], body["pickup_point"]["opening_hours"]) == (
        "pickup",
        "08:00–20:00",
    )


def test_slots_listed_in_arrival_order_with_the_earliest_open_one_chosen(
    client, shopper, store_a, address, county, monkeypatch
):
    # Given a morning slot (cut-off 08:00, so tomorrow by now) and tonight's slot still open
    _option, morning = county
    evening = DeliverySlot.objects.create(
        store=store_a, start_time=time(18), end_time=time(20), cutoff_time=time(16)
    )
    fill_cart(shopper, (make_sku(store_a), 1))
    client.force_login(shopper)
    # 14:00 in Shanghai on 2026-03-10
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    )

    html = client.get(reverse("orders:checkout")).content.decode()

    select = html[html.index(f'name="delivery-{store_a.pk}-slot"') :].split("</select>")[0]
    options = select.split("<option")[1:]
    assert [o.split('"')[1] for o in options] == [str(evening.pk), str(morning.pk)]
    assert "3月10日 18:00–20:00" in options[0]
    assert "selected" in options[0]
    assert "3月11日 09:00–12:00" in options[1]
    assert "selected" not in options[1]


def test_api_preview_says_null_method_and_its_schema_allows_it(
    api_client, shopper, store_a, address, county
):
    # County delivery only and no slot chosen yet: the group has no quoted method.
    fill_cart(shopper, (make_sku(store_a, price="10.00"), 1))
    api_client.force_authenticate(shopper)

    group = api_client.get(reverse("api-checkout-preview")).json()["groups"][0]
    schema = api_client.get(reverse("api-schema"), {"format": "json"}).json()

    assert group["delivery_method"] is None
    field = schema["components"]["schemas"]["CheckoutGroup"]["properties"]["delivery_method"]
    assert field.get("nullable") is True
