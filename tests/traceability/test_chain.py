import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.traceability.chain import chain_verify, event_rows, lot_events_verify
from apps.traceability.hashing import (
    EventFacts,
    EventLotFacts,
    canonical_decimal,
    canonical_event,
    canonical_time,
    chain_hash,
    event_hash,
)
from apps.traceability.models import GENESIS_HASH, ChainAnchor, ChainHead, TraceEvent
from apps.traceability.services.anchors import chain_anchor_publish
from apps.traceability.services.events import (
    EventLotInput,
    trace_event_correct,
    trace_event_record,
)
from apps.traceability.tasks import chain_anchor_publish_task
from tests.traceability.conftest import make_lot

pytestmark = pytest.mark.django_db

Step = TraceEvent.BusinessStep


def _facts(**overrides) -> EventFacts:
    values = {
        "uuid": "6f1c1f9e-0000-4000-8000-000000000001",
        "store_id": 7,
        "event_type": "object",
        "action": "OBSERVE",
        "business_step": "shipping",
        "disposition": "in_transit",
        "event_time": datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC),
        "recorded_at": datetime(2026, 3, 1, 8, 31, tzinfo=UTC),
        "location_id": None,
        "actor_ref": "user:3",
        "corrects_id": None,
        "extra": {"temperature_c": "3.5", "b": [1, "二"]},
        "lots": (EventLotFacts(lot_id=9, role="subject", quantity=Decimal("12.500"), unit="kg"),),
    }
    values.update(overrides)
    return EventFacts(**values)


def test_canonical_json_sorts_keys_uses_utc_milliseconds_and_decimal_strings():
    document = json.loads(canonical_event(_facts()))

    assert list(document) == sorted(document)
    assert document["eventTime"] == "2026-03-01T08:30:00.123Z"
    assert document["lots"] == [{"lot": 9, "quantity": "12.5", "role": "subject", "unit": "kg"}]
    assert b" " not in canonical_event(_facts()).replace("二".encode(), b"")
    assert "二" in canonical_event(_facts()).decode()  # UTF-8, not \u escapes


def test_canonical_time_converts_to_utc():
    shanghai = timezone.get_fixed_timezone(8 * 60)

    assert (
        canonical_time(datetime(2026, 3, 1, 16, 0, tzinfo=shanghai)) == "2026-03-01T08:00:00.000Z"
    )
    assert canonical_decimal(Decimal("100")) == "100"
    assert canonical_decimal(Decimal("0.000")) == "0"


def test_event_hash_changes_with_any_covered_field_and_not_with_lot_order():
    base = event_hash(_facts())

    assert base == hashlib.sha256(canonical_event(_facts())).hexdigest()
    assert event_hash(_facts(disposition="destroyed")) != base
    assert event_hash(_facts(extra={"temperature_c": "9.5", "b": [1, "二"]})) != base
    two = (
        EventLotFacts(lot_id=1, role="input", quantity=None, unit=""),
        EventLotFacts(lot_id=2, role="output", quantity=Decimal("1"), unit="kg"),
    )
    assert event_hash(_facts(lots=two)) == event_hash(_facts(lots=tuple(reversed(two))))


def test_chain_hash_is_sha256_of_previous_and_event_hash_hex():
    assert (
        chain_hash(GENESIS_HASH, "ab" * 32)
        == hashlib.sha256((GENESIS_HASH + "ab" * 32).encode()).hexdigest()
    )


