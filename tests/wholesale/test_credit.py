"""Credit (账期): charges within the limit, idempotent releases, refunds and repayments."""

from decimal import Decimal

import pytest

from apps.core.errors import ApplicationError
from apps.wholesale.models import BuyerOrganisation, CreditEntry
from apps.wholesale.selectors import credit_available, credit_balance, credit_summary
from apps.wholesale.services import (
    credit_charge,
    credit_limit_set,
    credit_record_repayment,
    credit_refund,
    credit_release,
)

pytestmark = pytest.mark.django_db
D = Decimal


def test_charge_within_the_limit(organisation):
    entry = credit_charge(organisation=organisation, amount=D("999.99"), reference="PO-1")

    assert (entry.kind, entry.amount, entry.reference) == ("charge", D("999.99"), "PO-1")
    assert credit_balance(organisation=organisation) == D("999.99")
    assert credit_available(organisation=organisation) == D("0.01")


def test_charge_up_to_exactly_the_limit_then_one_fen_more_is_refused(organisation):
    credit_charge(organisation=organisation, amount=D("600.00"), reference="PO-1")
    credit_charge(organisation=organisation, amount=D("400.00"), reference="PO-2")

    with pytest.raises(ApplicationError) as refused:
        credit_charge(organisation=organisation, amount=D("0.01"), reference="PO-3")

    assert refused.value.code == "wholesale_credit_exceeded"
    assert "可用额度 ¥0.00" in refused.value.message
    assert credit_balance(organisation=organisation) == D("1000.00")
    assert not CreditEntry.objects.filter(reference="PO-3").exists()


def test_charge_over_the_limit_is_refused(organisation):
    with pytest.raises(ApplicationError) as refused:
        credit_charge(organisation=organisation, amount=D("1000.01"), reference="PO-1")

    assert refused.value.code == "wholesale_credit_exceeded"
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize("amount", [D("0"), D("-5.00"), "abc", D("NaN"), D("1e20"), 10.5])
def test_charge_of_a_bad_amount_is_refused(organisation, amount):
    with pytest.raises(ApplicationError) as refused:
        credit_charge(organisation=organisation, amount=amount, reference="PO-1")

    assert refused.value.code == "wholesale_invalid_amount"
    assert not CreditEntry.objects.exists()


def test_charge_is_idempotent_per_reference(organisation):
    first = credit_charge(organisation=organisation, amount=D("100.00"), reference="PO-1")
    again = credit_charge(organisation=organisation, amount=D("100.00"), reference="PO-1")

    assert again.pk == first.pk
    assert credit_balance(organisation=organisation) == D("100.00")
    with pytest.raises(ApplicationError) as conflict:
        credit_charge(organisation=organisation, amount=D("90.00"), reference="PO-1")
    assert conflict.value.code == "wholesale_reference_conflict"


def test_unverified_organisation_cannot_buy_on_account(pending_buyer):
    pending = BuyerOrganisation.objects.get(members__user=pending_buyer)
    BuyerOrganisation.objects.filter(pk=pending.pk).update(credit_limit=D("100.00"))
    pending.refresh_from_db()

    with pytest.raises(ApplicationError) as refused:
        credit_charge(organisation=pending, amount=D("1.00"), reference="PO-1")

    assert refused.value.code == "wholesale_not_verified"
    assert refused.value.status_code == 403
    assert not CreditEntry.objects.exists()


def test_another_organisations_reference_is_not_reused(organisation, other_buyer):
    other = BuyerOrganisation.objects.get(members__user=other_buyer)
    credit_charge(organisation=organisation, amount=D("10.00"), reference="PO-1")

    with pytest.raises(ApplicationError) as conflict:
        credit_charge(organisation=other, amount=D("10.00"), reference="PO-1")
    with pytest.raises(ApplicationError):
        credit_release(organisation=other, reference="PO-1")

    assert conflict.value.code == "wholesale_reference_conflict"
    assert credit_balance(organisation=other) == 0
    assert credit_balance(organisation=organisation) == D("10.00")


def test_release_gives_the_charge_back_once(organisation):
    credit_charge(organisation=organisation, amount=D("250.00"), reference="PO-1")

    first = credit_release(organisation=organisation, reference="PO-1")
    second = credit_release(organisation=organisation, reference="PO-1")

    assert first.pk == second.pk
    assert (first.kind, first.amount) == ("release", D("-250.00"))
    assert credit_balance(organisation=organisation) == 0
    assert CreditEntry.objects.filter(kind="release").count() == 1


def test_release_of_an_order_never_charged_does_nothing(organisation):
    assert credit_release(organisation=organisation, reference="PO-404") is None
    assert not CreditEntry.objects.exists()


