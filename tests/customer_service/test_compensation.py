"""Compensation on a case: a coupon issued through the promotions services (counted against the
coupon's quantity and per-user limit, never money edited here) and a partial refund through an
after-sale, both from the back office's case page."""

import pytest

from apps.catalog.models import Sku
from apps.core.errors import ApplicationError
from apps.customer_service.models import Case
from apps.customer_service.services import case_compensate_coupon
from apps.promotions.models import Coupon, UserCoupon
from tests.customer_service.conftest import open_case
from tests.promotions.helpers import make_coupon

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_coupon(db):
    return make_coupon(name="客服补偿券", amount="10.00", distribution=Coupon.Distribution.SEND)


def test_a_coupon_is_issued_through_promotions(shopper, agent, store_a, sent_coupon):
    case = open_case(shopper, store=store_a)

    held = case_compensate_coupon(case=case, actor=agent, coupon=sent_coupon, note="致歉")

    case.refresh_from_db()
    sent_coupon.refresh_from_db()
    assert (held.user, held.coupon, held.source, held.status) == (
        shopper,
        sent_coupon,
        "send",
        "available",
    )
    assert sent_coupon.issued_count == 1
    assert case.compensation == "优惠券「客服补偿券」"
    event = case.events.get(kind="compensation")
    assert (event.actor, event.payload["user_coupon"]) == (agent, held.pk)
    assert shopper.notifications.filter(title__contains="客服补偿券").exists()

    # the coupon's per-user limit (1) holds: a second one is refused, nothing changes
    with pytest.raises(ApplicationError) as refused:
        case_compensate_coupon(case=case, actor=agent, coupon=sent_coupon)
    assert refused.value.status_code == 409
    sent_coupon.refresh_from_db()
    assert sent_coupon.issued_count == 1
    assert case.events.filter(kind="compensation").count() == 1


def test_only_sent_coupons_of_the_platform_or_the_cases_store(shopper, agent, store_a, store_b):
    case = open_case(shopper, store=store_a)
    claimable = make_coupon(name="领券中心券")  # distribution claim
    other_store = make_coupon(name="别家店券", store=store_b, distribution=Coupon.Distribution.SEND)
    own_store = make_coupon(name="本店券", store=store_a, distribution=Coupon.Distribution.SEND)

    for coupon in (claimable, other_store):
        with pytest.raises(ApplicationError):
            case_compensate_coupon(case=case, actor=agent, coupon=coupon)
    assert not UserCoupon.objects.exists()
    case_compensate_coupon(case=case, actor=agent, coupon=own_store)
    assert UserCoupon.objects.get().coupon == own_store


def test_exhausted_coupon_anonymous_case_and_a_merchant_are_refused(
    shopper, agent, merchant_a, store_a, sent_coupon
):
    case = open_case(shopper, store=store_a)
    anonymous = open_case(None, store=store_a)
    with pytest.raises(ApplicationError):
        case_compensate_coupon(case=anonymous, actor=agent, coupon=sent_coupon)
    with pytest.raises(ApplicationError) as not_staff:
        case_compensate_coupon(case=case, actor=merchant_a, coupon=sent_coupon)
    assert not_staff.value.status_code == 403

    Coupon.objects.filter(pk=sent_coupon.pk).update(total_quantity=0)
    sent_coupon.refresh_from_db()
    with pytest.raises(ApplicationError) as exhausted:
        case_compensate_coupon(case=case, actor=agent, coupon=sent_coupon)
    assert exhausted.value.status_code == 409
    case.refresh_from_db()
    assert case.compensation == ""
    assert not UserCoupon.objects.exists()
    assert not case.events.filter(kind="compensation").exists()


def test_coupon_and_refund_from_the_case_page(client, settings, shopper, agent, store_a):
    from apps.aftersales.models import AfterSale
    from tests.aftersales.conftest import SECRET, pay, place
    from tests.factories import ProductFactory

    settings.PAYMENT_SANDBOX_SECRET = SECRET
    settings.SITE_URL = "http://testserver"
    product = ProductFactory(store=store_a, skus=[{"spec": "5kg", "price": "59.90"}])
    payment_order = place(shopper, [(Sku.objects.get(product=product), 2)])
    pay(payment_order)
    line = payment_order.orders.get().lines.get()
    case = open_case(shopper, order_line=line)
    coupon = make_coupon(name="平台补偿券", distribution=Coupon.Distribution.SEND)
    make_coupon(name="领券中心券")
    client.force_login(agent)

    page = client.get(f"/service/cases/{case.number}/").content.decode()
    assert 'id="move-coupon"' in page
    assert 'id="move-refund"' in page
    assert "平台补偿券" in page
    assert "领券中心券" not in page  # only sent coupons are offered

    assert (
        client.post(f"/service/cases/{case.number}/do/coupon/", {"coupon": coupon.pk}).status_code
        == 302
    )
    too_much = client.post(
        f"/service/cases/{case.number}/do/refund/", {"amount": "500.00", "quantity": 1}
    )
    assert too_much.status_code == 400
    assert not AfterSale.objects.exists()
    refund = client.post(
        f"/service/cases/{case.number}/do/refund/", {"amount": "10.00", "quantity": 1}
    )
    assert refund.status_code == 302

    case.refresh_from_db()
    aftersale = AfterSale.objects.get()
    assert (aftersale.buyer, str(aftersale.amount_requested)) == (shopper, "10.00")
    assert case.aftersale == aftersale
    assert UserCoupon.objects.get(user=shopper).coupon == coupon
    assert list(case.events.filter(kind="compensation").values_list("actor", flat=True)) == [
        agent.pk,
        agent.pk,
    ]
    assert case.status == Case.Status.NEW  # compensation is not a move
