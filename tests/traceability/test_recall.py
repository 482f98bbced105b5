from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.models import Notification
from apps.core.errors import ApplicationError
from apps.traceability.models import Lot, LotStatusChange, TraceEvent
from apps.traceability.selectors import (
    lot_pick_for_sku,
    sku_ids_blocked_by_lots,
    sku_is_sellable_by_lots,
)
from apps.traceability.services.lots import (
    TransformInput,
    lot_allocation_check,
    lot_change_status,
    lot_hold,
    lot_recall,
    lot_release,
    lot_shipment_record,
    lot_transform,
    lots_expire_due,
)
from apps.traceability.signals import lot_recalled
from tests.factories import ProductFactory
from tests.traceability.conftest import make_lot

pytestmark = pytest.mark.django_db


def _days(n: int):
    return timezone.localdate() + timedelta(days=n)


def test_recall_sets_status_writes_a_holding_event_and_a_status_row(lot_a, merchant_a):
    recalled = lot_recall(lot=lot_a, actor=merchant_a, reason="抽检农残超标")

    lot_a.refresh_from_db()
    assert recalled == [lot_a]
    assert (lot_a.status, lot_a.status_reason) == (Lot.Status.RECALLED, "抽检农残超标")
    event = TraceEvent.objects.get(business_step="holding")
    assert (event.disposition, event.extra) == (
        "recalled",
        {"kind": "recall", "reason": "抽检农残超标"},
    )
    change = LotStatusChange.objects.filter(lot=lot_a).order_by("-id").first()
    assert (change.from_status, change.to_status, change.actor) == (
        "active",
        "recalled",
        merchant_a,
    )


def test_recall_needs_a_reason_and_the_right_person(lot_a, merchant_b, shopper):
    with pytest.raises(ApplicationError) as no_reason:
        lot_recall(lot=lot_a, actor=None, reason="  ")
    with pytest.raises(ApplicationError) as other_store:
        lot_recall(lot=lot_a, actor=merchant_b, reason="恶意召回")
    with pytest.raises(ApplicationError) as nobody:
        lot_recall(lot=lot_a, actor=shopper, reason="我觉得不好")

    lot_a.refresh_from_db()
    assert no_reason.value.code == "trace_reason_required"
    assert (other_store.value.status_code, nobody.value.status_code) == (403, 403)
    assert lot_a.status == Lot.Status.ACTIVE
    assert TraceEvent.objects.filter(business_step="holding").count() == 0


def test_staff_recall_notifies_the_store_members_and_announces_the_lots(
    lot_a, merchant_a, staff, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, lot_ids, reason, actor_id, **kwargs):
        received.append((lot_ids, reason, actor_id))

    lot_recalled.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            lot_recall(lot=lot_a, actor=staff, reason="监管部门通报")
    finally:
        lot_recalled.disconnect(receiver)

    assert received == [([lot_a.pk], "监管部门通报", staff.pk)]
    note = Notification.objects.get(user=merchant_a)
    assert note.title == f"批次 {lot_a.lot_number} 已被召回"
    assert "监管部门通报" in note.body


def test_recall_reaches_lots_mixed_from_the_recalled_one(store_a, rice, lot_a):
    other = make_lot(store_a, rice, number="B-1")
    mixed = lot_transform(
        store=store_a,
        inputs=[
            TransformInput(lot=lot_a, quantity=Decimal(100)),
            TransformInput(lot=other, quantity=Decimal(100)),
        ],
        lot_number="MIX-1",
        product=rice,
        producer=lot_a.producer,
        quantity=Decimal(200),
        unit="kg",
        actor=None,
    )

    recalled = lot_recall(lot=lot_a, actor=None, reason="源头批次问题")

    mixed.refresh_from_db()
    other.refresh_from_db()
    assert [lot.lot_number for lot in recalled] == [lot_a.lot_number, "MIX-1"]
    assert mixed.status == Lot.Status.RECALLED
    assert other.status == Lot.Status.ACTIVE


def test_a_sold_out_or_expired_lot_can_still_be_recalled_but_not_twice(lot_a):
    lot_change_status(lot=lot_a, to_status=Lot.Status.CONSUMED, actor=None, reason="售罄")

    lot_recall(lot=lot_a, actor=None, reason="事后发现问题")
    with pytest.raises(ApplicationError) as again:
        lot_recall(lot=lot_a, actor=None, reason="再来一次")

    assert again.value.code == "trace_invalid_transition"
    assert TraceEvent.objects.filter(business_step="holding").count() == 1


def test_disallowed_status_moves_are_refused(lot_a):
    lot_recall(lot=lot_a, actor=None, reason="召回")

    with pytest.raises(ApplicationError) as exc:
        lot_release(lot=lot_a, actor=None, reason="想恢复")

    assert (exc.value.code, exc.value.status_code) == ("trace_invalid_transition", 409)
    lot_a.refresh_from_db()
    assert lot_a.status == Lot.Status.RECALLED


# --- Effects on sales ------------------------------------------------------------------------


