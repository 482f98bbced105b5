from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Order, OrderEvent, PaymentOrder
from apps.orders.services.lifecycle import payment_order_mark_paid
from tests.factories import UserFactory
from tests.logistics.conftest import carriers_ensure
from tests.orders.conftest import fill_cart, make_address, make_sku, place, sku_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders_of_a_and_b(shopper, store_a, store_b, address):
    """The shopper's checkout across both stores, and another shopper's order at store A."""
    rice = make_sku(store_a, price="20.00", stock=50)
    oranges = make_sku(store_b, price="30.00", stock=50)
    fill_cart(shopper, (rice, 1), (oranges, 1))
    mine = place(shopper, address)
    other = UserFactory()
    fill_cart(other, (rice, 2))
    theirs = place(other, make_address(other))
    return mine, theirs, rice


def _order_of(payment_order, store):
    return payment_order.orders.get(store=store)


def test_my_orders_tabs_show_only_my_orders(client, shopper, orders_of_a_and_b, store_a):
    mine, theirs, _rice = orders_of_a_and_b
    payment_order_mark_paid(payment_order=mine, paid_at=timezone.now())
    client.force_login(shopper)

    everything = client.get(reverse("orders:order_list"))
    to_ship = client.get(reverse("orders:order_list"), {"tab": "paid"})
    unpaid = client.get(reverse("orders:order_list"), {"tab": "pending_payment"})

    mine_numbers = set(mine.orders.values_list("number", flat=True))
    assert {o.number for o in everything.context["orders"]} == mine_numbers
    assert {o.number for o in to_ship.context["orders"]} == mine_numbers
    assert list(unpaid.context["orders"]) == []
    assert theirs.orders.get().number not in everything.content.decode()
    tabs = {tab.key: count for tab, count in everything.context["tabs"]}
    assert tabs["paid"] == 2
    assert tabs["pending_payment"] == 0


def test_my_orders_page_query_count_does_not_grow_with_orders(
    client, shopper, store_a, store_b, address, django_assert_max_num_queries
):
    skus = [make_sku(store_a, stock=50), make_sku(store_b, stock=50)]
    client.force_login(shopper)
    for i in range(4):
        fill_cart(shopper, (skus[0], 1), (skus[1], 2))
        place(shopper, address, key=f"many-orders-{i:04d}")
    assert Order.objects.filter(buyer=shopper).count() == 8

    with django_assert_max_num_queries(10):
        response = client.get(reverse("orders:order_list"))

    assert len(response.context["orders"]) == 8


def test_my_orders_api_query_count_does_not_grow_with_orders(
    api_client, shopper, store_a, store_b, address, django_assert_max_num_queries
):
    skus = [make_sku(store_a, stock=50), make_sku(store_b, stock=50)]
    for i in range(3):
        fill_cart(shopper, (skus[0], 1), (skus[1], 2))
        place(shopper, address, key=f"api-many-orders-{i:04d}")
    api_client.force_authenticate(shopper)

    with django_assert_max_num_queries(4):
        response = api_client.get(reverse("api-order-list"))

    assert response.json()["count"] == 6


