from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.traceability.models import Certificate, Inspection, Lot, Party, TraceEvent
from apps.traceability.services.certificates import certificate_issue
from apps.traceability.services.lots import TransformInput, lot_transform
from tests.traceability.conftest import inspect, make_lot, make_party, make_plot, spray

pytestmark = pytest.mark.django_db

Basis = Certificate.Basis


def _days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


# --- Safety interval -------------------------------------------------------------------------


def test_harvest_inside_a_safety_interval_flags_the_lot_and_refuses_a_certificate(
    store_a, rice, plot_a
):
    # given 吡虫啉 sprayed 5 days before harvest with a 7-day safety interval
    spray(store_a, plot_a, applied_on=_days_ago(7), interval=7)
    lot = make_lot(store_a, rice, plot=plot_a, harvest_date=_days_ago(2))

    with pytest.raises(ApplicationError) as exc:
        certificate_issue(lot=lot, basis=Basis.QUALITY_CONTROL, actor=None)

    assert lot.is_safety_flagged is True
    assert exc.value.code == "trace_safety_interval"
    assert "安全间隔期 7 天" in exc.value.message
    assert "仅间隔 5 天" in exc.value.message
    assert Certificate.objects.count() == 0


def test_harvest_exactly_at_the_end_of_the_interval_is_allowed(store_a, rice, plot_a):
    spray(store_a, plot_a, applied_on=_days_ago(9), interval=7)
    lot = make_lot(store_a, rice, plot=plot_a, harvest_date=_days_ago(2))

    certificate = certificate_issue(lot=lot, basis=Basis.QUALITY_CONTROL, actor=None)

    assert lot.is_safety_flagged is False
    assert certificate.basis == Basis.QUALITY_CONTROL


def test_a_late_farm_record_flags_and_holds_an_already_selling_lot(store_a, rice, plot_a):
    # given a lot on sale, when a spray 3 days before its harvest is recorded afterwards
    lot = make_lot(store_a, rice, plot=plot_a, harvest_date=_days_ago(2))
    spray(store_a, plot_a, applied_on=_days_ago(5), interval=14)

    lot.refresh_from_db()
    assert lot.is_safety_flagged is True
    assert lot.status == Lot.Status.ON_HOLD
    assert "安全间隔期" in lot.status_reason


def test_inputs_on_other_plots_or_after_harvest_do_not_count(store_a, rice, plot_a):
    other = make_plot(store_a, name="西坡")
    spray(store_a, other, applied_on=_days_ago(3), interval=30)
    spray(store_a, plot_a, applied_on=_days_ago(1), interval=30)  # after the harvest

    lot = make_lot(store_a, rice, plot=plot_a, harvest_date=_days_ago(2))

    assert lot.is_safety_flagged is False
    assert certificate_issue(lot=lot, basis=Basis.QUALITY_CONTROL, actor=None).pk


# --- Basis coverage --------------------------------------------------------------------------


@pytest.fixture
def sprayed_lot(store_a, rice, plot_a):
    spray(store_a, plot_a, applied_on=_days_ago(40), interval=7, ingredient="吡虫啉")
    spray(store_a, plot_a, applied_on=_days_ago(30), interval=14, ingredient="毒死蜱")
    return make_lot(store_a, rice, plot=plot_a, harvest_date=_days_ago(2))


def test_self_test_basis_without_any_test_is_refused(sprayed_lot):
    with pytest.raises(ApplicationError) as exc:
        certificate_issue(lot=sprayed_lot, basis=Basis.SELF_TEST, actor=None)

    assert exc.value.code == "trace_basis_not_covered"
    assert exc.value.fields["basis"] == [exc.value.message]
    assert Certificate.objects.count() == 0


def test_a_test_basis_must_cover_every_residue_input_used(sprayed_lot):
    inspect(sprayed_lot, "吡虫啉")  # 毒死蜱 not tested

    with pytest.raises(ApplicationError) as exc:
        certificate_issue(lot=sprayed_lot, basis=Basis.SELF_TEST, actor=None)

    assert exc.value.message == "检测未覆盖该批次实际使用的投入品：毒死蜱。"
    assert Certificate.objects.count() == 0


