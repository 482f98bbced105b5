"""After-sale states, refunds through payments, stock on returns, disputes and idempotency."""

from decimal import Decimal

import pytest

from apps.accounts.models import Notification
from apps.aftersales.errors import AfterSaleErrorCode
from apps.aftersales.models import AfterSale, AfterSaleLine
from apps.aftersales.services import (
    aftersale_approve,
    aftersale_arbitrate,
    aftersale_create,
    aftersale_escalate,
    aftersale_mark_received,
    aftersale_refund_retry,
    aftersale_refund_succeeded,
    aftersale_reject,
    aftersale_ship_back,
    aftersale_withdraw,
)
from apps.catalog.models import Sku
from apps.core.errors import ApplicationError, NotFoundError
from apps.orders.models import Order, OrderEvent
from apps.payments.models import Refund
from apps.payments.providers.base import RefundResult
from apps.payments.providers.sandbox import SandboxProvider
from apps.payments.signals import refund_succeeded
from apps.wholesale.models import CreditEntry
from tests.aftersales.conftest import lines_of, place
from tests.wholesale.helpers import make_organisation

pytestmark = pytest.mark.django_db

Status = AfterSale.Status


def request(order, lines, *, type=AfterSale.Type.REFUND_ONLY, **kwargs) -> AfterSale:
    return aftersale_create(
        buyer=order.buyer, order=order, type=type, reason="damaged", lines=lines, **kwargs
    )


def stock(sku_id: int) -> tuple[int, int]:
    sku = Sku.objects.get(pk=sku_id)
    return sku.stock, sku.reserved


def snapshot(aftersale: AfterSale) -> tuple:
    aftersale.refresh_from_db()
    return (
        aftersale.status,
        aftersale.amount_approved,
        aftersale.reject_reason,
        aftersale.refund_started_at,
        aftersale.events.count(),
    )


def refused(code, call, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        call(**kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# --- refund only --------------------------------------------------------------------------


def test_approved_refund_only_is_refunded_through_payments_without_restock(
    shipped_order, merchant_a
):
    # given a request for 2 of the 3 small bags of a shipped order
    small, _ = lines_of(shipped_order)
    before = stock(small.sku_id)
    aftersale = request(shipped_order, {small.pk: 2})

    # when the merchant approves it
    aftersale = aftersale_approve(aftersale=aftersale, actor=merchant_a)

    # then payments refunded 119.80 under the after-sale's reference …
    refund = Refund.objects.get()
    assert (refund.reference, refund.amount, refund.status) == (
        f"aftersale:{aftersale.pk}",
        Decimal("119.80"),
        Refund.Status.SUCCEEDED,
    )
    # … the after-sale is refunded, the order books it, and no stock came back
    assert aftersale.status == Status.REFUNDED
    assert aftersale.refunded_at is not None
    shipped_order.refresh_from_db()
    small.refresh_from_db()
    assert shipped_order.refunded_amount == Decimal("119.80")
    assert (small.refunded_quantity, small.refunded_amount) == (2, Decimal("119.80"))
    assert stock(small.sku_id) == before
    assert list(aftersale.events.values_list("from_status", "to_status")) == [
        ("", "requested"),
        ("requested", "approved"),
        ("approved", "refunded"),
    ]
    assert not AfterSaleLine.objects.filter(aftersale=aftersale, is_open=True).exists()


def test_full_refund_before_shipping_releases_the_reservation(paid_order, merchant_a):
    small, large = lines_of(paid_order)
    small_before, large_before = stock(small.sku_id), stock(large.sku_id)
    aftersale = request(paid_order, {small.pk: 3, large.pk: 2})

    aftersale_approve(aftersale=aftersale, actor=merchant_a)

    paid_order.refresh_from_db()
    assert paid_order.refunded_amount == paid_order.total_amount == Decimal("399.50")
    assert paid_order.status == Order.Status.CANCELLED  # orders closes a fully refunded order
    # the goods never left: the reservation is released, the shelf stock is unchanged
    assert stock(small.sku_id) == (small_before[0], small_before[1] - 3)
    assert stock(large.sku_id) == (large_before[0], large_before[1] - 2)


def test_merchant_may_approve_a_lower_amount(shipped_order, merchant_a):
    small, large = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1, large.pk: 1})

    aftersale = aftersale_approve(aftersale=aftersale, actor=merchant_a, amount="50.00")

    assert aftersale.amount_approved == Decimal("50.00")
    assert Refund.objects.get().amount == Decimal("50.00")
    assert sum(aftersale.lines.values_list("amount", flat=True)) == Decimal("50.00")
    shipped_order.refresh_from_db()
    assert shipped_order.refunded_amount == Decimal("50.00")