def test_order_detail_shows_lines_amounts_timeline_and_pay_link(
    client, shopper, orders_of_a_and_b, store_a
):
    mine, _theirs, _rice = orders_of_a_and_b
    order = _order_of(mine, store_a)
    client.force_login(shopper)

    html = client.get(order.get_absolute_url()).content.decode()

    event = OrderEvent.objects.get(order=order)
    local = timezone.localtime(event.created_at, ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in html
    assert "提交订单" in html
    assert order.lines.get().title in html
    assert "¥20.00" in html
    assert order.address["full_text"] in html
    pay_url = reverse("payments:start", args=[mine.number])
    assert f'href="{pay_url}"' in html
    assert reverse("orders:order_cancel", args=[order.number]) in html
    assert "合并支付" in html  # the other store's order of the same checkout


def test_another_shoppers_order_is_404_everywhere(client, api_client, shopper, orders_of_a_and_b):
    _mine, theirs, rice = orders_of_a_and_b
    order = theirs.orders.get()
    client.force_login(shopper)
    api_client.force_authenticate(shopper)

    responses = [
        client.get(order.get_absolute_url()),
        client.post(reverse("orders:order_cancel", args=[order.number])),
        client.post(reverse("orders:order_confirm", args=[order.number])),
        api_client.get(reverse("api-order-detail", args=[order.number])),
        api_client.post(reverse("api-order-cancel", args=[order.number])),
        api_client.get(reverse("api-payment-order-detail", args=[theirs.number])),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert sku_state(rice) == (50, 3)


def test_cancel_and_confirm_from_the_pages(
    client, shopper, orders_of_a_and_b, store_a, merchant_a, address
):
    mine, _theirs, rice = orders_of_a_and_b
    order = _order_of(mine, store_a)
    client.force_login(shopper)

    client.post(reverse("orders:order_cancel", args=[order.number]))

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert sku_state(rice) == (50, 2)  # only the other shopper's 2 stay reserved

    # a second checkout, paid and shipped, is confirmed from its page
    fill_cart(shopper, (rice, 1))
    second = place(shopper, address, key="second-checkout-1")
    payment_order_mark_paid(payment_order=second, paid_at=timezone.now())
    shipped = second.orders.get()
    carriers_ensure()
    shipment_create(
        order=shipped, actor=merchant_a, carrier_code="sf", tracking_number="SF000000001111"
    )
    client.post(reverse("orders:order_confirm", args=[shipped.number]))
    shipped.refresh_from_db()
    assert shipped.status == "completed"


def test_order_api_list_detail_cancel_confirm(api_client, shopper, orders_of_a_and_b, store_a):
    mine, _theirs, _rice = orders_of_a_and_b
    order = _order_of(mine, store_a)
    api_client.force_authenticate(shopper)

    listed = api_client.get(reverse("api-order-list"), {"tab": "pending_payment"})
    detail = api_client.get(reverse("api-order-detail", args=[order.number]))
    confirm_too_early = api_client.post(reverse("api-order-confirm-receipt", args=[order.number]))
    cancelled = api_client.post(
        reverse("api-order-cancel", args=[order.number]), {"reason": "不要了"}
    )
    payment = api_client.get(reverse("api-payment-order-detail", args=[mine.number]))

    assert listed.json()["count"] == 2
    assert detail.json()["address"]["county_code"] == "230184"
    assert [e["kind"] for e in detail.json()["events"]] == ["placed"]
    assert confirm_too_early.status_code == 409
    assert cancelled.json()["status"] == "cancelled"
    assert payment.json()["status"] == PaymentOrder.Status.CANCELLED
    assert payment.json()["pay_url"] == reverse("payments:start", args=[mine.number])


def test_merchant_api_sees_and_ships_only_its_stores_orders(
    api_client, merchant_a, merchant_b, orders_of_a_and_b, store_a, store_b
):
    carriers_ensure()
    mine, theirs, rice = orders_of_a_and_b
    payment_order_mark_paid(payment_order=mine, paid_at=timezone.now())
    a_order = _order_of(mine, store_a)
    b_order = _order_of(mine, store_b)
    api_client.force_authenticate(merchant_a)

    listed = api_client.get(reverse("api-merchant-order-list"))
    paid_only = api_client.get(reverse("api-merchant-order-list"), {"status": "paid"})
    foreign = api_client.get(reverse("api-merchant-order-detail", args=[b_order.number]))
    # shipping moved to the logistics API (POST /api/v1/shipments/)
    foreign_ship = api_client.post(
        reverse("api-shipment-list"),
        {"order": b_order.number, "carrier": "sf", "tracking_number": "SF123456789012"},
        format="json",
    )
    shipped = api_client.post(
        reverse("api-shipment-list"),
        {"order": a_order.number, "carrier": "sf", "tracking_number": "SF123456789012"},
        format="json",
    )

    numbers = {o["number"] for o in listed.json()["results"]}
    assert numbers == {a_order.number, theirs.orders.get().number}
    assert [o["number"] for o in paid_only.json()["results"]] == [a_order.number]
    assert (foreign.status_code, foreign_ship.status_code) == (404, 404)
    b_order.refresh_from_db()
    assert b_order.status == "paid"
    assert shipped.status_code == 201
    a_order.refresh_from_db()
    assert a_order.status == "shipped"
    assert sku_state(rice) == (49, 2)
    # a shopper is not a merchant
    api_client.force_authenticate(UserFactory())
    assert api_client.get(reverse("api-merchant-order-list")).status_code == 403


def test_staff_sees_every_stores_orders_in_the_api(api_client, staff, orders_of_a_and_b):
    api_client.force_authenticate(staff)
    listed = api_client.get(reverse("api-merchant-order-list"))
    assert listed.json()["count"] == 3


def test_admin_merchant_sees_only_own_orders_and_ships_there(
    client, merchant_a, merchant_b, orders_of_a_and_b, store_a, store_b
):
    from apps.core.roles import roles_sync

    roles_sync()
    from django.contrib.auth.models import Group

    for user in (merchant_a, merchant_b):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name="商家"))
    carriers_ensure()
    mine, _theirs, _rice = orders_of_a_and_b
    payment_order_mark_paid(payment_order=mine, paid_at=timezone.now())
    a_order = _order_of(mine, store_a)
    b_order = _order_of(mine, store_b)
    client.force_login(merchant_a)

    changelist = client.get(reverse("admin:orders_order_changelist"))
    own = client.get(reverse("admin:orders_order_change", args=[a_order.pk]))
    foreign = client.get(reverse("admin:orders_order_change", args=[b_order.pk]))
    # the 发货 page is the logistics admin's (tests/logistics/test_shipments_admin.py)
    foreign_ship = client.post(
        reverse("admin:logistics_shipment_ship", args=[b_order.pk]),
        {"carrier": "sf", "tracking_number": "SF999988880000"},
    )
    ship_url = reverse("admin:logistics_shipment_ship", args=[a_order.pk])
    line = a_order.lines.get()
    ship = client.post(
        ship_url,
        {"carrier": "sf", "tracking_number": "SF999988880000", f"quantity_{line.pk}": 1},
    )

    html = changelist.content.decode()
    assert a_order.number in html
    assert b_order.number not in html
    assert own.status_code == 200
    assert ship_url in own.content.decode()
    assert (foreign.status_code, foreign_ship.status_code) == (404, 404)
    b_order.refresh_from_db()
    assert b_order.status == "paid"
    assert ship.status_code == 302
    a_order.refresh_from_db()
    assert (a_order.status, a_order.tracking_number) == ("shipped", "SF999988880000")
    assert OrderEvent.objects.get(order=a_order, kind="shipped").actor == merchant_a