def test_a_covering_rapid_test_supports_self_test_but_not_entrusted_test(sprayed_lot):
    rapid = inspect(sprayed_lot, "吡虫啉", "毒 死 蜱")

    with pytest.raises(ApplicationError) as entrusted:
        certificate_issue(lot=sprayed_lot, basis=Basis.ENTRUSTED_TEST, actor=None)
    certificate = certificate_issue(lot=sprayed_lot, basis=Basis.SELF_TEST, actor=None)

    assert entrusted.value.code == "trace_basis_not_covered"
    assert list(certificate.inspections.all()) == [rapid]


def test_entrusted_test_issues_a_full_certificate(sprayed_lot, merchant_a, settings):
    settings.TRACE_CERTIFICATE_RETENTION_DAYS = 730
    lab = inspect(sprayed_lot, "吡虫啉", "毒死蜱", kind=Inspection.Kind.LAB)

    certificate = certificate_issue(
        lot=sprayed_lot,
        basis=Basis.ENTRUSTED_TEST,
        actor=merchant_a,
        scope=Certificate.Scope.PACKAGE,
        quantity=Decimal("500"),
    )

    today = timezone.localdate()
    assert certificate.number == f"HG{today:%Y%m%d}{sprayed_lot.store_id:05d}0001"
    assert (certificate.product_name, certificate.origin, certificate.producer_name) == (
        "五常稻花香大米",
        "五常市",
        "王大伯",
    )
    assert (certificate.phone, certificate.quantity, certificate.unit) == (
        "13812345678",
        Decimal("500.000"),
        "kg",
    )
    assert certificate.commitment_text.startswith("我承诺对生产销售的食用农产品")
    assert certificate.retention_until == today + timedelta(days=730)
    assert list(certificate.inspections.all()) == [lab]
    assert [i["ingredient"] for i in certificate.inputs_snapshot] == ["吡虫啉", "毒死蜱"]
    event = TraceEvent.objects.filter(extra__kind="certificate").get()
    assert event.extra["number"] == certificate.number


def test_a_failed_test_refuses_any_basis(store_a, rice, plot_a):
    lot = make_lot(store_a, rice, plot=plot_a)
    inspect(lot, "毒死蜱", passed=False)  # holds the lot
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.ACTIVE)
    lot.refresh_from_db()

    with pytest.raises(ApplicationError) as exc:
        certificate_issue(lot=lot, basis=Basis.QUALITY_CONTROL, actor=None)

    assert exc.value.code == "trace_inspection_failed"


def test_certificate_for_a_recalled_lot_or_over_its_quantity_is_refused(lot_a):
    with pytest.raises(ApplicationError) as too_much:
        certificate_issue(
            lot=lot_a, basis=Basis.QUALITY_CONTROL, actor=None, quantity=Decimal("1000.001")
        )
    Lot.objects.filter(pk=lot_a.pk).update(status=Lot.Status.RECALLED)
    lot_a.refresh_from_db()
    with pytest.raises(ApplicationError) as recalled:
        certificate_issue(lot=lot_a, basis=Basis.QUALITY_CONTROL, actor=None)

    assert too_much.value.code == "trace_quantity_exceeded"
    assert recalled.value.code == "trace_lot_not_active"
    assert Certificate.objects.count() == 0


def test_a_certificate_for_another_stores_lot_is_refused(lot_a, merchant_b):
    with pytest.raises(ApplicationError) as exc:
        certificate_issue(lot=lot_a, basis=Basis.QUALITY_CONTROL, actor=merchant_b)

    assert (exc.value.code, exc.value.status_code) == ("trace_wrong_store", 403)
    assert Certificate.objects.count() == 0


# --- Mixing and repacking --------------------------------------------------------------------


@pytest.fixture
def two_lots(store_a, rice):
    east = make_plot(store_a, name="东坡")
    west = make_plot(store_a, name="西坡")
    first = make_lot(store_a, rice, number="E-1", plot=east, harvest_date=_days_ago(5))
    second = make_lot(store_a, rice, number="W-1", plot=west, harvest_date=_days_ago(3))
    return first, second


