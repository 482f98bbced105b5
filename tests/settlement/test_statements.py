import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from apps.accounts.models import Notification
from apps.core.errors import ApplicationError
from apps.settlement.errors import SettlementErrorCode
from apps.settlement.models import LedgerEntry, SettlementStatement, StatementEvent
from apps.settlement.periods import period_bounds, period_containing, previous_period_start
from apps.settlement.selectors import statement_figures, statement_verify, store_balance
from apps.settlement.services import (
    settlement_adjustment_add,
    settlement_statement_confirm,
    settlement_statement_generate,
    settlement_statement_mark_paid_out,
    settlement_statements_generate,
)
from tests.settlement.conftest import current_period, refund, sell

pytestmark = pytest.mark.django_db

D = Decimal
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def week(shopper, shop_a, store_b, divisions):
    """This week's sales: two orders of store A (one partly refunded), one of store B."""
    first = sell(shopper, shop_a, [("9.99", 3)])  # 29.97, commission 1.00
    second = sell(shopper, shop_a, [("59.90", 3), ("0.01", 1)])  # 179.71, commission 5.98
    refund(second, "12.34", "AS-1")  # −12.34, reversal +0.41
    other = sell(shopper, store_b, [("10.00", 1)])
    return first, second, other


def generate_this_week() -> int:
    start, after_end = current_period()
    return settlement_statements_generate(period_start=start, now=after_end)


def test_statements_collect_each_stores_entries_and_sum_them_exactly(week, shop_a, store_b):
    made = generate_this_week()

    statement = SettlementStatement.objects.get(store=shop_a)
    assert made == 2
    assert (statement.income, statement.commission) == (D("209.68"), D("-6.98"))
    assert (statement.refunds, statement.commission_reversals) == (D("-12.34"), D("0.41"))
    assert (statement.adjustments, statement.net_payable) == (D("0.00"), D("190.77"))
    assert statement.entry_count == 6
    assert statement.status == SettlementStatement.Status.OPEN
    assert set(statement.entries.values_list("store_id", flat=True)) == {shop_a.pk}
    assert LedgerEntry.objects.filter(statement__isnull=True).count() == 0
    assert store_balance(shop_a) == statement.net_payable


def test_generating_twice_makes_one_statement_per_store_and_takes_no_entry_twice(week, shop_a):
    generate_this_week()
    first = {s.pk: (s.net_payable, s.entry_count) for s in SettlementStatement.objects.all()}

    again = generate_this_week()

    assert again == 0
    assert {s.pk: (s.net_payable, s.entry_count) for s in SettlementStatement.objects.all()} == (
        first
    )
    assert StatementEvent.objects.filter(kind="generated").count() == 2


def test_generation_tells_the_merchants_of_the_store(week, shop_a, merchant_a):
    generate_this_week()

    note = Notification.objects.get(user=merchant_a, title__startswith="结算单已生成")
    assert "¥190.77" in note.body


def test_a_statements_figures_are_reproducible_from_its_entries(week, shop_a):
    generate_this_week()
    statement = SettlementStatement.objects.get(store=shop_a)

    check = statement_verify(statement=statement)
    by_hand = sum(statement.entries.values_list("amount", flat=True), D("0"))

    assert check.is_consistent, check.problems
    assert check.recomputed == {
        "income": D("209.68"),
        "commission": D("-6.98"),
        "refunds": D("-12.34"),
        "commission_reversals": D("0.41"),
        "adjustments": D("0.00"),
        "distribution_commission": D("0.00"),
        "subsidies": D("0.00"),
        "net_payable": D("190.77"),
        "entry_count": 6,
    }
    assert by_hand == statement.net_payable


def test_a_statement_that_no_longer_matches_its_ledger_cannot_be_paid_out(week, shop_a, staff):
    generate_this_week()
    statement = SettlementStatement.objects.get(store=shop_a)
    settlement_statement_confirm(statement=statement, actor=staff)
    SettlementStatement.objects.filter(pk=statement.pk).update(net_payable=D("999.99"))

    with pytest.raises(ApplicationError) as exc:
        settlement_statement_mark_paid_out(
            statement=statement, actor=staff, payment_reference="BANK-1"
        )

    statement.refresh_from_db()
    assert exc.value.code == SettlementErrorCode.STATEMENT_MISMATCH
    assert statement.status == SettlementStatement.Status.CONFIRMED
    assert not LedgerEntry.objects.filter(type="payout").exists()
    assert statement_verify(statement=statement).problems == [
        "net_payable: stored 999.99 != ledger 190.77"
    ]