def test_appended_events_form_a_gap_free_chain(store_a, rice, plot_a):
    # given a lot (harvest event) and two more events
    lot = make_lot(store_a, rice, plot=plot_a)
    trace_event_record(
        store=store_a,
        business_step=Step.PACKING,
        lots=[EventLotInput(lot=lot, quantity=Decimal("500"))],
        actor=None,
    )
    trace_event_record(
        store=store_a,
        business_step=Step.SHIPPING,
        lots=[EventLotInput(lot=lot)],
        actor=None,
        extra={"temperature_c": "4", "vehicle": "黑A12345"},
    )

    events = list(TraceEvent.objects.filter(store=store_a).order_by("sequence"))

    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].previous_hash == GENESIS_HASH
    assert events[1].previous_hash == events[0].chain_hash
    assert events[2].previous_hash == events[1].chain_hash
    head = ChainHead.objects.get(store=store_a)
    assert (head.last_sequence, head.last_chain_hash) == (3, events[2].chain_hash)
    report = chain_verify(store_id=store_a.pk)
    assert (report.is_valid, report.checked, report.head_hash) == (True, 3, events[2].chain_hash)


def test_chains_are_per_store(store_a, store_b, rice, orange):
    make_lot(store_a, rice, number="A-1")
    make_lot(store_b, orange, number="B-1")

    assert list(TraceEvent.objects.order_by("store_id").values_list("store_id", "sequence")) == [
        (store_a.pk, 1),
        (store_b.pk, 1),
    ]


def test_events_are_never_updated_or_deleted_through_the_orm(lot_a):
    event = TraceEvent.objects.get(store=lot_a.store)

    event.disposition = TraceEvent.Disposition.DESTROYED
    with pytest.raises(ApplicationError):
        event.save()
    with pytest.raises(ApplicationError):
        event.delete()
    with pytest.raises(ApplicationError):
        TraceEvent.objects.filter(pk=event.pk).update(disposition="destroyed")
    with pytest.raises(ApplicationError):
        TraceEvent.objects.filter(pk=event.pk).delete()
    assert TraceEvent.objects.get(pk=event.pk).disposition == TraceEvent.Disposition.ACTIVE


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def three_events(store_a, rice, plot_a):
    lot = make_lot(store_a, rice, plot=plot_a)
    for step in (Step.PACKING, Step.STORING):
        trace_event_record(
            store=store_a, business_step=step, lots=[EventLotInput(lot=lot)], actor=None
        )
    return list(TraceEvent.objects.filter(store=store_a).order_by("sequence"))


def test_a_row_edited_with_raw_sql_is_the_first_broken_link(store_a, three_events):
    # given a valid chain, when someone edits the second event's disposition in the database
    second = three_events[1]
    _tamper(
        f"UPDATE {TraceEvent._meta.db_table} SET disposition = %s WHERE id = %s",
        ["destroyed", second.pk],
    )

    report = chain_verify(store_id=store_a.pk)

    assert report.is_valid is False
    assert (report.broken_sequence, report.broken_event_id) == (2, second.pk)
    assert "哈希不符" in report.reason


def test_a_rehashed_row_breaks_the_next_link(store_a, three_events):
    # given the tamperer also recomputes the edited row's own hashes
    second = three_events[1]
    second.extra = {"note": "改过"}
    from apps.traceability.services.events import event_facts

    new_hash = event_hash(event_facts(second, list(second.event_lots.all())))
    _tamper(
        f"UPDATE {TraceEvent._meta.db_table} SET extra = %s, event_hash = %s, chain_hash = %s "
        "WHERE id = %s",
        [
            json.dumps({"note": "改过"}),
            new_hash,
            chain_hash(second.previous_hash, new_hash),
            second.pk,
        ],
    )

    report = chain_verify(store_id=store_a.pk)

    assert (report.is_valid, report.broken_sequence) == (False, 3)
    assert "不衔接" in report.reason


def test_a_lot_quantity_edited_in_an_event_link_is_detected(store_a, three_events):
    from apps.traceability.models import TraceEventLot

    first = three_events[0]
    _tamper(
        f"UPDATE {TraceEventLot._meta.db_table} SET quantity = %s WHERE event_id = %s",
        ["999.000", first.pk],
    )

    report = chain_verify(store_id=store_a.pk)

    assert (report.is_valid, report.broken_sequence) == (False, 1)


