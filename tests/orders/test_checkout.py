from decimal import Decimal

import pytest
from django.urls import reverse

from apps.catalog.models import Product, WholesaleTier
from apps.core.errors import ApplicationError
from apps.orders.models import (
    CartLine,
    Order,
    OrderEvent,
    OrderLine,
    PaymentOrder,
    ShippingTemplate,
)
from apps.orders.services.checkout import order_number_new
from apps.stores.models import Store
from apps.wholesale.models import BuyerMember, BuyerOrganisation, CreditEntry
from tests.factories import UserFactory
from tests.orders.conftest import fill_cart, make_address, make_sku, place, sku_state

pytestmark = pytest.mark.django_db


def test_checkout_splits_two_stores_into_two_orders_that_add_up_to_the_fen(
    shopper, store_a, store_b, address
):
    # given rice from store A (2 × 19.99) and oranges from store B (3 × 33.33, freight 8)
    rice = make_sku(store_a, price="19.99", stock=10)
    oranges = make_sku(store_b, price="33.33", stock=10)
    ShippingTemplate.objects.create(store=store_b, name="默认", basis="piece", first_fee="8.00")
    fill_cart(shopper, (rice, 2), (oranges, 3))

    # when the shopper places the cart
    payment_order = place(shopper, address)

    # then one payment order covers one order per store, totals exact to the fen
    orders = {o.store_id: o for o in payment_order.orders.all()}
    assert set(orders) == {store_a.pk, store_b.pk}
    assert (orders[store_a.pk].goods_amount, orders[store_a.pk].freight_amount) == (
        Decimal("39.98"),
        Decimal("0.00"),
    )
    assert orders[store_b.pk].goods_amount == Decimal("99.99")
    assert orders[store_b.pk].freight_amount == Decimal("8.00")
    assert orders[store_b.pk].total_amount == Decimal("107.99")
    assert payment_order.amount == Decimal("147.97")
    assert payment_order.amount == sum(o.total_amount for o in orders.values())
    assert payment_order.status == PaymentOrder.Status.PENDING
    assert all(o.status == Order.Status.PENDING_PAYMENT for o in orders.values())
    assert [o.number[:-2] for o in orders.values()] == [payment_order.number] * 2


def test_placing_snapshots_lines_and_address_and_reserves_stock(shopper, store_a, address):
    sku = make_sku(store_a, price="12.50", stock=5, spec="2.5kg/箱")
    title = sku.product.title
    fill_cart(shopper, (sku, 3))

    payment_order = place(shopper, address)

    line = OrderLine.objects.get(order__payment_order=payment_order)
    assert (line.title, line.spec, line.unit_price, line.quantity) == (
        title,
        "2.5kg/箱",
        Decimal("12.50"),
        3,
    )
    assert (line.line_amount, line.paid_amount) == (Decimal("37.50"), Decimal("37.50"))
    assert sku_state(sku) == (5, 3)
    order = line.order
    assert order.address["county_code"] == "230184"
    assert order.address["full_text"] == address.full_text
    assert order.address["contact_phone"] == "+8613812345678"
    assert order.commission_rate == store_a.commission_rate
    # the product changes later; the order keeps what the shopper saw
    Product.objects.filter(pk=sku.product_id).update(title="改名了")
    line.refresh_from_db()
    assert line.title == title
    assert CartLine.objects.filter(cart__user=shopper).count() == 0
    assert list(OrderEvent.objects.filter(order=order).values_list("kind", "to_status")) == [
        ("placed", "pending_payment")
    ]


def test_same_idempotency_key_twice_makes_one_payment_order(shopper, store_a, address):
    sku = make_sku(store_a, stock=10)
    fill_cart(shopper, (sku, 2))

    first = place(shopper, address, key="double-click-123")
    fill_cart(shopper, (sku, 1))  # even if the cart changed meanwhile
    second = place(shopper, address, key="double-click-123")

    assert second.pk == first.pk
    assert (first.is_replay, second.is_replay) == (False, True)
    assert PaymentOrder.objects.filter(buyer=shopper).count() == 1
    assert sku_state(sku) == (10, 2)