def test_paying_out_books_a_payout_and_records_who_did_it(week, shop_a, staff, merchant_a):
    generate_this_week()
    statement = SettlementStatement.objects.get(store=shop_a)

    settlement_statement_confirm(statement=statement, actor=staff)
    settlement_statement_mark_paid_out(
        statement=statement, actor=staff, payment_reference=" ICBC-20250106-001 "
    )

    statement.refresh_from_db()
    payout = LedgerEntry.objects.get(type="payout")
    assert statement.status == SettlementStatement.Status.PAID_OUT
    assert statement.payout_reference == "ICBC-20250106-001"
    assert (payout.amount, payout.statement_id, payout.actor) == (D("-190.77"), statement.pk, staff)
    assert store_balance(shop_a) == D("0.00")
    assert statement_verify(statement=statement).is_consistent
    assert list(statement.events.values_list("kind", "from_status", "to_status", "actor")) == [
        ("generated", "", "open", None),
        ("confirmed", "open", "confirmed", staff.pk),
        ("paid_out", "confirmed", "paid_out", staff.pk),
    ]
    assert Notification.objects.filter(user=merchant_a, title__contains="已打款").count() == 1


def test_paying_out_again_with_the_same_reference_changes_nothing(week, shop_a, staff):
    generate_this_week()
    statement = SettlementStatement.objects.get(store=shop_a)
    settlement_statement_confirm(statement=statement, actor=staff)
    settlement_statement_mark_paid_out(statement=statement, actor=staff, payment_reference="B-1")

    settlement_statement_mark_paid_out(statement=statement, actor=staff, payment_reference="B-1")
    with pytest.raises(ApplicationError) as exc:
        settlement_statement_mark_paid_out(
            statement=statement, actor=staff, payment_reference="B-2"
        )

    assert exc.value.code == SettlementErrorCode.INVALID_TRANSITION
    assert LedgerEntry.objects.filter(type="payout").count() == 1
    assert store_balance(shop_a) == D("0.00")


def test_an_open_statement_cannot_be_paid_out(week, shop_a, staff):
    generate_this_week()
    statement = SettlementStatement.objects.get(store=shop_a)

    with pytest.raises(ApplicationError) as exc:
        settlement_statement_mark_paid_out(statement=statement, actor=staff, payment_reference="B")

    statement.refresh_from_db()
    assert exc.value.code == SettlementErrorCode.INVALID_TRANSITION
    assert statement.status == SettlementStatement.Status.OPEN
    assert not LedgerEntry.objects.filter(type="payout").exists()


@pytest.mark.parametrize("reference", ["", "   ", "x" * 65])
def test_paying_out_needs_a_payment_reference(week, shop_a, staff, reference):
    generate_this_week()
    statement = settlement_statement_confirm(
        statement=SettlementStatement.objects.get(store=shop_a), actor=staff
    )

    with pytest.raises(ApplicationError) as exc:
        settlement_statement_mark_paid_out(
            statement=statement, actor=staff, payment_reference=reference
        )

    statement.refresh_from_db()
    assert exc.value.code == SettlementErrorCode.REFERENCE_REQUIRED
    assert statement.status == SettlementStatement.Status.CONFIRMED


def test_merchants_cannot_confirm_or_pay_out(week, shop_a, merchant_a):
    generate_this_week()
    statement = SettlementStatement.objects.get(store=shop_a)

    with pytest.raises(ApplicationError) as confirm:
        settlement_statement_confirm(statement=statement, actor=merchant_a)
    with pytest.raises(ApplicationError) as pay:
        settlement_statement_mark_paid_out(
            statement=statement, actor=merchant_a, payment_reference="SELF"
        )

    statement.refresh_from_db()
    assert (confirm.value.status_code, pay.value.status_code) == (403, 403)
    assert statement.status == SettlementStatement.Status.OPEN


def test_a_refund_after_payout_lands_in_the_next_period(week, shop_a, staff):
    _first, second, _other = week
    start, after_end = current_period()
    settlement_statements_generate(period_start=start, now=after_end)
    paid = SettlementStatement.objects.get(store=shop_a)
    settlement_statement_confirm(statement=paid, actor=staff)
    settlement_statement_mark_paid_out(statement=paid, actor=staff, payment_reference="B-1")

    refund(second, "59.90", "AS-2")  # 167.37 → 107.47: commission 5.57 → 3.58
    next_start = start + dt.timedelta(days=7)
    made = settlement_statements_generate(
        period_start=next_start, now=after_end + dt.timedelta(days=7)
    )

    paid.refresh_from_db()
    following = SettlementStatement.objects.get(store=shop_a, period_start=next_start)
    assert made == 1
    assert (paid.net_payable, paid.entry_count) == (D("190.77"), 6)
    assert statement_verify(statement=paid).is_consistent
    assert (following.refunds, following.commission_reversals) == (D("-59.90"), D("1.99"))
    assert following.net_payable == D("-57.91")
    assert store_balance(shop_a) == D("-57.91")