def test_merchant_cannot_approve_more_than_requested(shipped_order, merchant_a):
    small, _ = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1})
    before = snapshot(aftersale)

    refused(
        AfterSaleErrorCode.AMOUNT_EXCEEDED,
        aftersale_approve,
        aftersale=aftersale,
        actor=merchant_a,
        amount="59.91",
    )

    assert snapshot(aftersale) == before
    assert Refund.objects.count() == 0


# --- return and refund --------------------------------------------------------------------


def test_return_and_refund_restocks_when_the_merchant_received_the_goods(
    shipped_order, merchant_a, shopper
):
    small, _ = lines_of(shipped_order)
    before = stock(small.sku_id)
    aftersale = request(shipped_order, {small.pk: 2}, type=AfterSale.Type.RETURN_AND_REFUND)

    # approved: no refund yet, the buyer must send the goods back
    aftersale = aftersale_approve(aftersale=aftersale, actor=merchant_a)
    assert aftersale.status == Status.APPROVED
    assert Refund.objects.count() == 0

    aftersale = aftersale_ship_back(
        aftersale=aftersale, actor=shopper, carrier_name="中通快递", tracking_number="zt-7788990011"
    )
    assert aftersale.status == Status.RETURNED
    assert aftersale.return_tracking_number == "ZT-7788990011"
    assert Refund.objects.count() == 0
    assert stock(small.sku_id) == before

    aftersale = aftersale_mark_received(aftersale=aftersale, actor=merchant_a)

    assert aftersale.status == Status.REFUNDED
    assert Refund.objects.get().amount == Decimal("119.80")
    assert stock(small.sku_id) == (before[0] + 2, before[1])
    assert list(aftersale.events.values_list("to_status", flat=True)) == [
        "requested",
        "approved",
        "returned",
        "received",
        "refunded",
    ]


def test_tracking_number_is_checked(shipped_order, merchant_a, shopper):
    small, _ = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1}, type=AfterSale.Type.RETURN_AND_REFUND)
    aftersale_approve(aftersale=aftersale, actor=merchant_a)
    before = snapshot(aftersale)

    refused(
        AfterSaleErrorCode.TRACKING_REQUIRED,
        aftersale_ship_back,
        aftersale=aftersale,
        actor=shopper,
        carrier_name="中通快递",
        tracking_number="12 34",
    )
    refused(
        AfterSaleErrorCode.TRACKING_REQUIRED,
        aftersale_ship_back,
        aftersale=aftersale,
        actor=shopper,
        carrier_name=" ",
        tracking_number="ZT7788990011",
    )

    assert snapshot(aftersale) == before


# --- disallowed moves ---------------------------------------------------------------------


def test_disallowed_moves_raise_and_change_nothing(shipped_order, merchant_a, shopper):
    small, large = lines_of(shipped_order)
    refund_only = request(shipped_order, {small.pk: 1})
    a_return = request(shipped_order, {large.pk: 1}, type=AfterSale.Type.RETURN_AND_REFUND)
    before = (snapshot(refund_only), snapshot(a_return))

    # a refund only has nothing to ship back
    refused(
        AfterSaleErrorCode.NOT_A_RETURN,
        aftersale_ship_back,
        aftersale=refund_only,
        actor=shopper,
        carrier_name="顺丰",
        tracking_number="SF000111222",
    )
    # nothing can be received before it was approved and sent back
    refused(
        AfterSaleErrorCode.INVALID_TRANSITION,
        aftersale_mark_received,
        aftersale=a_return,
        actor=merchant_a,
    )
    refused(
        AfterSaleErrorCode.INVALID_TRANSITION,
        aftersale_ship_back,
        aftersale=a_return,
        actor=shopper,
        carrier_name="顺丰",
        tracking_number="SF000111222",
    )
    # only a rejection can be escalated; only a dispute can be arbitrated
    refused(
        AfterSaleErrorCode.INVALID_TRANSITION,
        aftersale_escalate,
        aftersale=a_return,
        actor=shopper,
        reason="等太久了",
    )

    assert (snapshot(refund_only), snapshot(a_return)) == before