def test_checkout_page_double_submit_places_once(client, shopper, store_a, address):
    sku = make_sku(store_a, stock=10)
    fill_cart(shopper, (sku, 2))
    client.force_login(shopper)
    page = client.get(reverse("orders:checkout"))
    key = page.context["idempotency_key"]
    assert f'name="idempotency_key" value="{key}"' in page.content.decode()
    form = {"idempotency_key": key, "address": address.pk}

    first = client.post(reverse("orders:checkout"), form)
    second = client.post(reverse("orders:checkout"), form)

    payment_order = PaymentOrder.objects.get(buyer=shopper)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/pay/{payment_order.number}/"
    assert sku_state(sku) == (10, 2)


def test_api_checkout_idempotency_key_header(api_client, shopper, store_a, address):
    sku = make_sku(store_a, price="5.00", stock=10)
    fill_cart(shopper, (sku, 4))
    api_client.force_authenticate(shopper)
    url = reverse("api-checkout")

    missing = api_client.post(url, {"address_id": address.pk}, format="json")
    first = api_client.post(
        url, {"address_id": address.pk}, format="json", HTTP_IDEMPOTENCY_KEY="api-key-000001"
    )
    again = api_client.post(
        url, {"address_id": address.pk}, format="json", HTTP_IDEMPOTENCY_KEY="api-key-000001"
    )

    assert missing.status_code == 400
    assert missing.json()["code"] == "orders_idempotency_key_invalid"
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert first.json()["amount"] == "20.00"
    assert first.json()["orders"][0]["lines"][0]["quantity"] == 4
    assert PaymentOrder.objects.count() == 1


def test_tampered_price_and_amount_fields_are_ignored_and_logged(
    client, shopper, store_a, address, caplog
):
    sku = make_sku(store_a, price="88.00", stock=10)
    fill_cart(shopper, (sku, 1))
    client.force_login(shopper)
    key = client.get(reverse("orders:checkout")).context["idempotency_key"]

    client.post(
        reverse("orders:checkout"),
        {
            "idempotency_key": key,
            "address": address.pk,
            "amount": "0.01",
            "unit_price": "0.01",
            "total_amount": "0.01",
            "freight_amount": "-50",
        },
    )

    payment_order = PaymentOrder.objects.get(buyer=shopper)
    assert payment_order.amount == Decimal("88.00")
    assert OrderLine.objects.get().unit_price == Decimal("88.00")
    assert "sent price fields ['amount', 'freight_amount', 'total_amount', 'unit_price']" in (
        caplog.text
    )


def test_refuses_an_empty_cart(shopper, address):
    with pytest.raises(ApplicationError) as exc:
        place(shopper, address)
    assert exc.value.code == "orders_cart_empty"
    assert PaymentOrder.objects.count() == 0