def _mix(store, product, lots, quantities=("1000", "400"), number="MIX-1"):
    return lot_transform(
        store=store,
        inputs=[
            TransformInput(lot=lot, quantity=Decimal(q))
            for lot, q in zip(lots, quantities, strict=True)
        ],
        lot_number=number,
        product=product,
        producer=Party.objects.filter(store=store, name="分拣中心").first()
        or make_party(store, name="分拣中心", kind="cooperative"),
        quantity=Decimal("1400"),
        unit="kg",
        actor=None,
    )


def test_mixing_creates_a_transformation_event_and_consumes_used_up_inputs(store_a, rice, two_lots):
    first, second = two_lots

    mixed = _mix(store_a, rice, two_lots)

    event = TraceEvent.objects.get(event_type="transformation")
    roles = sorted(event.event_lots.values_list("lot__lot_number", "role", "quantity"))
    assert roles == [
        ("E-1", "input", Decimal("1000.000")),
        ("MIX-1", "output", Decimal("1400.000")),
        ("W-1", "input", Decimal("400.000")),
    ]
    assert set(mixed.source_lots.all()) == {first, second}
    assert mixed.harvest_date == first.harvest_date  # the older harvest
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.quantity) == (Lot.Status.CONSUMED, Decimal("0.000"))
    assert (second.status, second.quantity) == (Lot.Status.ACTIVE, Decimal("600.000"))


def test_a_mixed_lot_needs_certificates_of_all_its_sources(store_a, rice, two_lots):
    first, second = two_lots
    certificate_issue(lot=first, basis=Basis.QUALITY_CONTROL, actor=None)
    mixed = _mix(store_a, rice, two_lots, quantities=("500", "400"))

    with pytest.raises(ApplicationError) as exc:
        certificate_issue(lot=mixed, basis=Basis.QUALITY_CONTROL, actor=None)
    assert exc.value.code == "trace_source_certificate_missing"
    assert "W-1" in exc.value.message
    second_certificate = certificate_issue(lot=second, basis=Basis.QUALITY_CONTROL, actor=None)

    certificate = certificate_issue(lot=mixed, basis=Basis.QUALITY_CONTROL, actor=None)

    assert {c.lot_id for c in certificate.source_certificates.all()} == {first.pk, second.pk}
    assert second_certificate in certificate.source_certificates.all()
    event = TraceEvent.objects.filter(extra__kind="certificate").order_by("-sequence").first()
    assert sorted(event.extra["source_certificates"]) == sorted(
        c.number for c in certificate.source_certificates.all()
    )


def test_a_mixed_lot_inherits_the_safety_interval_of_its_sources(store_a, rice):
    plot = make_plot(store_a, name="北坡")
    spray(store_a, plot, applied_on=_days_ago(6), interval=10)
    risky = make_lot(store_a, rice, number="N-1", plot=plot, harvest_date=_days_ago(3))
    clean = make_lot(store_a, rice, number="C-1", harvest_date=_days_ago(3))

    mixed = _mix(store_a, rice, [risky, clean], quantities=("100", "100"))

    assert mixed.is_safety_flagged is True
    with pytest.raises(ApplicationError) as exc:
        certificate_issue(lot=mixed, basis=Basis.QUALITY_CONTROL, actor=None)
    assert exc.value.code == "trace_safety_interval"
    assert exc.value.message.count("来源批次 N-1") == 1


def test_transform_refuses_more_than_a_lot_holds_and_other_stores_lots(
    store_a, store_b, rice, orange, two_lots
):
    lot_b = make_lot(store_b, orange, number="B-1")
    before = Lot.objects.count()

    with pytest.raises(ApplicationError) as too_much:
        _mix(store_a, rice, two_lots, quantities=("1000.001", "1"))
    with pytest.raises(ApplicationError) as foreign:
        _mix(store_a, rice, [two_lots[0], lot_b], quantities=("1", "1"))

    assert too_much.value.code == "trace_quantity_exceeded"
    assert foreign.value.code == "trace_wrong_store"
    assert Lot.objects.count() == before