def test_a_deleted_row_is_a_gap_and_a_deleted_tail_disagrees_with_the_head(store_a, three_events):
    from apps.traceability.models import TraceEventLot

    last = three_events[2]
    _tamper(f"DELETE FROM {TraceEventLot._meta.db_table} WHERE event_id = %s", [last.pk])
    _tamper(f"DELETE FROM {TraceEvent._meta.db_table} WHERE id = %s", [last.pk])

    report = chain_verify(store_id=store_a.pk)

    assert (report.is_valid, report.broken_sequence) == (False, 3)
    assert "缺失" in report.reason


def test_a_rewritten_chain_disagrees_with_the_published_anchor(store_a, three_events):
    # given yesterday's anchor was published over the 3 events
    ChainAnchor.objects.create(
        anchor_date=timezone.localdate(),
        store=store_a,
        last_sequence=3,
        chain_hash=three_events[2].chain_hash,
        event_count=3,
    )
    assert chain_verify(store_id=store_a.pk).anchors_checked == 1
    # when the last event's hashes are rewritten consistently (head row too)
    fake = "f" * 64
    _tamper(
        f"UPDATE {TraceEvent._meta.db_table} SET chain_hash = %s WHERE id = %s",
        [fake, three_events[2].pk],
    )

    report = chain_verify(store_id=store_a.pk)

    assert report.is_valid is False


def test_lot_verification_checks_its_events_and_their_neighbours(store_a, three_events):
    events = event_rows(TraceEvent.objects.filter(store=store_a).order_by("sequence"))
    assert lot_events_verify(events).is_valid is True

    _tamper(
        f"UPDATE {TraceEvent._meta.db_table} SET business_step = %s WHERE id = %s",
        ["destroying", events[1].id],
    )
    events = event_rows(TraceEvent.objects.filter(store=store_a).order_by("sequence"))
    result = lot_events_verify(events)

    assert result.is_valid is False
    assert result.problems == ["#2 内容与哈希不符"]


def test_a_correction_is_a_new_event_pointing_at_the_old_one(store_a, lot_a, merchant_a):
    wrong = trace_event_record(
        store=store_a,
        business_step=Step.STORING,
        lots=[EventLotInput(lot=lot_a)],
        actor=merchant_a,
        extra={"temperature_c": "40"},
    )

    fixed = trace_event_correct(
        event=wrong, actor=merchant_a, reason="温度录入错误", extra={"temperature_c": "4"}
    )

    wrong.refresh_from_db()
    assert wrong.extra == {"temperature_c": "40"}
    assert fixed.corrects_id == wrong.pk
    assert fixed.extra == {"temperature_c": "4", "correction_reason": "温度录入错误"}
    assert list(fixed.event_lots.values_list("lot_id", flat=True)) == [lot_a.pk]
    assert chain_verify(store_id=store_a.pk).is_valid is True


def test_a_correction_needs_a_reason_and_system_events_cannot_be_corrected(lot_a, merchant_a):
    harvest = TraceEvent.objects.get(business_step=Step.COMMISSIONING)
    count = TraceEvent.objects.count()

    with pytest.raises(ApplicationError) as no_reason:
        trace_event_correct(event=harvest, actor=merchant_a, reason=" ")
    with pytest.raises(ApplicationError) as system:
        trace_event_correct(event=harvest, actor=merchant_a, reason="改采收日期")

    assert no_reason.value.code == "trace_reason_required"
    assert system.value.code == "trace_step_not_allowed"
    assert TraceEvent.objects.count() == count


def test_merchant_cannot_record_events_on_another_stores_chain(store_a, lot_a, merchant_b):
    with pytest.raises(ApplicationError) as exc:
        trace_event_record(
            store=store_a,
            business_step=Step.STORING,
            lots=[EventLotInput(lot=lot_a)],
            actor=merchant_b,
        )

    assert exc.value.code == "trace_wrong_store"
    assert TraceEvent.objects.count() == 1


