"""Applying for an after-sale: which orders, which lines, how many, how much."""

from decimal import Decimal

import pytest

from apps.aftersales.errors import AfterSaleErrorCode
from apps.aftersales.models import AfterSale, AfterSaleEvent, AfterSaleLine, AfterSalePhoto
from apps.aftersales.selectors import LineAllowance, order_line_allowances
from apps.aftersales.services import (
    aftersale_approve,
    aftersale_create,
    aftersale_reject,
    aftersale_withdraw,
)
from apps.aftersales.services.aftersales import allocate
from apps.core.errors import ApplicationError, NotFoundError
from apps.orders.models import OrderLine
from apps.orders.services.lifecycle import order_cancel
from tests.aftersales.conftest import jpeg_upload, lines_of, not_an_image

pytestmark = pytest.mark.django_db

REFUND_ONLY = AfterSale.Type.REFUND_ONLY
RETURN = AfterSale.Type.RETURN_AND_REFUND


def apply(order, lines, *, buyer=None, type=REFUND_ONLY, reason="quality", **kwargs):
    return aftersale_create(
        buyer=buyer or order.buyer, order=order, type=type, reason=reason, lines=lines, **kwargs
    )


def refused(code, call, *args, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# --- which orders -------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["paid", "shipped", "completed"])
def test_paid_shipped_and_completed_orders_accept_a_refund_request(make_order, state):
    # given an order in that state
    order = make_order(state)
    small, _large = lines_of(order)

    # when the buyer asks for one bag back
    aftersale = apply(order, {small.pk: 1})

    # then a request exists for that line, its store and buyer, at the paid price of one bag
    assert aftersale.status == AfterSale.Status.REQUESTED
    assert (aftersale.store_id, aftersale.buyer_id) == (order.store_id, order.buyer_id)
    assert aftersale.amount_requested == Decimal("59.90")
    assert list(aftersale.lines.values_list("order_line_id", "quantity", "amount")) == [
        (small.pk, 1, Decimal("59.90"))
    ]
    assert list(aftersale.events.values_list("from_status", "to_status")) == [("", "requested")]


def test_an_unpaid_order_is_refused(make_order):
    order = make_order("pending")
    small, _ = lines_of(order)

    refused(AfterSaleErrorCode.ORDER_NOT_ELIGIBLE, apply, order, {small.pk: 1})

    assert AfterSale.objects.count() == 0


def test_a_cancelled_order_is_refused(make_order, shopper):
    order = make_order("pending")
    order_cancel(order=order, actor=shopper, reason="不想要了")
    order.refresh_from_db()
    small, _ = lines_of(order)

    refused(AfterSaleErrorCode.ORDER_NOT_ELIGIBLE, apply, order, {small.pk: 1})

    assert AfterSale.objects.count() == 0


def test_goods_not_shipped_cannot_be_returned(paid_order):
    small, _ = lines_of(paid_order)

    error = refused(
        AfterSaleErrorCode.ORDER_NOT_ELIGIBLE, apply, paid_order, {small.pk: 1}, type=RETURN
    )

    assert error.fields == {"type": ["订单尚未发货，请选择「仅退款」。"]}
    assert AfterSale.objects.count() == 0


def test_another_buyers_order_is_not_found(completed_order, other_shopper):
    small, _ = lines_of(completed_order)

    with pytest.raises(NotFoundError):
        apply(completed_order, {small.pk: 1}, buyer=other_shopper)

    assert AfterSale.objects.count() == 0


# --- which lines and how many -------------------------------------------------------------


def test_part_of_an_order_and_all_of_it(completed_order):
    small, large = lines_of(completed_order)

    aftersale = apply(completed_order, {small.pk: 3, large.pk: 2})

    assert aftersale.amount_requested == Decimal("399.50")  # 3 × 59.90 + 2 × 109.90
    assert sorted(aftersale.lines.values_list("quantity", "amount")) == [
        (2, Decimal("219.80")),
        (3, Decimal("179.70")),
    ]


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        (4, AfterSaleErrorCode.QUANTITY_EXCEEDED),  # bought 3
        (10**9, AfterSaleErrorCode.QUANTITY_EXCEEDED),
        (0, AfterSaleErrorCode.QUANTITY_INVALID),
        (-1, AfterSaleErrorCode.QUANTITY_INVALID),
        ("2", AfterSaleErrorCode.QUANTITY_INVALID),
        (True, AfterSaleErrorCode.QUANTITY_INVALID),
    ],
)
def test_bad_quantities_are_refused(completed_order, quantity, code):
    small, _ = lines_of(completed_order)

    refused(code, apply, completed_order, {small.pk: quantity})

    assert AfterSale.objects.count() == 0