def test_a_negative_statement_paid_out_books_what_the_store_paid_back(shopper, shop_a, staff):
    order = sell(shopper, shop_a, [("9.99", 3)])
    start, after_end = current_period()
    settlement_statements_generate(period_start=start, now=after_end)
    first = SettlementStatement.objects.get()
    settlement_statement_confirm(statement=first, actor=staff)
    settlement_statement_mark_paid_out(statement=first, actor=staff, payment_reference="B-1")
    refund(order, "29.97", "AS-ALL")
    settlement_statements_generate(
        period_start=start + dt.timedelta(days=7), now=after_end + dt.timedelta(days=7)
    )
    second = SettlementStatement.objects.get(period_start=start + dt.timedelta(days=7))

    settlement_statement_confirm(statement=second, actor=staff)
    settlement_statement_mark_paid_out(statement=second, actor=staff, payment_reference="IN-1")

    assert second.net_payable == D("-28.97")
    assert LedgerEntry.objects.get(statement=second, type="payout").amount == D("28.97")
    assert store_balance(shop_a) == D("0.00")


def test_only_entries_booked_before_the_period_end_are_collected(week, shop_a):
    last_week = previous_period_start()

    made = settlement_statements_generate(period_start=last_week)

    assert made == 0
    assert not SettlementStatement.objects.exists()
    assert LedgerEntry.objects.filter(statement__isnull=True).count() == 8


def test_a_period_that_has_not_ended_cannot_be_settled(week):
    start, _after_end = current_period()

    with pytest.raises(ApplicationError) as exc:
        settlement_statements_generate(period_start=start)

    assert exc.value.code == SettlementErrorCode.PERIOD_NOT_ENDED
    assert not SettlementStatement.objects.exists()


def test_a_date_that_does_not_begin_a_period_is_refused(week, shop_a):
    start, after_end = current_period()

    with pytest.raises(ApplicationError) as exc:
        settlement_statement_generate(
            store=shop_a, period_start=start + dt.timedelta(days=1), now=after_end
        )

    assert exc.value.code == SettlementErrorCode.INVALID_PERIOD


def test_weeks_run_monday_to_sunday_in_shanghai(settings):
    settings.SETTLEMENT_PERIOD_DAYS = 7

    start, end, last_day = period_bounds(dt.date(2025, 1, 6))

    assert period_containing(dt.date(2025, 1, 5)) == (dt.date(2024, 12, 30), dt.date(2025, 1, 5))
    assert period_containing(dt.date(2025, 1, 6)) == (dt.date(2025, 1, 6), dt.date(2025, 1, 12))
    assert start == dt.datetime(2025, 1, 6, tzinfo=SHANGHAI)
    assert end == dt.datetime(2025, 1, 13, tzinfo=SHANGHAI)
    assert last_day == dt.date(2025, 1, 12)
    # Monday 02:00 in Shanghai is still Sunday in UTC: the week that just ended is settled.
    monday_2am = dt.datetime(2025, 1, 13, 2, 0, tzinfo=SHANGHAI)
    assert previous_period_start(monday_2am) == dt.date(2025, 1, 6)


def test_the_period_length_is_a_setting(settings):
    settings.SETTLEMENT_PERIOD_DAYS = 14

    assert period_containing(dt.date(2024, 1, 20)) == (dt.date(2024, 1, 15), dt.date(2024, 1, 28))
    assert previous_period_start(dt.datetime(2024, 1, 29, 3, tzinfo=SHANGHAI)) == dt.date(
        2024, 1, 15
    )


def test_an_entry_at_sunday_midnight_shanghai_belongs_to_the_week_it_was_booked_in(
    shop_a, staff, monkeypatch
):
    sunday_late = dt.datetime(2025, 1, 12, 23, 59, 59, tzinfo=SHANGHAI)
    monday_early = dt.datetime(2025, 1, 13, 0, 0, 1, tzinfo=SHANGHAI)
    for moment, amount in [(sunday_late, "1.00"), (monday_early, "2.00")]:
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        settlement_adjustment_add(store=shop_a, amount=amount, reason="测试", actor=staff)
    monkeypatch.undo()

    settlement_statements_generate(period_start=dt.date(2025, 1, 6))

    statement = SettlementStatement.objects.get()
    assert (statement.period_start, statement.period_end) == (
        dt.date(2025, 1, 6),
        dt.date(2025, 1, 12),
    )
    assert (statement.adjustments, statement.entry_count) == (D("1.00"), 1)
    assert LedgerEntry.objects.get(statement__isnull=True).amount == D("2.00")


def test_figures_of_an_empty_statement_are_zero(shop_a):
    statement = SettlementStatement.objects.create(
        store=shop_a, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 1, 7)
    )

    assert statement_figures(statement=statement)["net_payable"] == D("0.00")
    assert statement_verify(statement=statement).is_consistent


def test_the_beat_schedule_runs_the_job_on_monday_at_two():
    from config.celery import build_beat_schedule

    schedule = build_beat_schedule(settings.PERIODIC_TASKS)["settlement-statements"]

    assert schedule["task"] == "apps.settlement.tasks.settlement_statements_generate_task"
    assert schedule["schedule"].day_of_week == {1}
    assert (schedule["schedule"].hour, schedule["schedule"].minute) == ({2}, {0})
