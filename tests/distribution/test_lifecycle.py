"""Freeze → release (the beat task), refunds (pro rata, cancel, clawback), the store's share,
and the end-to-end story of a level-2 promoter's friend's link."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.aftersales.models import AfterSale
from apps.aftersales.services import aftersale_create
from apps.core import transitions
from apps.distribution.models import BalanceEntry, CommissionRecord
from apps.distribution.services import commissions
from apps.distribution.services.commissions import (
    commissions_apply_refund,
    commissions_release_due,
)
from apps.distribution.services.config import config_update
from apps.distribution.tasks import commissions_release_due_task
from apps.orders.models import Order
from apps.settlement.models import LedgerEntry
from apps.stores.models import StoreType
from tests.distribution.conftest import (
    assert_ledger_balanced,
    bind,
    brokerage_sku,
    complete,
    make_promoter,
    place_paid,
    refund_lines,
)
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def near(config, shopper):
    promoter = make_promoter("甲", upline=make_promoter("乙"))
    bind(shopper, promoter)
    return promoter


def statuses(order) -> list[tuple[int, str, Decimal]]:
    return list(
        CommissionRecord.objects.filter(order=order)
        .order_by("line_id", "level")
        .values_list("level", "status", "reversed_amount")
    )


def later(days: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days, minutes=1)


def test_release_waits_for_receipt_and_freeze_days_then_is_idempotent(
    shopper, store_a, divisions, near
):
    order = place_paid(shopper, [(brokerage_sku(store_a, "100.00"), 1)])
    assert commissions_release_due(now=later(30)) == 0  # not received yet
    complete(order)
    assert commissions_release_due(now=later(6)) == 0  # inside the freeze days

    assert commissions_release_due(now=later(7)) == 2
    assert commissions_release_due(now=later(8)) == 0

    assert [s for _l, s, _r in statuses(order)] == ["available", "available"]
    near.refresh_from_db()
    assert near.balance == D("10.00")
    assert list(near.balance_entries.values_list("type", "amount")) == [("commission", D("10.00"))]
    record = CommissionRecord.objects.get(order=order, level=1)
    assert list(record.events.values_list("kind", "to_status")) == [
        ("created", "frozen"),
        ("released", "available"),
    ]
    assert_ledger_balanced()


@pytest.mark.parametrize("path", ["sql", "orm"])
def test_release_rows_carry_their_keys_texts_and_real_time(
    shopper, store_a, divisions, near, path, monkeypatch
):
    # given a received order; "orm": the bookings and event rows as written off PostgreSQL
    if path == "orm":
        monkeypatch.setattr(commissions, "_release_book_sql", commissions._release_book_orm)
        monkeypatch.setattr(transitions, "_events_set_based", lambda connection: False)
    elif connection.vendor != "postgresql":
        pytest.skip("the set-based release is PostgreSQL's")
    order = complete(place_paid(shopper, [(brokerage_sku(store_a, "100.00"), 1)]))
    before = timezone.now()

    # when the job runs with its clock 7 days on
    assert commissions_release_due(now=later(7)) == 2

    # then each record has its event, balance entry and settlement entry, keyed and worded
    # alike on both paths, stamped with the real time (statements collect by it)
    record = CommissionRecord.objects.get(order=order, level=1)
    assert record.available_at > later(6)
    event = record.events.get(kind="released")
    assert (event.from_status, event.to_status, event.reason, event.payload) == (
        "frozen",
        "available",
        "冻结期满，佣金入账",
        {"amount": "10.00"},
    )
    entry = BalanceEntry.objects.get(commission=record)
    assert (entry.idempotency_key, entry.reason, entry.amount) == (
        f"commission:{record.pk}",
        f"订单 {order.number} 佣金",
        D("10.00"),
    )
    ledger = LedgerEntry.objects.get(idempotency_key=f"distribution_commission:{record.pk}:release")
    assert (ledger.store_id, ledger.amount, ledger.order_id, ledger.reference, ledger.reason) == (
        store_a.pk,
        D("-10.00"),
        order.pk,
        order.number,
        f"1级分销佣金 · {near.code}",
    )
    for row in (event, entry, ledger):
        assert before <= row.created_at <= timezone.now()
    near.refresh_from_db()
    assert near.balance == D("10.00")
    assert_ledger_balanced()


def test_an_open_after_sale_holds_the_release(shopper, store_a, divisions, near):
    order = place_paid(shopper, [(brokerage_sku(store_a, "100.00"), 1)])
    complete(order)
    aftersale_create(
        buyer=shopper,
        order=order,
        type=AfterSale.Type.REFUND_ONLY,
        reason="damaged",
        lines={order.lines.get().pk: 1},
    )
    assert commissions_release_due(now=later(30)) == 0


def test_the_beat_task_releases_with_the_configured_freeze_days(
    shopper, store_a, divisions, near, settings
):
    assert "distribution-release-commissions" in settings.PERIODIC_TASKS
    config_update(actor=None, freeze_days=0)
    order = complete(place_paid(shopper, [(brokerage_sku(store_a, "100.00"), 1)]))
    assert commissions_release_due_task.delay().get() == 2
    assert {s for _l, s, _r in statuses(order)} == {"available"}


def test_partial_refund_reduces_frozen_records_pro_rata(shopper, store_a, divisions, near):
    order = place_paid(shopper, [(brokerage_sku(store_a, "33.33"), 3)])
    line = order.lines.get()

    refund_lines(order, {line.pk: 1}, "33.33", "R-1")
    refund_lines(order, {line.pk: 1}, "33.33", "R-1")  # the same refund again: nothing
    commissions_apply_refund(order=order, reference="R-1")  # a re-delivered signal: nothing

    # 99.99 × 10 % = 10.00 → 10.00 × ⅔ = 6.67 kept; 5.00 × ⅔ = 3.33 kept
    assert statuses(order) == [(1, "frozen", D("3.33")), (2, "frozen", D("1.67"))]
    refund_lines(order, {line.pk: 2}, "66.66", "R-2")
    assert statuses(order) == [(1, "cancelled", D("10.00")), (2, "cancelled", D("5.00"))]
    assert not BalanceEntry.objects.exists()


def test_refund_after_release_claws_back_and_may_go_negative(shopper, store_a, divisions, near):
    config_update(actor=None, withdrawal_min=D("1"), freeze_days=0)
    order = complete(place_paid(shopper, [(brokerage_sku(store_a, "100.00"), 2)]))
    commissions_release_due(now=later(0))
    from apps.distribution.services.withdrawals import withdrawal_apply

    withdrawal_apply(promoter=near, amount="20.00", method="alipay", account_number="a@b.cn")
    line = order.lines.get()

    refund_lines(order, {line.pk: 1}, "100.00", "AS-1")

    near.refresh_from_db()
    assert near.balance == D("-10.00")  # 20 earned − 20 withdrawn − 10 clawed back
    assert list(near.balance_entries.order_by("id").values_list("type", "amount")) == [
        ("commission", D("20.00")),
        ("withdrawal", D("-20.00")),
        ("clawback", D("-10.00")),
    ]
    assert statuses(order) == [(1, "available", D("10.00")), (2, "available", D("5.00"))]
    assert_ledger_balanced()


def test_merchant_store_pays_via_settlement_and_self_operated_store_does_not(
    shopper, store_a, divisions, near
):
    config_update(actor=None, freeze_days=0)
    own_store = StoreFactory(type=StoreType.SELF_OPERATED)
    merchant_order = complete(place_paid(shopper, [(brokerage_sku(store_a, "100.00"), 1)]))
    own_order = complete(place_paid(shopper, [(brokerage_sku(own_store, "100.00"), 1)]))
    commissions_release_due(now=later(0))
    refund_lines(merchant_order, {merchant_order.lines.get().pk: 1}, "100.00", "AS-9")

    assert list(
        LedgerEntry.objects.filter(type="distribution_commission")
        .order_by("id")
        .values_list("store_id", "amount")
    ) == [
        (store_a.pk, D("-10.00")),
        (store_a.pk, D("-5.00")),
        (store_a.pk, D("10.00")),
        (store_a.pk, D("5.00")),
    ]
    assert not LedgerEntry.objects.filter(store=own_store, type="distribution_commission")
    assert CommissionRecord.objects.filter(order=own_order, status="available").count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refund_racing_the_release_job_ends_consistent(store_a, divisions):
    config_update(actor=None, freeze_days=0)
    buyer = UserFactory()
    promoter = make_promoter("甲")
    bind(buyer, promoter)
    order = complete(place_paid(buyer, [(brokerage_sku(store_a, "100.00"), 1)]))
    line_id = order.lines.get().pk
    barrier, errors = threading.Barrier(2), []

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: commissions_release_due(now=later(0)),)),
        threading.Thread(
            target=run,
            args=(
                lambda: refund_lines(Order.objects.get(pk=order.pk), {line_id: 1}, "100.00", "X"),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    commissions_release_due(now=later(0))  # whatever the first run skipped

    assert errors == []
    record = CommissionRecord.objects.get(order=order)
    assert record.status == "cancelled"
    promoter.refresh_from_db()
    assert promoter.balance == D("0.00")  # either never released, or released and clawed back
    assert_ledger_balanced()
