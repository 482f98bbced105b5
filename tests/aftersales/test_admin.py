"""Back office: merchants handle their own store's after-sales and reviews, staff arbitrate."""

from decimal import Decimal

import pytest
from django.contrib.admin import ActionLocation
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from apps.aftersales.models import AfterSale, Review
from apps.aftersales.services import (
    aftersale_approve,
    aftersale_create,
    aftersale_escalate,
    aftersale_reject,
    review_create,
)
from apps.payments.models import Refund
from tests.aftersales.conftest import lines_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/aftersales/aftersale/"
REVIEWS = "/admin/aftersales/review/"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def requested(order, line, quantity=1, type="refund_only") -> AfterSale:
    return aftersale_create(
        buyer=order.buyer, order=order, type=type, reason="quality", lines={line.pk: quantity}
    )


def action(client, url, name, objects, **data):
    return client.post(
        url,
        {"action": name, ACTION_CHECKBOX_NAME: [o.pk for o in objects], "index": 0, **data},
    )


def test_merchant_sees_only_their_stores_after_sales(
    make_order, merchant_a, merchant_b, orange, other_shopper, django_assert_max_num_queries
):
    from tests.aftersales.conftest import pay, place, ship

    ours = make_order("shipped")
    mine = requested(ours, lines_of(ours)[0])
    # an order of store B, by another shopper
    payment_order = place(other_shopper, [(orange.skus.get(), 1)])
    pay(payment_order)
    theirs_order = payment_order.orders.get()
    ship(theirs_order, merchant_b)
    theirs = requested(theirs_order, theirs_order.lines.get())

    client = login(merchant_a)
    with django_assert_max_num_queries(20):
        page = client.get(CHANGELIST)
    other = client.get(f"{CHANGELIST}{theirs.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert mine.number in html
    assert theirs.number not in html
    assert other.status_code == 404
    assert login(merchant_b).get(f"{CHANGELIST}{mine.pk}/change/").status_code == 404


def test_merchant_approves_from_the_changelist(shipped_order, merchant_a):
    small, _ = lines_of(shipped_order)
    aftersale = requested(shipped_order, small, 2)
    client = login(merchant_a)

    form_page = action(client, CHANGELIST, "approve_aftersales", [aftersale])
    done = action(
        client, CHANGELIST, "approve_aftersales", [aftersale], apply="1", amount="", note=""
    )

    assert form_page.status_code == 200
    assert "同意退款金额" in form_page.content.decode()
    assert done.status_code == 302
    aftersale.refresh_from_db()
    assert aftersale.status == "refunded"
    assert Refund.objects.get().amount == Decimal("119.80")


def test_reject_needs_a_reason_in_the_admin(shipped_order, merchant_a):
    small, _ = lines_of(shipped_order)
    aftersale = requested(shipped_order, small)
    client = login(merchant_a)

    empty = action(client, CHANGELIST, "reject_aftersales", [aftersale], apply="1", reason="")
    aftersale.refresh_from_db()
    assert empty.status_code == 200  # the form again, with its error
    assert aftersale.status == "requested"

    done = action(
        client, CHANGELIST, "reject_aftersales", [aftersale], apply="1", reason="已超过售后期"
    )

    assert done.status_code == 302
    aftersale.refresh_from_db()
    assert (aftersale.status, aftersale.reject_reason) == ("rejected", "已超过售后期")


def test_received_from_the_change_form_restocks(shipped_order, merchant_a, shopper):
    from apps.aftersales.services import aftersale_ship_back

    small, _ = lines_of(shipped_order)
    aftersale = requested(shipped_order, small, 1, type="return_and_refund")
    aftersale_approve(aftersale=aftersale, actor=merchant_a)
    aftersale_ship_back(
        aftersale=aftersale, actor=shopper, carrier_name="顺丰", tracking_number="SF00998877"
    )
    stock_before = small.sku.__class__.objects.get(pk=small.sku_id).stock
    url = f"{CHANGELIST}{aftersale.pk}/change/"
    client = login(merchant_a)

    page = client.get(url)
    response = client.post(
        url,
        {
            f"{ActionLocation.CHANGE_FORM.value}-action": "mark_received",
            ACTION_CHECKBOX_NAME: [aftersale.pk],
        },
    )

    assert "确认收到退货并退款" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()  # nothing is edited in place
    assert response.status_code == 302
    aftersale.refresh_from_db()
    assert aftersale.status == "refunded"
    assert small.sku.__class__.objects.get(pk=small.sku_id).stock == stock_before + 1


def test_merchant_b_cannot_act_on_store_a_through_actions(shipped_order, merchant_b):
    small, _ = lines_of(shipped_order)
    aftersale = requested(shipped_order, small)

    response = action(
        login(merchant_b),
        CHANGELIST,
        "approve_aftersales",
        [aftersale],
        apply="1",
        amount="",
        note="",
    )

    # the scoped queryset drops the foreign id: nothing selected, nothing changed
    assert response.status_code in (200, 302)
    aftersale.refresh_from_db()
    assert aftersale.status == "requested"
    assert Refund.objects.count() == 0


def test_staff_arbitrate_a_dispute_merchants_cannot(shipped_order, merchant_a, shopper, staff):
    small, _ = lines_of(shipped_order)
    aftersale = requested(shipped_order, small)
    aftersale_reject(aftersale=aftersale, actor=merchant_a, reason="不支持")
    aftersale_escalate(aftersale=aftersale, actor=shopper, reason="请平台评理")

    merchant_page = login(merchant_a).get(f"{CHANGELIST}{aftersale.pk}/change/")
    merchant_try = action(
        login(merchant_a),
        CHANGELIST,
        "arbitrate_aftersales",
        [aftersale],
        apply="1",
        decision="approve",
        reason="我说了算",
    )
    aftersale.refresh_from_db()
    assert "平台仲裁" not in merchant_page.content.decode()
    assert merchant_try.status_code == 302  # an action they do not have: "no action selected"
    assert aftersale.status == "disputed"

    staff_client = login(staff)
    listing = staff_client.get(f"{CHANGELIST}?status__exact=disputed")
    done = action(
        staff_client,
        CHANGELIST,
        "arbitrate_aftersales",
        [aftersale],
        apply="1",
        decision="approve",
        reason="凭证充分",
        amount="",
    )

    assert aftersale.number in listing.content.decode()
    assert done.status_code == 302
    aftersale.refresh_from_db()
    assert (aftersale.status, aftersale.is_arbitrated) == ("refunded", True)


def test_merchant_replies_to_a_review_once_in_the_admin(completed_order, merchant_a, merchant_b):
    small, _ = lines_of(completed_order)
    review = review_create(buyer=completed_order.buyer, order_line=small, rating=2, text="偏干")
    client = login(merchant_a)

    assert review.product.title in client.get(REVIEWS).content.decode()
    assert login(merchant_b).get(f"{REVIEWS}{review.pk}/change/").status_code == 404
    first = action(client, REVIEWS, "reply_reviews", [review], apply="1", text="已反馈仓库")
    second = action(client, REVIEWS, "reply_reviews", [review], apply="1", text="第二次")

    assert first.status_code == 302
    assert second.status_code == 302
    review.refresh_from_db()
    assert review.reply_text == "已反馈仓库"
    messages = [m.message for m in second.wsgi_request._messages]
    assert any("每条评价只能回复一次" in m for m in messages)


def test_only_staff_hide_reviews(completed_order, merchant_a, staff):
    small, _ = lines_of(completed_order)
    review = review_create(buyer=completed_order.buyer, order_line=small, rating=1, text="广告")

    action(login(merchant_a), REVIEWS, "hide_reviews", [review])
    assert Review.objects.get(pk=review.pk).is_visible is True

    action(login(staff), REVIEWS, "hide_reviews", [review])
    assert Review.objects.get(pk=review.pk).is_visible is False