def test_approving_twice_or_after_rejection_is_refused(shipped_order, merchant_a):
    small, large = lines_of(shipped_order)
    approved = aftersale_approve(aftersale=request(shipped_order, {small.pk: 1}), actor=merchant_a)
    rejected = aftersale_reject(
        aftersale=request(shipped_order, {large.pk: 1}), actor=merchant_a, reason="已过售后期"
    )
    before = (snapshot(approved), snapshot(rejected))

    for aftersale in (approved, rejected):
        refused(
            AfterSaleErrorCode.INVALID_TRANSITION,
            aftersale_approve,
            aftersale=aftersale,
            actor=merchant_a,
        )
        refused(
            AfterSaleErrorCode.INVALID_TRANSITION,
            aftersale_reject,
            aftersale=aftersale,
            actor=merchant_a,
            reason="再次拒绝",
        )

    assert (snapshot(approved), snapshot(rejected)) == before
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_needs_a_reason(shipped_order, merchant_a, reason):
    small, _ = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1})
    before = snapshot(aftersale)

    error = refused(
        AfterSaleErrorCode.REASON_REQUIRED,
        aftersale_reject,
        aftersale=aftersale,
        actor=merchant_a,
        reason=reason,
    )

    assert error.fields == {"reason": ["请填写拒绝原因。"]}
    assert snapshot(aftersale) == before


def test_a_refund_in_progress_cannot_be_withdrawn(shipped_order, merchant_a, shopper, monkeypatch):
    monkeypatch.setattr(
        SandboxProvider,
        "refund",
        lambda self, payment, refund: RefundResult(succeeded=False, error="gateway down"),
    )
    small, _ = lines_of(shipped_order)
    aftersale = aftersale_approve(aftersale=request(shipped_order, {small.pk: 1}), actor=merchant_a)
    assert aftersale.status == Status.APPROVED
    assert aftersale.is_refunding
    before = snapshot(aftersale)

    refused(
        AfterSaleErrorCode.INVALID_TRANSITION,
        aftersale_withdraw,
        aftersale=aftersale,
        actor=shopper,
    )

    assert snapshot(aftersale) == before


def test_a_failed_refund_waits_for_staff_to_retry(shipped_order, merchant_a, staff, monkeypatch):
    # given the provider fails the first refund
    monkeypatch.setattr(
        SandboxProvider,
        "refund",
        lambda self, payment, refund: RefundResult(succeeded=False, error="gateway down"),
    )
    small, _ = lines_of(shipped_order)
    aftersale = aftersale_approve(aftersale=request(shipped_order, {small.pk: 1}), actor=merchant_a)
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert aftersale.status == Status.APPROVED
    assert Notification.objects.filter(user=staff, title__contains="退款失败").count() == 1
    shipped_order.refresh_from_db()
    assert shipped_order.refunded_amount == Decimal("0.00")
    # a merchant cannot retry it
    refused(
        AfterSaleErrorCode.NOT_ALLOWED,
        aftersale_refund_retry,
        aftersale=aftersale,
        actor=merchant_a,
    )

    # when the provider is back and staff retry
    monkeypatch.undo()
    aftersale = aftersale_refund_retry(aftersale=aftersale, actor=staff)

    # then the same refund (same reference, one row) succeeds and is booked once
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    assert aftersale.status == Status.REFUNDED
    shipped_order.refresh_from_db()
    assert shipped_order.refunded_amount == Decimal("59.90")


# --- withdraw -----------------------------------------------------------------------------