def test_a_recalled_lot_stops_its_skus_unless_another_active_lot_supplies_them(store_a, rice):
    five, ten = rice.skus.order_by("sort_order")
    first = make_lot(store_a, rice, number="A-1", skus=[five, ten])
    second = make_lot(store_a, rice, number="A-2", skus=[ten])

    lot_recall(lot=first, actor=None, reason="召回")

    assert sku_is_sellable_by_lots(sku=five) is False
    assert sku_is_sellable_by_lots(sku=ten) is True  # A-2 still supplies it
    lot_hold(lot=second, actor=None, reason="复检")
    assert sku_ids_blocked_by_lots([five.pk, ten.pk]) == {five.pk, ten.pk}
    lot_release(lot=second, actor=None, reason="复检合格")
    assert sku_ids_blocked_by_lots([five.pk, ten.pk]) == {five.pk}


def test_skus_without_lots_or_only_with_expired_active_lots(store_a, rice):
    untracked = ProductFactory(store=store_a).skus.get()
    five = rice.skus.order_by("sort_order").first()
    old = make_lot(
        store_a, rice, number="OLD", skus=[five], expiry_date=_days(-1), harvest_date=_days(-30)
    )
    recalled = make_lot(store_a, rice, number="BAD", skus=[five])
    lot_recall(lot=recalled, actor=None, reason="召回")

    assert sku_is_sellable_by_lots(sku=untracked) is True
    assert old.status == Lot.Status.ACTIVE  # not yet expired by the daily job
    assert sku_is_sellable_by_lots(sku=five) is False  # an expired lot supplies nothing


def test_blocked_skus_are_found_in_one_query(store_a, rice, django_assert_num_queries):
    skus = list(rice.skus.all())
    lot = make_lot(store_a, rice)
    lot_recall(lot=lot, actor=None, reason="召回")

    with django_assert_num_queries(1):
        blocked = sku_ids_blocked_by_lots([sku.pk for sku in skus])

    assert blocked == {sku.pk for sku in skus}


# --- For the orders issue --------------------------------------------------------------------


def test_default_lot_for_a_sku_is_the_first_expiring_active_one(store_a, rice):
    sku = rice.skus.order_by("sort_order").first()
    make_lot(store_a, rice, number="LATE", skus=[sku], expiry_date=_days(60))
    soon = make_lot(store_a, rice, number="SOON", skus=[sku], expiry_date=_days(10))
    undated = make_lot(store_a, rice, number="UNDATED", skus=[sku])
    make_lot(
        store_a, rice, number="GONE", skus=[sku], expiry_date=_days(-1), harvest_date=_days(-9)
    )
    held = make_lot(store_a, rice, number="HELD", skus=[sku], expiry_date=_days(1))
    lot_hold(lot=held, actor=None, reason="复检")

    assert lot_pick_for_sku(sku=sku) == soon
    Lot.objects.exclude(pk=undated.pk).update(status=Lot.Status.CONSUMED)
    assert lot_pick_for_sku(sku=sku) == undated


def test_no_lot_for_an_untracked_sku(store_a):
    assert lot_pick_for_sku(sku=ProductFactory(store=store_a).skus.get()) is None


def test_allocation_check_refuses_lots_not_supplying_the_sku_or_not_active(store_a, rice):
    five, ten = rice.skus.order_by("sort_order")
    lot = make_lot(store_a, rice, skus=[five])

    lot_allocation_check(lot=lot, sku=five)
    with pytest.raises(ApplicationError) as wrong_sku:
        lot_allocation_check(lot=lot, sku=ten)
    lot_hold(lot=lot, actor=None, reason="复检")
    lot.refresh_from_db()
    with pytest.raises(ApplicationError) as held:
        lot_allocation_check(lot=lot, sku=five)

    assert wrong_sku.value.code == "trace_sku_not_of_product"
    assert held.value.code == "trace_lot_not_active"


def test_shipment_record_is_one_shipping_event_with_quantities_per_lot(store_a, rice, lot_a):
    other = make_lot(store_a, rice, number="B-1")

    event = lot_shipment_record(
        store=store_a,
        allocations=[(lot_a, Decimal(2)), (other, Decimal(1)), (lot_a, Decimal(3))],
        actor=None,
        reference="TJ2026000001",
        extra={"carrier": "县域快递"},
    )

    assert (event.business_step, event.disposition) == ("shipping", "in_transit")
    assert sorted(event.event_lots.values_list("lot__lot_number", "quantity")) == [
        ("B-1", Decimal("1.000")),
        (lot_a.lot_number, Decimal("5.000")),
    ]
    assert event.extra == {
        "carrier": "县域快递",
        "kind": "order_shipment",
        "reference": "TJ2026000001",
    }


def test_daily_expiry_marks_overdue_lots(store_a, rice):
    overdue = make_lot(store_a, rice, number="OLD", expiry_date=_days(-1), harvest_date=_days(-20))
    fresh = make_lot(store_a, rice, number="NEW", expiry_date=_days(5))

    assert lots_expire_due() == 1

    overdue.refresh_from_db()
    fresh.refresh_from_db()
    assert (overdue.status, fresh.status) == (Lot.Status.EXPIRED, Lot.Status.ACTIVE)