def test_no_lines_is_refused(completed_order):
    refused(AfterSaleErrorCode.NO_LINES, apply, completed_order, {})


def test_a_line_of_another_order_is_refused(make_order, other_shopper):
    mine = make_order("completed")
    theirs = make_order("completed", buyer=other_shopper)
    their_line, _ = lines_of(theirs)

    refused(AfterSaleErrorCode.UNKNOWN_LINE, apply, mine, {their_line.pk: 1})

    assert AfterSale.objects.count() == 0


def test_one_open_after_sale_per_line(completed_order):
    small, large = lines_of(completed_order)
    first = apply(completed_order, {small.pk: 1})

    # a second request on the same line waits for the first one
    refused(AfterSaleErrorCode.LINE_ALREADY_OPEN, apply, completed_order, {small.pk: 1})
    # another line of the same order is fine
    second = apply(completed_order, {large.pk: 1})

    assert AfterSale.objects.count() == 2
    assert set(
        AfterSaleLine.objects.filter(is_open=True).values_list("aftersale_id", flat=True)
    ) == {
        first.pk,
        second.pk,
    }


def test_a_rejected_or_withdrawn_request_frees_its_line(completed_order, merchant_a, shopper):
    small, _ = lines_of(completed_order)
    first = apply(completed_order, {small.pk: 3})
    aftersale_reject(aftersale=first, actor=merchant_a, reason="商品无质量问题")
    second = apply(completed_order, {small.pk: 3})
    aftersale_withdraw(aftersale=second, actor=shopper)

    third = apply(completed_order, {small.pk: 3})

    assert third.status == AfterSale.Status.REQUESTED
    assert list(
        AfterSaleLine.objects.filter(is_open=True).values_list("aftersale_id", flat=True)
    ) == [third.pk]


def test_refunded_quantity_is_not_claimable_again(shipped_order, merchant_a):
    small, _ = lines_of(shipped_order)
    first = apply(shipped_order, {small.pk: 2})
    aftersale_approve(aftersale=first, actor=merchant_a)  # refund only: refunded at once
    small.refresh_from_db()
    assert small.refunded_quantity == 2

    refused(AfterSaleErrorCode.QUANTITY_EXCEEDED, apply, shipped_order, {small.pk: 2})
    last = apply(shipped_order, {small.pk: 1})

    assert last.amount_requested == Decimal("59.90")


# --- how much -----------------------------------------------------------------------------


def test_a_lower_amount_is_spread_over_the_lines_to_the_fen(completed_order):
    small, large = lines_of(completed_order)

    aftersale = apply(completed_order, {small.pk: 1, large.pk: 1}, amount="100.00")

    # caps 59.90 and 109.90 (sum 169.80): 35.27… and 64.72… → 35.28 + 64.72
    assert aftersale.amount_requested == Decimal("100.00")
    amounts = dict(aftersale.lines.values_list("order_line_id", "amount"))
    assert amounts == {small.pk: Decimal("35.28"), large.pk: Decimal("64.72")}


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("59.91", AfterSaleErrorCode.AMOUNT_EXCEEDED),
        ("1000000", AfterSaleErrorCode.AMOUNT_EXCEEDED),
        ("0", AfterSaleErrorCode.AMOUNT_INVALID),
        ("-5", AfterSaleErrorCode.AMOUNT_INVALID),
        ("1.234", AfterSaleErrorCode.AMOUNT_INVALID),
        ("NaN", AfterSaleErrorCode.AMOUNT_INVALID),
        ("abc", AfterSaleErrorCode.AMOUNT_INVALID),
        (10.5, AfterSaleErrorCode.AMOUNT_INVALID),  # a float is never money
    ],
)
def test_bad_amounts_are_refused(completed_order, amount, code):
    small, _ = lines_of(completed_order)

    refused(code, apply, completed_order, {small.pk: 1}, amount=amount)

    assert AfterSale.objects.count() == 0


def _line(paid: str, quantity: int, refunded_quantity=0, refunded_amount="0.00") -> OrderLine:
    return OrderLine(
        pk=1,
        quantity=quantity,
        paid_amount=Decimal(paid),
        refunded_quantity=refunded_quantity,
        refunded_amount=Decimal(refunded_amount),
    )


