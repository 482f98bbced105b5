"""apps.core.transitions.transition_many: the set-based form of `transition`."""

import datetime
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.core import transitions
from apps.core.transitions import transition_many
from apps.settlement.models import SettlementStatement, StatementEvent
from apps.stores.models import Store, StoreEvent
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

StoreStatus = Store.Status


@pytest.fixture
def stores():
    """One store in each status."""
    return {status: StoreFactory(status=status) for status in StoreStatus.values}


def test_rows_in_an_allowed_source_move_each_with_its_own_from_status(stores, staff):
    # when every store is closed at once (pending, active and suspended may close)
    moved = transition_many(
        Store.objects.all(),
        StoreStatus.CLOSED,
        actor=staff,
        reason="县里统一清理",
        payload={"batch": 7},
        kind="closed",
    )

    # then the three that may close moved, in pk order, each recording where it came from
    expected = [StoreStatus.PENDING, StoreStatus.ACTIVE, StoreStatus.SUSPENDED]
    assert moved == [
        {"pk": stores[status].pk, "from_status": status}
        for status in sorted(expected, key=lambda s: stores[s].pk)
    ]
    assert set(Store.objects.values_list("status", flat=True)) == {StoreStatus.CLOSED}
    events = StoreEvent.objects.order_by("store_id")
    assert [
        (e.store_id, e.from_status, e.to_status, e.kind, e.actor, e.reason, e.payload)
        for e in events
    ] == [
        (stores[s].pk, s, "closed", "closed", staff, "县里统一清理", {"batch": 7})
        for s in sorted(expected, key=lambda s: stores[s].pk)
    ]
    # the store already closed was not an allowed source: untouched, no event
    assert not StoreEvent.objects.filter(store=stores[StoreStatus.CLOSED]).exists()


def test_a_second_call_moves_nothing_and_writes_nothing(stores):
    first = transition_many(Store.objects.all(), StoreStatus.CLOSED)
    assert len(first) == 3

    assert transition_many(Store.objects.all(), StoreStatus.CLOSED) == []
    assert StoreEvent.objects.count() == 3


def test_from_statuses_narrows_the_sources_and_refuses_a_source_the_table_does_not_allow(stores):
    moved = transition_many(
        Store.objects.all(), StoreStatus.CLOSED, from_statuses=[StoreStatus.SUSPENDED]
    )
    assert [row["pk"] for row in moved] == [stores[StoreStatus.SUSPENDED].pk]
    assert Store.objects.get(pk=stores[StoreStatus.ACTIVE].pk).status == StoreStatus.ACTIVE

    # closed → active is not in Store.TRANSITIONS: a programming error, nothing written
    with pytest.raises(ValueError, match="closed"):
        transition_many(Store.objects.all(), StoreStatus.ACTIVE, from_statuses=[StoreStatus.CLOSED])
    assert StoreEvent.objects.count() == 1


def test_stamps_values_returning_and_a_payload_per_row(store_a):
    first = datetime.date(2026, 11, 2)
    statements = [
        SettlementStatement.objects.create(
            store=store_a,
            period_start=first + timedelta(weeks=week),
            period_end=first + timedelta(weeks=week, days=6),
        )
        for week in range(3)
    ]
    SettlementStatement.objects.filter(pk=statements[2].pk).update(
        status=SettlementStatement.Status.CONFIRMED
    )
    at = timezone.now() - timedelta(hours=1)
    before = timezone.now()

    moved = transition_many(
        SettlementStatement.objects.all(),
        SettlementStatement.Status.CONFIRMED,
        at=at,
        values={"period_end": F("period_end") + timedelta(days=1)},
        returning=("period_start",),
        payload=lambda row: {"period": row["period_start"].isoformat()},
    )

    # the two open ones moved; the returned columns are read as they were locked
    assert moved == [
        {"pk": s.pk, "from_status": "open", "period_start": s.period_start} for s in statements[:2]
    ]
    for statement in statements[:2]:
        fresh = SettlementStatement.objects.get(pk=statement.pk)
        assert fresh.confirmed_at == at  # STATUS_TIMESTAMPS, stamped with `at`
        assert fresh.period_end == statement.period_end + timedelta(days=1)
        assert fresh.updated_at >= before
    assert SettlementStatement.objects.get(pk=statements[2].pk).period_end == (
        statements[2].period_end
    )
    assert sorted(StatementEvent.objects.values_list("statement_id", "payload")) == [
        (s.pk, {"period": s.period_start.isoformat()}) for s in statements[:2]
    ]