def test_release_after_a_partial_refund_gives_back_only_the_rest(organisation):
    credit_charge(organisation=organisation, amount=D("300.00"), reference="PO-1")
    credit_refund(
        organisation=organisation, reference="PO-1", amount=D("100.10"), refund_reference="AS-1"
    )

    release = credit_release(organisation=organisation, reference="PO-1")

    assert release.amount == D("-199.90")
    assert credit_balance(organisation=organisation) == 0


def test_refund_is_idempotent_and_bounded_by_the_order(organisation):
    credit_charge(organisation=organisation, amount=D("80.00"), reference="PO-1")

    first = credit_refund(
        organisation=organisation, reference="PO-1", amount=D("30.00"), refund_reference="AS-1"
    )
    again = credit_refund(
        organisation=organisation, reference="PO-1", amount=D("30.00"), refund_reference="AS-1"
    )
    with pytest.raises(ApplicationError) as too_much:
        credit_refund(
            organisation=organisation,
            reference="PO-1",
            amount=D("50.01"),
            refund_reference="AS-2",
        )

    assert first.pk == again.pk
    assert too_much.value.code == "wholesale_over_refund"
    assert credit_balance(organisation=organisation) == D("50.00")


def test_released_credit_can_be_used_again(organisation):
    credit_charge(organisation=organisation, amount=D("1000.00"), reference="PO-1")
    credit_release(organisation=organisation, reference="PO-1")

    entry = credit_charge(organisation=organisation, amount=D("1000.00"), reference="PO-2")

    assert entry.amount == D("1000.00")


# --- repayments -----------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [D("0.00"), D("-1.00"), D("300.01")])
def test_repayment_must_be_positive_and_at_most_what_is_owed(organisation, staff, amount):
    credit_charge(organisation=organisation, amount=D("300.00"), reference="PO-1")

    with pytest.raises(ApplicationError) as refused:
        credit_record_repayment(organisation=organisation, amount=amount, actor=staff)

    assert refused.value.code in {"wholesale_invalid_amount", "wholesale_overpayment"}
    assert list(refused.value.fields) == ["amount"]
    assert credit_balance(organisation=organisation) == D("300.00")


def test_repayment_of_everything_owed_clears_it(organisation, staff):
    credit_charge(organisation=organisation, amount=D("300.00"), reference="PO-1")
    credit_charge(organisation=organisation, amount=D("0.33"), reference="PO-2")

    entry = credit_record_repayment(
        organisation=organisation, amount=D("300.33"), actor=staff, reference="BANK-1"
    )

    assert (entry.kind, entry.amount, entry.actor) == ("repayment", D("-300.33"), staff)
    summary = credit_summary(organisation=organisation)
    assert (summary.owed, summary.available) == (D("0.00"), D("1000.00"))


def test_repayment_with_nothing_owed_is_refused(organisation, staff):
    with pytest.raises(ApplicationError) as refused:
        credit_record_repayment(organisation=organisation, amount=D("0.01"), actor=staff)

    assert refused.value.code == "wholesale_overpayment"


def test_repayment_token_makes_a_double_submit_one_entry(organisation, staff):
    credit_charge(organisation=organisation, amount=D("100.00"), reference="PO-1")

    first = credit_record_repayment(
        organisation=organisation, amount=D("40.00"), actor=staff, idempotency_key="tok"
    )
    second = credit_record_repayment(
        organisation=organisation, amount=D("40.00"), actor=staff, idempotency_key="tok"
    )

    assert first.pk == second.pk
    assert credit_balance(organisation=organisation) == D("60.00")


# --- credit limit ---------------------------------------------------------------------------


def test_limit_below_what_is_owed_stops_new_charges(organisation, staff):
    credit_charge(organisation=organisation, amount=D("800.00"), reference="PO-1")

    credit_limit_set(
        organisation=organisation, credit_limit=D("500.00"), actor=staff, reason="降额"
    )
    organisation.refresh_from_db()

    assert credit_available(organisation=organisation) == 0
    with pytest.raises(ApplicationError):
        credit_charge(organisation=organisation, amount=D("0.01"), reference="PO-2")


def test_unchanged_limit_writes_no_event(organisation, staff):
    before = organisation.events.count()

    credit_limit_set(organisation=organisation, credit_limit=D("1000"), actor=staff)

    assert organisation.events.count() == before


@pytest.mark.parametrize("limit", [D("-0.01"), "x", D("1e12")])
def test_bad_limits_are_refused(organisation, staff, limit):
    with pytest.raises(ApplicationError) as refused:
        credit_limit_set(organisation=organisation, credit_limit=limit, actor=staff)

    assert list(refused.value.fields) == ["credit_limit"]
    organisation.refresh_from_db()
    assert organisation.credit_limit == D("1000.00")


def test_ledger_rows_cannot_have_the_wrong_sign(organisation):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CreditEntry.objects.create(
            organisation=organisation, kind="repayment", amount=D("5.00"), idempotency_key="k"
        )