def test_unit_shares_round_cumulatively_so_every_split_adds_up_to_the_paid_amount():
    # 100.00 paid for 3 units (a discount made the price uneven): 33.33 + 33.33 + 33.34
    line = _line("100.00", 3)
    fresh = LineAllowance(
        line=line, claimed_quantity=0, open_quantity=0, remaining_amount=Decimal("100.00")
    )
    assert [fresh.max_amount(q) for q in (1, 2, 3)] == [
        Decimal("33.33"),
        Decimal("66.67"),
        Decimal("100.00"),
    ]
    # after one unit was refunded (33.33), the other two are worth exactly the rest
    after_one = LineAllowance(
        line=_line("100.00", 3, 1, "33.33"),
        claimed_quantity=1,
        open_quantity=0,
        remaining_amount=Decimal("66.67"),
    )
    assert after_one.max_amount(1) + LineAllowance(
        line=_line("100.00", 3, 2, "66.67"),
        claimed_quantity=2,
        open_quantity=0,
        remaining_amount=Decimal("33.33"),
    ).max_amount(1) == Decimal("66.67")
    assert after_one.max_amount_all == Decimal("66.67")


def test_a_smaller_earlier_refund_does_not_inflate_later_units():
    # one of 5 units (10.00 each) was compensated with only 2.00: the other 4 are still 40.00
    allowance = LineAllowance(
        line=_line("50.00", 5, 1, "2.00"),
        claimed_quantity=1,
        open_quantity=0,
        remaining_amount=Decimal("48.00"),
    )
    assert allowance.max_amount_all == Decimal("40.00")


def test_allocate_never_exceeds_a_cap_and_sums_exactly():
    caps = [Decimal("0.01"), Decimal("0.01"), Decimal("0.01")]
    assert allocate(Decimal("0.02"), caps) == [Decimal("0.01"), Decimal("0.01"), Decimal("0.00")]
    caps = [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    shares = allocate(Decimal("50.00"), caps)
    assert sum(shares) == Decimal("50.00")
    assert all(share <= cap for share, cap in zip(shares, caps, strict=True))


def test_allowances_count_open_claims(completed_order):
    small, large = lines_of(completed_order)
    apply(completed_order, {small.pk: 2})

    allowances = order_line_allowances(order=completed_order)

    assert allowances[small.pk].is_open
    assert allowances[small.pk].claimable_quantity == 1
    assert allowances[large.pk].claimable_quantity == 2
    assert allowances[large.pk].max_amount_all == Decimal("219.80")


# --- reason and photos --------------------------------------------------------------------


def test_reason_other_needs_a_description(completed_order):
    small, _ = lines_of(completed_order)

    error = refused(
        AfterSaleErrorCode.REASON_REQUIRED, apply, completed_order, {small.pk: 1}, reason="other"
    )

    assert "reason_text" in error.fields
    assert apply(completed_order, {small.pk: 1}, reason="other", reason_text="包装漏气").pk


def test_unknown_type_or_reason_is_refused(completed_order):
    small, _ = lines_of(completed_order)
    with pytest.raises(ApplicationError):
        apply(completed_order, {small.pk: 1}, type="exchange")
    with pytest.raises(ApplicationError):
        apply(completed_order, {small.pk: 1}, reason="because")
    assert AfterSale.objects.count() == 0


def test_photos_are_stored_clean_with_thumbnails(completed_order):
    small, _ = lines_of(completed_order)

    aftersale = apply(
        completed_order, {small.pk: 1}, photos=[jpeg_upload("a.jpg"), jpeg_upload("b.png")]
    )

    photos = list(aftersale.photos.all())
    assert len(photos) == 2
    for photo in photos:
        assert photo.image.name.endswith(".jpg")
        assert photo.thumbnail.storage.exists(photo.thumbnail.name)
        assert (photo.width, photo.height) == (120, 90)


def test_a_non_image_refuses_the_whole_request(completed_order):
    small, _ = lines_of(completed_order)

    refused("image_invalid", apply, completed_order, {small.pk: 1}, photos=[not_an_image()])

    assert AfterSale.objects.count() == 0
    assert AfterSalePhoto.objects.count() == 0
    assert AfterSaleEvent.objects.count() == 0


def test_at_most_six_photos(completed_order):
    small, _ = lines_of(completed_order)

    refused(
        AfterSaleErrorCode.TOO_MANY_PHOTOS,
        apply,
        completed_order,
        {small.pk: 1},
        photos=[jpeg_upload(f"{i}.jpg") for i in range(7)],
    )

    assert AfterSale.objects.count() == 0