def test_buyer_withdraws_a_request_or_an_unsent_return(shipped_order, merchant_a, shopper):
    small, large = lines_of(shipped_order)
    first = aftersale_withdraw(aftersale=request(shipped_order, {small.pk: 1}), actor=shopper)
    a_return = request(shipped_order, {large.pk: 1}, type=AfterSale.Type.RETURN_AND_REFUND)
    aftersale_approve(aftersale=a_return, actor=merchant_a)

    second = aftersale_withdraw(aftersale=a_return, actor=shopper)

    assert (first.status, second.status) == (Status.WITHDRAWN, Status.WITHDRAWN)
    assert not AfterSaleLine.objects.filter(is_open=True).exists()
    assert Refund.objects.count() == 0


# --- disputes -----------------------------------------------------------------------------


def test_dispute_decided_for_the_buyer_refunds(shipped_order, merchant_a, shopper, staff):
    small, _ = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1})
    aftersale_reject(aftersale=aftersale, actor=merchant_a, reason="图片看不出问题")

    aftersale = aftersale_escalate(aftersale=aftersale, actor=shopper, reason="大米发霉了")
    assert aftersale.status == Status.DISPUTED
    assert Notification.objects.filter(user=staff, title__contains="申请平台介入").count() == 1

    aftersale = aftersale_arbitrate(
        aftersale=aftersale, actor=staff, approve=True, reason="凭证显示霉变，支持退款"
    )

    assert aftersale.status == Status.REFUNDED
    assert aftersale.is_arbitrated
    assert Refund.objects.get().amount == Decimal("59.90")
    assert list(aftersale.events.values_list("to_status", flat=True)) == [
        "requested",
        "rejected",
        "disputed",
        "approved",
        "refunded",
    ]


def test_dispute_decided_for_the_merchant_is_final(shipped_order, merchant_a, shopper, staff):
    small, _ = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1})
    aftersale_reject(aftersale=aftersale, actor=merchant_a, reason="图片看不出问题")
    aftersale_escalate(aftersale=aftersale, actor=shopper, reason="大米发霉了")

    aftersale = aftersale_arbitrate(
        aftersale=aftersale, actor=staff, approve=False, reason="凭证不足"
    )
    assert (aftersale.status, aftersale.is_arbitrated) == (Status.REJECTED, True)
    before = snapshot(aftersale)

    refused(
        AfterSaleErrorCode.ALREADY_ARBITRATED,
        aftersale_escalate,
        aftersale=aftersale,
        actor=shopper,
        reason="再申请一次",
    )
    assert snapshot(aftersale) == before
    assert Refund.objects.count() == 0


def test_only_staff_arbitrate(shipped_order, merchant_a, shopper):
    small, _ = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1})
    aftersale_reject(aftersale=aftersale, actor=merchant_a, reason="不支持")
    aftersale_escalate(aftersale=aftersale, actor=shopper, reason="请平台评理")
    before = snapshot(aftersale)

    for actor in (merchant_a, shopper):
        refused(
            AfterSaleErrorCode.NOT_ALLOWED,
            aftersale_arbitrate,
            aftersale=aftersale,
            actor=actor,
            approve=True,
            reason="我说了算",
        )
    # and the merchant cannot decide a dispute itself
    refused(
        AfterSaleErrorCode.INVALID_TRANSITION,
        aftersale_approve,
        aftersale=aftersale,
        actor=merchant_a,
    )

    assert snapshot(aftersale) == before


def test_escalation_is_refused_when_the_line_was_claimed_again(shipped_order, merchant_a, shopper):
    small, _ = lines_of(shipped_order)
    first = request(shipped_order, {small.pk: 3})
    aftersale_reject(aftersale=first, actor=merchant_a, reason="不支持")
    request(shipped_order, {small.pk: 1})  # a new request on the same line is open now
    before = snapshot(first)

    refused(
        AfterSaleErrorCode.LINE_ALREADY_OPEN,
        aftersale_escalate,
        aftersale=first,
        actor=shopper,
        reason="请平台评理",
    )
    assert snapshot(first) == before


# --- isolation ----------------------------------------------------------------------------