def test_refuses_another_users_address(api_client, shopper, store_a, divisions):
    sku = make_sku(store_a, stock=10)
    fill_cart(shopper, (sku, 1))
    someone_else = UserFactory()
    foreign = make_address(someone_else)
    api_client.force_authenticate(shopper)

    response = api_client.post(
        reverse("api-checkout"),
        {"address_id": foreign.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="foreign-address-1",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "orders_address_not_found"
    assert PaymentOrder.objects.count() == 0
    assert sku_state(sku) == (10, 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("off_sale", "商品已下架"),
        ("suspended", "店铺暂停营业"),
        ("inactive", "该规格已停售"),
        ("sold_out", "已售罄"),
        ("short", "库存不足，仅剩 2 件"),
    ],
)
def test_refuses_lines_that_cannot_be_bought_with_a_per_line_message(
    shopper, store_a, store_b, address, change, message
):
    # given a good line and a line that went bad after it was put in the cart
    good = make_sku(store_b, stock=10)
    bad = make_sku(store_a, stock=10)
    fill_cart(shopper, (good, 1), (bad, 3))
    if change == "off_sale":
        Product.objects.filter(pk=bad.product_id).update(status=Product.Status.OFF_SALE)
    elif change == "suspended":
        Store.objects.filter(pk=store_a.pk).update(status=Store.Status.SUSPENDED)
    elif change == "inactive":
        type(bad).objects.filter(pk=bad.pk).update(is_active=False)
    elif change == "sold_out":
        type(bad).objects.filter(pk=bad.pk).update(stock=0)
    else:
        type(bad).objects.filter(pk=bad.pk).update(stock=2)

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address)

    assert message in exc.value.message
    assert bad.product.title in exc.value.message
    assert exc.value.fields["lines"] == {str(bad.pk): message}
    assert PaymentOrder.objects.count() == 0
    assert sku_state(good) == (10, 0)
    assert CartLine.objects.filter(cart__user=shopper).count() == 2


def test_out_of_stock_has_its_own_code(shopper, store_a, address):
    sku = make_sku(store_a, stock=3)
    fill_cart(shopper, (sku, 3))
    type(sku).objects.filter(pk=sku.pk).update(reserved=1)

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address)

    assert exc.value.code == "out_of_stock"
    assert sku_state(sku) == (3, 1)


