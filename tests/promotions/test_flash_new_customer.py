"""Limited-time prices (promo stock, per-user limit, the price returning by itself) and
new-customer offers, through the real cart and checkout."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.orders.models import OrderLine
from apps.orders.services.lifecycle import order_cancel, payment_order_mark_paid
from apps.promotions.models import FlashPrice, FlashPurchase
from apps.promotions.rules import DiscountPlan, PromoDiscount
from apps.promotions.services import discounts_take
from tests.orders.conftest import fill_cart, make_sku, place
from tests.promotions.helpers import give_coupon, make_coupon, make_flash

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def flash_sku(store_a):
    sku = make_sku(store_a, price="10.00", stock=100)
    flash = make_flash(sku, price="7.50", promo_stock=5, per_user_limit=2)
    return sku, flash


def test_a_flash_price_applies_to_the_pieces_allowed_and_is_taken_with_the_order(
    shopper, address, flash_sku
):
    # given 3 in the cart and a limit of 2 per shopper at 7.50
    sku, flash = flash_sku
    fill_cart(shopper, (sku, 3))

    payment_order = place(shopper, address, key="flash-take-0001")

    # then 2 pieces at 7.50 (5.00 off) and one at 10.00; the promo stock counts 2
    line = OrderLine.objects.get(order__payment_order=payment_order)
    assert (line.line_amount, line.discount_amount, line.paid_amount) == (
        D("30.00"),
        D("5.00"),
        D("25.00"),
    )
    assert line.discounts.get().funder == f"store:{sku.product.store_id}"
    flash.refresh_from_db()
    assert flash.sold == 2
    assert FlashPurchase.objects.get().quantity == 2


def test_the_per_user_limit_holds_across_checkouts_and_a_cancel_gives_it_back(
    shopper, address, flash_sku
):
    sku, flash = flash_sku
    fill_cart(shopper, (sku, 2))
    first = place(shopper, address, key="flash-first-001")
    payment_order_mark_paid(payment_order=first, paid_at=timezone.now())
    fill_cart(shopper, (sku, 1))

    second = place(shopper, address, key="flash-second-01")

    line = OrderLine.objects.get(order__payment_order=second)
    assert line.discount_amount == D("0.00")  # the limit of 2 is used up
    flash.refresh_from_db()
    assert flash.sold == 2

    # a cancelled unpaid checkout gives its flash pieces back
    fill_cart(shopper, (sku, 1))
    FlashPurchase.objects.update(is_returned=True)  # as if the first had been cancelled
    FlashPrice.objects.filter(pk=flash.pk).update(sold=0)
    third = place(shopper, address, key="flash-third-001")
    flash.refresh_from_db()
    assert flash.sold == 1
    order_cancel(order=third.orders.get(), actor=shopper)
    flash.refresh_from_db()
    assert flash.sold == 0


def test_the_price_returns_by_itself_when_the_window_ends(client, shopper, flash_sku):
    sku, flash = flash_sku
    fill_cart(shopper, (sku, 1))
    client.force_login(shopper)
    during = client.get(reverse("orders:cart")).context["summary"]

    FlashPrice.objects.filter(pk=flash.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    after = client.get(reverse("orders:cart")).context["summary"]

    assert (during.discount_amount, during.total_amount) == (D("2.50"), D("7.50"))
    assert (after.discount_amount, after.total_amount) == (D("0.00"), D("10.00"))


def test_the_product_page_shows_the_flash_price_with_a_countdown(client, flash_sku):
    sku, _flash = flash_sku

    page = client.get(sku.product.get_absolute_url()).content.decode()

    assert "限时价" in page
    assert "¥7.50" in page
    assert "data-countdown" in page
    assert "每人限购 2 件" in page


def test_taking_a_flash_price_sold_out_meanwhile_refuses(shopper, flash_sku):
    _sku, flash = flash_sku
    FlashPrice.objects.filter(pk=flash.pk).update(sold=4)
    plan = DiscountPlan(
        discounts=(
            PromoDiscount(
                code=f"flash:{flash.pk}",
                funder="store:1",
                amount=D("5.00"),
                line_keys=frozenset({1}),
                flash_id=flash.pk,
                flash_quantity=2,
            ),
        )
    )

    with pytest.raises(ApplicationError) as refused:
        discounts_take(user=shopper, plan=plan, reference="X1")

    assert refused.value.code == "promotions_flash_sold_out"
    flash.refresh_from_db()
    assert flash.sold == 4


def test_using_a_coupon_already_used_refuses(shopper):
    holding = give_coupon(shopper, make_coupon())
    plan = DiscountPlan(
        discounts=(
            PromoDiscount(
                code="coupon:1",
                funder="platform",
                amount=D("10.00"),
                line_keys=None,
                user_coupon_id=holding.pk,
            ),
        )
    )
    discounts_take(user=shopper, plan=plan, reference="FIRST")

    with pytest.raises(ApplicationError) as refused:
        discounts_take(user=shopper, plan=plan, reference="SECOND")

    assert refused.value.code == "promotions_coupon_taken"
    holding.refresh_from_db()
    assert holding.used_reference == "FIRST"


def test_a_new_customer_coupon_applies_only_before_the_first_paid_order(
    client, shopper, address, store_a
):
    # given a first-order coupon (新客专享) held by the shopper
    sku = make_sku(store_a, price="30.00", stock=10)
    give_coupon(shopper, make_coupon(name="新客立减", amount="8.00", is_new_customer_only=True))
    fill_cart(shopper, (sku, 1))
    client.force_login(shopper)
    first_cart = client.get(reverse("orders:cart")).context["summary"]

    # when the shopper has paid an order (without the coupon)
    paid = place(shopper, address, key="newcust-first-1", coupon_ids=[])
    payment_order_mark_paid(payment_order=paid, paid_at=timezone.now())
    fill_cart(shopper, (sku, 1))
    later_cart = client.get(reverse("orders:cart")).context["summary"]

    # then the coupon applied before and no longer does
    assert first_cart.discount_amount == D("8.00")
    assert later_cart.discount_amount == D("0.00")
    assert later_cart.discount_plan.coupon_options == ()
