"""The merchant's 发货 page and parcel list in the admin: own store only, errors on the form."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.core.roles import MERCHANT, roles_sync
from apps.logistics.models import Carrier, Shipment
from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Order
from tests.logistics.conftest import paid_order
from tests.orders.conftest import make_lot, make_sku, sku_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchants(merchant_a, merchant_b):
    roles_sync()
    for user in (merchant_a, merchant_b):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=MERCHANT))
    return merchant_a, merchant_b


@pytest.fixture
def order_b(shopper, address, store_b):
    return paid_order(shopper, address, (make_sku(store_b, stock=9), 1), key="logistics-key-b001")


def ship_url(order: Order) -> str:
    return reverse("admin:logistics_shipment_ship", args=[order.pk])


def test_merchant_ships_part_of_an_own_order_with_a_chosen_lot(client, merchants, order_a, store_a):
    merchant_a, _ = merchants
    rice, oil = order_a.lines.order_by("pk")
    soon = make_lot(store_a, rice.sku, "SOON-01", expiry_days=5)
    later = make_lot(store_a, rice.sku, "LATE-01", expiry_days=40)
    client.force_login(merchant_a)

    page = client.get(ship_url(order_a))
    response = client.post(
        ship_url(order_a),
        {
            "carrier": "sf",
            "tracking_number": "sf123456789012",
            f"quantity_{rice.pk}": "2",
            f"lot_{rice.pk}": str(later.pk),
            f"quantity_{oil.pk}": "0",
        },
    )

    form = page.context["form"]
    assert page.status_code == 200
    assert form.fields[f"quantity_{rice.pk}"].initial == 3
    assert form.fields[f"lot_{rice.pk}"].initial == soon.pk
    assert [pk for pk, _label in form.fields[f"lot_{rice.pk}"].choices] == [soon.pk, later.pk]
    assert f"lot_{oil.pk}" not in form.fields  # oil has no lots
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:orders_order_change", args=[order_a.pk])
    shipment = Shipment.objects.get(order=order_a)
    assert shipment.tracking_number == "SF123456789012"
    assert [(sl.order_line_id, sl.quantity, sl.lot_id) for sl in shipment.lines.all()] == [
        (rice.pk, 2, later.pk)
    ]
    order_a.refresh_from_db()
    assert order_a.status == Order.Status.PAID
    # the page now offers the one rice piece left and the oil
    again = client.get(ship_url(order_a)).context["form"]
    assert again.fields[f"quantity_{rice.pk}"].initial == 1
    assert again.fields[f"quantity_{oil.pk}"].initial == 2


def test_errors_of_the_service_are_shown_on_the_form(
    client, merchants, order_a, store_a, shopper, address
):
    merchant_a, _ = merchants
    rice, oil = order_a.lines.order_by("pk")
    other = paid_order(shopper, address, (make_sku(store_a), 1), key="logistics-key-0002")
    shipment_create(
        order=other, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
    )
    client.force_login(merchant_a)

    malformed = client.post(
        ship_url(order_a),
        {
            "carrier": "sf",
            "tracking_number": "SF12",
            f"quantity_{rice.pk}": "3",
            f"quantity_{oil.pk}": "2",
        },
    )
    duplicate = client.post(
        ship_url(order_a),
        {
            "carrier": "sf",
            "tracking_number": "SF123456789012",
            f"quantity_{rice.pk}": "3",
            f"quantity_{oil.pk}": "2",
        },
    )
    too_many = client.post(
        ship_url(order_a),
        {
            "carrier": "sf",
            "tracking_number": "SF123456789013",
            f"quantity_{rice.pk}": "4",
            f"quantity_{oil.pk}": "2",
        },
    )
    nothing = client.post(
        ship_url(order_a),
        {
            "carrier": "sf",
            "tracking_number": "SF123456789013",
            f"quantity_{rice.pk}": "0",
            f"quantity_{oil.pk}": "0",
        },
    )
    unknown = client.post(
        ship_url(order_a),
        {
            "carrier": "dhl",
            "tracking_number": "SF123456789013",
            f"quantity_{rice.pk}": "1",
            f"quantity_{oil.pk}": "0",
        },
    )

    assert malformed.status_code == 200
    assert malformed.context["form"].errors == {
        "tracking_number": ["运单号 SF12 不符合顺丰速运的单号格式。"]
    }
    assert duplicate.context["form"].errors == {
        "tracking_number": ["顺丰速运运单号 SF123456789012 已被其他包裹使用。"]
    }
    assert too_many.context["form"].errors[f"quantity_{rice.pk}"] == ["确保该值小于或等于3。"]
    assert nothing.context["form"].errors == {"__all__": ["订单没有待发货的商品。"]}
    assert list(unknown.context["form"].errors) == ["carrier"]
    assert not Shipment.objects.filter(order=order_a).exists()
    assert sku_state(rice.sku) == (50, 3)


def test_another_stores_order_is_not_found(client, merchants, order_b):
    merchant_a, _ = merchants
    client.force_login(merchant_a)
    line = order_b.lines.get()

    page = client.get(ship_url(order_b))
    posted = client.post(
        ship_url(order_b),
        {"carrier": "sf", "tracking_number": "SF123456789012", f"quantity_{line.pk}": "1"},
    )

    assert (page.status_code, posted.status_code) == (404, 404)
    order_b.refresh_from_db()
    assert order_b.status == Order.Status.PAID
    assert not Shipment.objects.exists()


def test_parcel_list_and_page_are_store_scoped(client, merchants, order_a, order_b):
    merchant_a, merchant_b = merchants
    own = shipment_create(
        order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
    )
    theirs = shipment_create(
        order=order_b, actor=merchant_b, carrier_code="zto", tracking_number="731234567890"
    )
    client.force_login(merchant_a)

    listing = client.get(reverse("admin:logistics_shipment_changelist")).content.decode()
    searched = client.get(
        reverse("admin:logistics_shipment_changelist"), {"q": order_a.number}
    ).context["cl"]
    own_page = client.get(reverse("admin:logistics_shipment_change", args=[own.pk]))
    foreign_page = client.get(reverse("admin:logistics_shipment_change", args=[theirs.pk]))

    assert own.tracking_number in listing
    assert theirs.tracking_number not in listing
    assert [s.pk for s in searched.result_list] == [own.pk]
    assert own_page.status_code == 200
    assert "包裹记录" in own_page.content.decode()
    assert reverse("logistics:tracking_add", args=[own.pk]) in own_page.content.decode()
    assert reverse("logistics:tracking_import") in listing
    assert foreign_page.status_code == 404


def test_order_change_page_links_to_the_ship_page_only_while_paid(client, merchants, order_a):
    merchant_a, _ = merchants
    client.force_login(merchant_a)
    change = reverse("admin:orders_order_change", args=[order_a.pk])

    before = client.get(change).content.decode()
    shipment_create(
        order=order_a, actor=merchant_a, carrier_code="sf", tracking_number="SF123456789012"
    )
    after = client.get(change).content.decode()

    assert ship_url(order_a) in before
    assert ship_url(order_a) not in after


def test_carriers_are_edited_by_staff_only(client, merchants, staff):
    merchant_a, _ = merchants
    carrier = Carrier.objects.get(code="yto")
    url = reverse("admin:logistics_carrier_change", args=[carrier.pk])

    client.force_login(merchant_a)
    merchant_view = client.get(url)
    client.force_login(staff)
    bad = client.post(url, {**_carrier_data(carrier), "tracking_pattern": "YT[0-9"})
    good = client.post(url, {**_carrier_data(carrier), "tracking_pattern": r"YT\d{13,18}"})

    assert merchant_view.status_code == 403
    assert "tracking_pattern" in bad.context["adminform"].form.errors
    assert good.status_code == 302
    carrier.refresh_from_db()
    assert carrier.tracking_pattern == r"YT\d{13,18}"


def _carrier_data(carrier: Carrier) -> dict:
    return {
        "code": carrier.code,
        "name": carrier.name,
        "tracking_pattern": carrier.tracking_pattern,
        "is_cold_chain": "",
        "is_own_fleet": "",
        "kuaidi100_code": carrier.kuaidi100_code,
        "is_active": "on",
        "sort_order": carrier.sort_order,
    }