def test_admin_merchant_freight_templates_are_store_scoped(client, merchant_a, store_a, store_b):
    from django.contrib.auth.models import Group

    from apps.core.roles import roles_sync
    from apps.orders.models import ShippingTemplate

    roles_sync()
    merchant_a.is_staff = True
    merchant_a.save(update_fields=["is_staff"])
    merchant_a.groups.add(Group.objects.get(name="商家"))
    theirs = ShippingTemplate.objects.create(store=store_b, name="乙店模板", basis="piece")
    client.force_login(merchant_a)

    response = client.post(
        reverse("admin:orders_shippingtemplate_add"),
        {
            "name": "甲店模板",
            "basis": "piece",
            "is_default": "on",
            "first_unit": "1",
            "first_fee": "6.00",
            "extra_unit": "1",
            "extra_fee": "2.00",
            "free_threshold": "",
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000",
            "rules-0-region_codes": "650000, 540000",
            "rules-0-is_excluded": "on",
            "rules-0-first_unit": "1",
            "rules-0-first_fee": "0",
            "rules-0-extra_unit": "1",
            "rules-0-extra_fee": "0",
        },
    )
    foreign = client.get(reverse("admin:orders_shippingtemplate_change", args=[theirs.pk]))

    assert response.status_code == 302, response.content.decode()[:2000]
    template = ShippingTemplate.objects.get(name="甲店模板")
    assert template.store == store_a
    assert template.rules.get().region_codes == ["65", "54"]
    assert foreign.status_code == 404