def test_refuses_an_address_the_store_does_not_deliver_to(shopper, store_a, divisions):
    sku = make_sku(store_a, stock=10)
    template = ShippingTemplate.objects.create(store=store_a, name="默认", basis="piece")
    template.rules.create(region_codes=["65"], is_excluded=True)
    xinjiang = make_address(shopper, county="650102")
    fill_cart(shopper, (sku, 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, xinjiang)

    assert exc.value.code == "orders_not_deliverable"
    assert store_a.name in exc.value.message
    assert "新疆维吾尔自治区" in exc.value.message
    assert sku_state(sku) == (10, 0)


def test_credit_is_only_for_verified_organisations_with_a_limit(shopper, store_a, address):
    sku = make_sku(store_a, stock=10)
    fill_cart(shopper, (sku, 1))

    with pytest.raises(ApplicationError) as exc:
        place(shopper, address, method="credit")

    assert exc.value.code == "orders_credit_not_allowed"
    assert PaymentOrder.objects.count() == 0


def _verified_buyer(user, credit_limit="1000.00"):
    organisation = BuyerOrganisation.objects.create(
        name="县一中食堂",
        kind="canteen",
        licence_number="91360732MA000000X1",
        contact_name="李四",
        contact_phone="13900000000",
        status=BuyerOrganisation.Status.VERIFIED,
        credit_limit=Decimal(credit_limit),
    )
    BuyerMember.objects.create(organisation=organisation, user=user)
    return organisation


def test_wholesale_buyer_gets_tier_price_and_minimum_and_can_buy_on_credit(
    shopper, store_a, store_b, address
):
    # given a verified canteen with 500 credit, SKUs with tier prices and a minimum
    organisation = _verified_buyer(shopper, credit_limit="500.00")
    rice = make_sku(store_a, price="10.00", stock=100)
    type(rice).objects.filter(pk=rice.pk).update(min_wholesale_quantity=5)
    WholesaleTier.objects.create(sku=rice, min_quantity=10, unit_price=Decimal("8.50"))
    eggs = make_sku(store_b, price="2.00", stock=100)
    fill_cart(shopper, (rice, 10), (eggs, 4))

    # when it places on credit
    payment_order = place(shopper, address, method="credit")

    # then prices are wholesale, the orders are paid on account, the credit is charged
    assert payment_order.status == PaymentOrder.Status.PAID
    assert payment_order.amount == Decimal("93.00")
    orders = list(payment_order.orders.order_by("store_id"))
    assert [o.status for o in orders] == ["paid", "paid"]
    assert all(o.is_wholesale and o.buyer_organisation_id == organisation.pk for o in orders)
    assert OrderLine.objects.get(sku=rice).unit_price == Decimal("8.50")
    assert OrderEvent.objects.filter(kind="paid", reason="账期").count() == 2
    assert sorted(CreditEntry.objects.values_list("reference", "amount")) == sorted(
        (o.number, o.total_amount) for o in orders
    )


def test_wholesale_minimum_is_enforced_and_credit_limit_refused(shopper, store_a, address):
    _verified_buyer(shopper, credit_limit="50.00")
    rice = make_sku(store_a, price="10.00", stock=100)
    type(rice).objects.filter(pk=rice.pk).update(min_wholesale_quantity=5)
    fill_cart(shopper, (rice, 3))

    with pytest.raises(ApplicationError) as below:
        place(shopper, address, method="credit")
    fill_cart(shopper, (rice, 3))  # now 6 × 10 = 60 > 50 credit
    with pytest.raises(ApplicationError) as over:
        place(shopper, address, method="credit", key="second-key-0001")

    assert "批发起订量为 5 件" in below.value.message
    assert over.value.code == "wholesale_credit_exceeded"
    assert PaymentOrder.objects.count() == 0
    assert CreditEntry.objects.count() == 0
    assert sku_state(rice) == (100, 0)


def test_order_numbers_are_time_sortable_and_unique():
    numbers = [order_number_new() for _ in range(2000)]
    # 7 random digits per millisecond: a repeat within one millisecond is rare (placing retries
    # on the unique index when it happens), so allow one rather than make the test flaky.
    assert len(set(numbers)) >= 1999
    assert all(len(n) == 22 and n.isdigit() for n in numbers)
    assert numbers[0][:12] <= numbers[-1][:12]


def test_api_checkout_answers_what_a_read_back_shows(
    api_client, shopper, store_a, store_b, address
):
    # given: a cart over two stores, so two orders with their lines
    fill_cart(
        shopper,
        (make_sku(store_a, price="5.00", stock=10), 2),
        (make_sku(store_a, price="7.50", stock=10), 1),
        (make_sku(store_b, price="12.00", stock=10), 3),
    )
    api_client.force_authenticate(shopper)

    # when: placed (answered from what checkout wrote), then read back from the database
    placed = api_client.post(
        reverse("api-checkout"),
        {"address_id": address.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="api-key-readback1",
    )
    number = placed.json()["number"]
    read_back = api_client.get(reverse("api-payment-order-detail", args=[number]))

    # then: the same document, field for field (orders newest first, lines by id)
    assert placed.status_code == 201
    assert read_back.status_code == 200
    assert placed.json() == read_back.json()
    assert [len(order["lines"]) for order in placed.json()["orders"]] == [1, 2]


CHECKOUT_QUERY_CEILING = 20  # one store, one line, through the API with a token


def test_api_checkout_keeps_its_query_ceiling(
    api_client, shopper, store_a, address, django_assert_max_num_queries
):
    # given: a shopper with an API token and a one-line cart
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=shopper)
    sku = make_sku(store_a, price="9.90", stock=5)
    fill_cart(shopper, (sku, 2))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    # when: placed through the API, token authentication included
    with django_assert_max_num_queries(CHECKOUT_QUERY_CEILING):
        response = api_client.post(
            reverse("api-checkout"),
            {"address_id": address.pk},
            format="json",
            HTTP_IDEMPOTENCY_KEY="api-key-ceiling1",
        )

    # then: placed, priced and reserved as always
    assert response.status_code == 201
    assert Decimal(response.json()["amount"]) == Decimal("19.80") + Decimal(
        response.json()["orders"][0]["freight_amount"]
    )
    assert sku_state(sku) == (5, 2)
