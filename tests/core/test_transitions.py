"""apps.core.transitions.transition: the one way a stateful object changes its status."""

import datetime
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.core.transitions import event_record, transition, transition_allowed, transition_check
from apps.settlement.errors import SettlementErrorCode
from apps.settlement.models import SettlementStatement, StatementEvent
from apps.stores.errors import StoreErrorCode
from apps.stores.models import Store, StoreEvent
from apps.traceability.models import Lot, LotStatusChange
from tests.core.helpers import lot_make

pytestmark = pytest.mark.django_db

Status = SettlementStatement.Status


@pytest.fixture
def statement(store_a):
    return SettlementStatement.objects.create(
        store=store_a,
        period_start=datetime.date(2026, 11, 30),
        period_end=datetime.date(2026, 12, 6),
    )


def test_an_allowed_move_saves_the_status_stamps_its_time_and_writes_the_event_row(
    statement, staff
):
    before = timezone.now()

    event = transition(
        statement,
        Status.CONFIRMED,
        actor=staff,
        reason="财务确认",
        payload={"net": "10.00"},
        kind="confirmed",
    )

    statement.refresh_from_db()
    assert statement.status == Status.CONFIRMED
    assert statement.confirmed_at >= before  # SettlementStatement.STATUS_TIMESTAMPS
    assert statement.paid_out_at is None
    assert StatementEvent.objects.get() == event
    assert (event.statement, event.kind, event.from_status, event.to_status) == (
        statement,
        "confirmed",
        Status.OPEN,
        Status.CONFIRMED,
    )
    assert (event.actor, event.reason, event.payload) == (staff, "财务确认", {"net": "10.00"})


def test_a_forbidden_move_raises_the_models_own_code_and_changes_nothing(statement, store_a):
    with pytest.raises(ApplicationError) as refused:
        transition(statement, Status.PAID_OUT, reason="跳过确认")
    assert (refused.value.code, refused.value.status_code) == (
        SettlementErrorCode.INVALID_TRANSITION,
        409,
    )
    assert "不能从「待确认」变为「已打款」" in refused.value.message

    store_a.status = Store.Status.CLOSED
    store_a.save()
    with pytest.raises(ApplicationError) as refused:
        transition_check(store_a, Store.Status.ACTIVE)
    assert refused.value.code == StoreErrorCode.INVALID_TRANSITION
    assert not transition_allowed(store_a, Store.Status.ACTIVE)

    statement.refresh_from_db()
    assert statement.status == Status.OPEN
    assert not StatementEvent.objects.exists()


def test_the_move_saves_only_status_its_stamp_the_callers_fields_and_updated_at(statement):
    statement.payout_reference = "not passed in fields"
    statement.net_payable = 123

    with CaptureQueriesContext(connection) as queries:
        transition(statement, Status.CONFIRMED)

    update = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE"))
    assert "payout_reference" not in update
    assert "net_payable" not in update
    statement.refresh_from_db()
    assert (statement.payout_reference, statement.net_payable) == ("", 0)

    statement.payout_reference = "PAY-1"
    transition(statement, Status.PAID_OUT, fields=["payout_reference"])
    statement.refresh_from_db()
    assert (statement.status, statement.payout_reference) == (Status.PAID_OUT, "PAY-1")


def test_at_gives_the_stamped_time(statement):
    earlier = timezone.now() - timedelta(days=2)
    transition(statement, Status.CONFIRMED, at=earlier)
    statement.refresh_from_db()
    assert statement.confirmed_at == earlier


def test_the_event_row_keeps_no_anonymous_actor_and_cuts_the_reason_to_its_column(store_a):
    from django.contrib.auth.models import AnonymousUser

    transition(store_a, Store.Status.SUSPENDED, actor=AnonymousUser(), reason="停" * 600)

    event = StoreEvent.objects.get(store=store_a)
    assert event.actor is None
    assert event.reason == "停" * 500


def test_a_model_names_its_event_rows_when_they_are_not_events(store_a, shopper):
    lot = lot_make(store_a)
    transition(lot, Lot.Status.ON_HOLD, actor=shopper, reason="待检")
    note = event_record(lot, kind="note", reason="已抽样")

    rows = list(LotStatusChange.objects.filter(lot=lot).order_by("id"))
    assert [(r.kind, r.from_status, r.to_status) for r in rows] == [
        ("status", Lot.Status.ACTIVE, Lot.Status.ON_HOLD),
        ("note", Lot.Status.ON_HOLD, Lot.Status.ON_HOLD),
    ]
    assert rows[-1] == note