def test_another_store_or_buyer_cannot_act(shipped_order, merchant_b, other_shopper):
    small, _ = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1})
    before = snapshot(aftersale)

    with pytest.raises(NotFoundError):
        aftersale_approve(aftersale=aftersale, actor=merchant_b)
    with pytest.raises(NotFoundError):
        aftersale_reject(aftersale=aftersale, actor=merchant_b, reason="不是我的店")
    with pytest.raises(NotFoundError):
        aftersale_withdraw(aftersale=aftersale, actor=other_shopper)

    assert snapshot(aftersale) == before


# --- refund_succeeded handling ------------------------------------------------------------


def test_refund_succeeded_delivered_twice_books_one_refund(shipped_order, merchant_a):
    # given a return whose refund succeeded (the signal was sent once by payments)
    small, _ = lines_of(shipped_order)
    before = stock(small.sku_id)
    aftersale = request(shipped_order, {small.pk: 1}, type=AfterSale.Type.RETURN_AND_REFUND)
    aftersale_approve(aftersale=aftersale, actor=merchant_a)
    aftersale_ship_back(
        aftersale=aftersale,
        actor=shipped_order.buyer,
        carrier_name="顺丰",
        tracking_number="SF000111222",
    )
    aftersale_mark_received(aftersale=aftersale, actor=merchant_a)
    refund = Refund.objects.get()

    # when the signal is delivered again, and the service called once more directly
    refund_succeeded.send(sender=Refund, refund=refund)
    aftersale_refund_succeeded(refund=refund)

    # then the order holds one refund, the stock came back once, the after-sale moved once
    shipped_order.refresh_from_db()
    small.refresh_from_db()
    assert shipped_order.refunded_amount == Decimal("59.90")
    assert small.refunded_quantity == 1
    assert stock(small.sku_id) == (before[0] + 1, before[1])
    assert OrderEvent.objects.filter(order=shipped_order, kind="refund").count() == 1
    assert aftersale.events.filter(to_status=Status.REFUNDED).count() == 1


def test_refunds_of_other_apps_are_ignored(shipped_order):
    class ForeignRefund:
        pk = 999
        reference = "late-payment:PO1"
        amount = Decimal("1.00")

    assert aftersale_refund_succeeded(refund=ForeignRefund()) is None


# --- orders on account (wholesale credit) -------------------------------------------------


def test_credit_order_refund_reduces_what_the_buyer_owes(rice, merchant_a):
    # given a verified organisation that bought 2 bags on account, shipped
    organisation = make_organisation(credit_limit="1000.00")
    buyer = organisation.members.get().user
    small, _ = list(rice.skus.order_by("sort_order", "id"))
    payment_order = place(buyer, [(small, 2)], method="credit")
    order = payment_order.orders.get()
    from tests.aftersales.conftest import ship

    ship(order, merchant_a)
    line = order.lines.get()
    owed_before = sum(organisation.credit_entries.values_list("amount", flat=True))

    # when an after-sale for one bag is approved
    aftersale = aftersale_create(
        buyer=buyer, order=order, type="refund_only", reason="damaged", lines={line.pk: 1}
    )
    aftersale = aftersale_approve(aftersale=aftersale, actor=merchant_a)

    # then no online refund, a credit refund entry instead, and the order books it
    assert Refund.objects.count() == 0
    assert aftersale.status == Status.REFUNDED
    entry = CreditEntry.objects.get(kind=CreditEntry.Kind.REFUND)
    assert entry.amount == -line.unit_price
    owed_after = sum(organisation.credit_entries.values_list("amount", flat=True))
    assert owed_before - owed_after == line.unit_price
    order.refresh_from_db()
    assert order.refunded_amount == line.unit_price


# --- notifications ------------------------------------------------------------------------


def test_each_side_is_told_in_the_inbox(shipped_order, merchant_a, shopper):
    small, _ = lines_of(shipped_order)
    aftersale = request(shipped_order, {small.pk: 1})
    assert Notification.objects.filter(user=merchant_a, title__contains="新的售后申请").count() == 1

    aftersale_reject(aftersale=aftersale, actor=merchant_a, reason="不支持")

    note = Notification.objects.filter(user=shopper).latest("id")
    assert "被商家拒绝" in note.title
    assert "不支持" in note.body
    assert note.url == f"/aftersales/{aftersale.number}/"