@pytest.mark.parametrize("set_based", [True, False], ids=["insert-select", "bulk_create"])
def test_both_ways_of_writing_events_write_the_same_rows(stores, staff, set_based, monkeypatch):
    if set_based and connection.vendor != "postgresql":
        pytest.skip("event rows go in by INSERT … SELECT on PostgreSQL only")
    monkeypatch.setattr(transitions, "_events_set_based", lambda connection: set_based)
    before = timezone.now()

    transition_many(
        Store.objects.all(),
        StoreStatus.CLOSED,
        actor=staff,
        reason="原因" * 400,  # cut to the column, as transition() does
        payload=lambda row: {"from": row["from_status"]},
    )

    rows = list(
        StoreEvent.objects.order_by("store_id").values_list(
            "from_status", "to_status", "kind", "actor", "reason", "payload"
        )
    )
    assert rows == [
        (s, "closed", "status", staff.pk, ("原因" * 400)[:500], {"from": s})
        for s in sorted(
            [StoreStatus.PENDING, StoreStatus.ACTIVE, StoreStatus.SUSPENDED],
            key=lambda s: stores[s].pk,
        )
    ]
    assert all(before <= e.created_at <= timezone.now() for e in StoreEvent.objects.all())


def test_three_statements_whatever_the_number_of_rows(django_assert_num_queries):
    StoreFactory.create_batch(25)
    with django_assert_num_queries(3):  # lock and read, guarded update, events
        moved = transition_many(Store.objects.all(), StoreStatus.SUSPENDED)
    assert len(moved) == 25
    assert StoreEvent.objects.count() == 25


def test_it_runs_in_the_callers_transaction(stores):
    def close_then_fail():
        with transaction.atomic():
            transition_many(Store.objects.all(), StoreStatus.CLOSED)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        close_then_fail()

    assert Store.objects.filter(status=StoreStatus.CLOSED).count() == 1
    assert not StoreEvent.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_move_each_row_once():
    # given 40 active stores and four workers closing them all at the same moment
    stores = StoreFactory.create_batch(40)
    barrier, errors, moved = threading.Barrier(4), [], []

    def close_all():
        try:
            barrier.wait()
            with transaction.atomic():
                moved.extend(transition_many(Store.objects.all(), StoreStatus.CLOSED))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=close_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every store moved exactly once, by one worker, with one event row
    assert errors == []
    assert sorted(row["pk"] for row in moved) == sorted(s.pk for s in stores)
    assert {row["from_status"] for row in moved} == {StoreStatus.ACTIVE}
    assert StoreEvent.objects.count() == 40
    assert set(Store.objects.values_list("status", flat=True)) == {StoreStatus.CLOSED}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_moved_elsewhere_meanwhile_is_not_moved_again():
    # given an active store that another transaction closes while a bulk move waits on its lock
    store = StoreFactory()
    locked, go_on = threading.Event(), threading.Event()

    def close_first():
        try:
            with transaction.atomic():
                row = Store.objects.select_for_update().get(pk=store.pk)
                locked.set()
                go_on.wait(10)
                transitions.transition(row, StoreStatus.CLOSED)
        finally:
            connection.close()

    thread = threading.Thread(target=close_first)
    thread.start()
    locked.wait(10)
    threading.Timer(0.3, go_on.set).start()  # let the bulk move below queue on the lock
    # when a bulk suspend (allowed from active) runs meanwhile: it waits for the lock, then
    # re-reads the row, now closed, and leaves it alone (no lost update, no false event)
    with transaction.atomic():
        moved = transition_many(Store.objects.filter(pk=store.pk), StoreStatus.SUSPENDED)
    thread.join()

    assert moved == []
    assert Store.objects.get(pk=store.pk).status == StoreStatus.CLOSED
    assert list(StoreEvent.objects.values_list("from_status", "to_status")) == [
        ("active", "closed")
    ]
