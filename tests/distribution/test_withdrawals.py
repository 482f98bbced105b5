"""Withdrawals: limits, fee, balance deducted at once, review, return on reject/failure, and
two withdrawals racing for one balance."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.core.errors import ApplicationError
from apps.distribution.models import BalanceEntry, Withdrawal
from apps.distribution.services.config import config_update
from apps.distribution.services.ledger import balance_entry_book
from apps.distribution.services.withdrawals import (
    withdrawal_apply,
    withdrawal_approve,
    withdrawal_mark_failed,
    withdrawal_mark_paid,
    withdrawal_reject,
)
from tests.distribution.conftest import assert_ledger_balanced, make_promoter

pytestmark = pytest.mark.django_db
D = Decimal


def fund(promoter, amount: str, key: str = "seed") -> None:
    balance_entry_book(
        promoter_id=promoter.pk,
        type=BalanceEntry.Type.ADJUSTMENT,
        amount=D(amount),
        idempotency_key=f"test:{key}:{promoter.pk}",
        reason="测试入账",
    )


@pytest.fixture
def promoter(db):
    config_update(
        actor=None, withdrawal_min=D("10"), withdrawal_max=D("500"), withdrawal_fee_rate=D("0.6")
    )
    promoter = make_promoter()
    fund(promoter, "100.00")
    return promoter


def apply(promoter, amount: str, **kw) -> Withdrawal:
    kw.setdefault("method", "bank")
    kw.setdefault("account_number", "6222000011112222")
    return withdrawal_apply(promoter=promoter, amount=amount, **kw)


@pytest.mark.parametrize(
    ("amount", "code", "field"),
    [
        ("9.99", "distribution_invalid_amount", "amount"),
        ("500.01", "distribution_invalid_amount", "amount"),
        ("100.01", "distribution_insufficient_balance", "amount"),
        ("abc", "distribution_invalid_amount", "amount"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_changes(promoter, amount, code, field):
    with pytest.raises(ApplicationError) as exc:
        apply(promoter, amount)
    assert (exc.value.code, field in exc.value.fields) == (code, True)
    promoter.refresh_from_db()
    assert promoter.balance == D("100.00")
    assert not Withdrawal.objects.exists()
    assert_ledger_balanced()


def test_apply_deducts_at_once_and_computes_the_fee(promoter):
    withdrawal = apply(promoter, "50.00")
    promoter.refresh_from_db()
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net_amount) == (
        D("50.00"),
        D("0.30"),
        D("49.70"),
    )
    assert promoter.balance == D("50.00")
    assert withdrawal.status == Withdrawal.Status.AUDITING
    assert promoter.user.notifications.filter(title__startswith="提现申请已提交").exists()
    assert_ledger_balanced()


def test_approve_then_paid_with_a_reference(promoter, staff):
    withdrawal = withdrawal_approve(withdrawal=apply(promoter, "50.00"), actor=staff)
    with pytest.raises(ApplicationError):
        withdrawal_mark_paid(withdrawal=withdrawal, actor=staff, payout_reference=" ")
    paid = withdrawal_mark_paid(withdrawal=withdrawal, actor=staff, payout_reference="BANK-1")
    assert (paid.status, paid.payout_reference) == ("paid", "BANK-1")
    assert list(paid.events.values_list("from_status", "to_status")) == [
        ("", "auditing"),
        ("auditing", "approved"),
        ("approved", "paid"),
    ]
    with pytest.raises(ApplicationError) as exc:
        withdrawal_reject(withdrawal=paid, actor=staff, reason="晚了")
    assert exc.value.code == "distribution_invalid_transition"
    promoter.refresh_from_db()
    assert promoter.balance == D("50.00")
    assert_ledger_balanced()


@pytest.mark.parametrize("ending", ["reject", "fail"])
def test_reject_or_failed_payout_returns_the_money(promoter, staff, ending):
    withdrawal = apply(promoter, "60.00")
    if ending == "reject":
        withdrawal_reject(withdrawal=withdrawal, actor=staff, reason="账户名不符")
    else:
        withdrawal = withdrawal_approve(withdrawal=withdrawal, actor=staff)
        withdrawal_mark_failed(withdrawal=withdrawal, actor=staff, reason="银行退票")
    promoter.refresh_from_db()
    assert promoter.balance == D("100.00")
    assert list(promoter.balance_entries.order_by("id").values_list("type", "amount")) == [
        ("adjustment", D("100.00")),
        ("withdrawal", D("-60.00")),
        ("withdrawal_return", D("60.00")),
    ]
    assert_ledger_balanced()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_withdrawals_racing_for_one_balance():
    config_update(actor=None, withdrawal_min=D("10"))
    promoter = make_promoter()
    fund(promoter, "100.00")
    barrier, outcomes = threading.Barrier(2), []

    def withdraw():
        try:
            barrier.wait()
            apply(promoter, "80.00")
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["distribution_insufficient_balance", "ok"]
    promoter.refresh_from_db()
    assert promoter.balance == D("20.00")
    assert Withdrawal.objects.count() == 1
    assert_ledger_balanced()
