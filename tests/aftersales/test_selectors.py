"""The access selectors: who sees which after-sales and reviews."""

import pytest

from apps.aftersales.selectors import (
    aftersale_get_for_buyer,
    aftersale_get_for_merchant,
    aftersale_list_for_buyer,
    aftersale_list_for_merchant,
    review_get_for_merchant,
    review_list_for_merchant,
)
from apps.aftersales.services import aftersale_create, review_create
from tests.aftersales.conftest import lines_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def aftersale(completed_order):
    small, _ = lines_of(completed_order)
    return aftersale_create(
        buyer=completed_order.buyer,
        order=completed_order,
        type="refund_only",
        reason="quality",
        lines={small.pk: 1},
    )


@pytest.fixture
def review(completed_order):
    _, large = lines_of(completed_order)
    return review_create(buyer=completed_order.buyer, order_line=large, rating=5)


@pytest.mark.parametrize(
    ("role", "sees"),
    [("merchant_a", True), ("staff", True), ("merchant_b", False), ("shopper", False)],
)
def test_back_office_sees_own_store_or_everything(request, aftersale, review, role, sees):
    user = request.getfixturevalue(role)

    assert list(aftersale_list_for_merchant(user=user)) == ([aftersale] if sees else [])
    assert (aftersale_get_for_merchant(user=user, number=aftersale.number) is not None) is sees
    assert list(review_list_for_merchant(user=user)) == ([review] if sees else [])
    assert (review_get_for_merchant(user=user, pk=review.pk) is not None) is sees


@pytest.mark.parametrize(("role", "sees"), [("shopper", True), ("other_shopper", False)])
def test_buyers_see_only_their_own(request, aftersale, role, sees):
    user = request.getfixturevalue(role)

    assert list(aftersale_list_for_buyer(user=user)) == ([aftersale] if sees else [])
    assert (aftersale_get_for_buyer(user=user, number=aftersale.number) is not None) is sees
