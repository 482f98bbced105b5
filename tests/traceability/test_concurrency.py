"""Appends from many connections at once never fork the chain (PostgreSQL row locks)."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from apps.traceability.chain import chain_verify
from apps.traceability.models import ChainHead, Lot, TraceCode, TraceEvent
from apps.traceability.services.codes import trace_code_register_scan, trace_codes_generate
from apps.traceability.services.events import EventLotInput, trace_event_record
from tests.traceability.conftest import make_lot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
PER_THREAD = 10


def _run_threads(target, count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def wrapper(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_appends_form_one_gap_free_chain(store_a, rice):
    # given a lot (its harvest event is #1), when 8 connections append 10 events each
    lot_id = make_lot(store_a, rice).pk

    def append(index: int) -> None:
        lot = Lot.objects.get(pk=lot_id)
        for n in range(PER_THREAD):
            trace_event_record(
                store=lot.store,
                business_step=TraceEvent.BusinessStep.STORING,
                lots=[EventLotInput(lot=lot, quantity=Decimal(n + 1))],
                actor=None,
                extra={"thread": index, "n": n},
            )

    errors = _run_threads(append, THREADS)

    assert errors == []
    sequences = list(
        TraceEvent.objects.filter(store=store_a)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, THREADS * PER_THREAD + 2))
    previous = list(
        TraceEvent.objects.filter(store=store_a).values_list("previous_hash", flat=True)
    )
    assert len(set(previous)) == len(previous)  # no two events follow the same link
    report = chain_verify(store_id=store_a.pk)
    assert (report.is_valid, report.checked) == (True, THREADS * PER_THREAD + 1)


def test_the_first_appends_of_a_new_store_race_safely_for_the_head_row(store_b, orange):
    from apps.traceability.services.lots import lot_create
    from tests.traceability.conftest import make_party

    producer = make_party(store_b, name="乙农户")
    assert not ChainHead.objects.filter(store=store_b).exists()

    def create(index: int) -> None:
        lot_create(
            store=store_b,
            lot_number=f"B-{index}",
            product=orange,
            producer=producer,
            harvest_date=timezone.localdate(),
            quantity=Decimal(10),
            actor=None,
        )

    errors = _run_threads(create, THREADS)

    assert errors == []
    assert ChainHead.objects.get(store=store_b).last_sequence == THREADS
    assert chain_verify(store_id=store_b.pk).is_valid is True


def test_concurrent_scans_are_all_counted(store_a, rice):
    lot = make_lot(store_a, rice)
    code_id = TraceCode.objects.get(lot=lot).pk

    def scan(index: int) -> None:
        for _ in range(5):
            trace_code_register_scan(code=TraceCode.objects.get(pk=code_id))

    errors = _run_threads(scan, THREADS)

    assert errors == []
    assert TraceCode.objects.get(pk=code_id).scan_count == THREADS * 5


def test_concurrent_code_batches_never_share_package_numbers(store_a, rice):
    lot_id = make_lot(store_a, rice).pk

    def generate(index: int) -> None:
        trace_codes_generate(lot=Lot.objects.get(pk=lot_id), quantity=50, actor=None)

    errors = _run_threads(generate, 4)

    assert errors == []
    numbers = list(
        TraceCode.objects.filter(lot_id=lot_id, package_number__isnull=False).values_list(
            "package_number", flat=True
        )
    )
    assert sorted(numbers) == list(range(1, 201))


def test_mixed_writers_on_one_lot_never_deadlock(store_a, rice):
    # given a lot and a lot mixed from it: recalls, failed tests, holds and farm records all
    # lock lots before the chain head, so running them together cannot deadlock
    from apps.core.errors import ApplicationError
    from apps.traceability.services.lots import TransformInput, lot_hold, lot_recall, lot_transform
    from tests.traceability.conftest import inspect, make_plot, spray

    plot = make_plot(store_a)
    source = make_lot(store_a, rice, plot=plot)
    mixed = lot_transform(
        store=store_a,
        inputs=[TransformInput(lot=source, quantity=Decimal(10))],
        lot_number="MIX-1",
        product=rice,
        producer=source.producer,
        quantity=Decimal(10),
        unit="kg",
        actor=None,
    )
    ids = {"source": source.pk, "mixed": mixed.pk, "plot": plot.pk}

    def work(index: int) -> None:
        source = Lot.objects.get(pk=ids["source"])
        mixed = Lot.objects.get(pk=ids["mixed"])
        try:
            if index % 4 == 0:
                lot_recall(lot=source, actor=None, reason=f"召回 {index}")
            elif index % 4 == 1:
                inspect(mixed, "毒死蜱", passed=False)
            elif index % 4 == 2:
                lot_hold(lot=mixed, actor=None, reason=f"暂停 {index}")
            else:
                spray(
                    store_a,
                    source.plot,
                    applied_on=source.harvest_date - timedelta(days=1),
                    interval=30,
                )
        except ApplicationError:
            pass  # a move the state no longer allows (already recalled …) is a fine answer

    errors = _run_threads(work, THREADS)

    assert errors == []
    assert Lot.objects.get(pk=ids["mixed"]).status == Lot.Status.RECALLED
    assert chain_verify(store_id=store_a.pk).is_valid is True