def test_floats_in_extra_are_refused_and_future_times_too(store_a, lot_a):
    with pytest.raises(ApplicationError) as floats:
        trace_event_record(
            store=store_a,
            business_step=Step.STORING,
            lots=[EventLotInput(lot=lot_a)],
            actor=None,
            extra={"temperature_c": 3.5},
        )
    with pytest.raises(ApplicationError) as future:
        trace_event_record(
            store=store_a,
            business_step=Step.STORING,
            lots=[EventLotInput(lot=lot_a)],
            actor=None,
            event_time=timezone.now() + timedelta(hours=1),
        )

    assert floats.value.code == "trace_extra_invalid"
    assert future.value.code == "trace_date_in_future"


def test_daily_anchor_publishes_each_store_head_and_a_global_digest(store_a, store_b, rice, orange):
    make_lot(store_a, rice, number="A-1")
    make_lot(store_b, orange, number="B-1")
    today = timezone.localdate()

    created = chain_anchor_publish_task.delay(today.isoformat()).get()
    again = chain_anchor_publish(anchor_date=today)

    assert created == 3
    assert again == []  # idempotent
    anchors = {a.store_id: a for a in ChainAnchor.objects.all()}
    head_a = ChainHead.objects.get(store=store_a)
    assert (anchors[store_a.pk].chain_hash, anchors[store_a.pk].last_sequence) == (
        head_a.last_chain_hash,
        1,
    )
    assert anchors[None].event_count == 2
    assert all(a.is_chain_valid for a in anchors.values())


def test_anchor_of_a_day_ignores_later_events(store_a, rice):
    make_lot(store_a, rice, number="A-1")
    yesterday = timezone.localdate() - timedelta(days=1)

    chain_anchor_publish(anchor_date=yesterday)

    assert ChainAnchor.objects.filter(store=store_a).count() == 0
    assert ChainAnchor.objects.get(store=None).chain_hash == GENESIS_HASH


def _reference_json(facts: EventFacts) -> bytes:
    """The canonical JSON as the docs define it: json.dumps of the document."""
    document = {
        "v": 1,
        "uuid": str(facts.uuid),
        "store": facts.store_id,
        "type": facts.event_type,
        "action": facts.action,
        "bizStep": facts.business_step,
        "disposition": facts.disposition,
        "eventTime": canonical_time(facts.event_time),
        "recordTime": canonical_time(facts.recorded_at),
        "location": facts.location_id,
        "actor": facts.actor_ref,
        "corrects": facts.corrects_id,
        "extra": facts.extra,
        "lots": [
            {
                "lot": lot.lot_id,
                "role": lot.role,
                "quantity": canonical_decimal(lot.quantity),
                "unit": lot.unit,
            }
            for lot in sorted(facts.lots, key=lambda lot: (lot.role, lot.lot_id))
        ],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"extra": {}, "lots": (), "location_id": 12, "corrects_id": 3},
        {"extra": {"note": 'quote " back\\ slash \n 换行 😀', "nested": {"b": [True, None, 3]}}},
        {"actor_ref": 'user:"1"', "disposition": "non_conformant"},
        {
            "lots": (
                EventLotFacts(lot_id=5, role="output", quantity=Decimal("0.000"), unit="kg"),
                EventLotFacts(lot_id=2, role="input", quantity=Decimal("1E+3"), unit="箱"),
                EventLotFacts(lot_id=1, role="input", quantity=None, unit=""),
            )
        },
    ],
)
def test_fast_canonical_json_is_byte_for_byte_json_dumps(overrides):
    facts = _facts(**overrides)

    assert canonical_event(facts) == _reference_json(facts)


def test_anchor_and_expiry_jobs_are_on_the_beat_schedule(settings):
    from celery.schedules import crontab

    from config.celery import app, build_beat_schedule

    schedule = build_beat_schedule(settings.PERIODIC_TASKS)

    anchor = schedule["traceability-publish-chain-anchors"]
    assert anchor["task"] == "apps.traceability.tasks.chain_anchor_publish_task"
    assert anchor["schedule"] == crontab(hour="0", minute="5")
    assert schedule["traceability-expire-lots"]["task"] in app.tasks
    assert anchor["task"] in app.tasks
