from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.traceability.models import (
    InputApplication,
    Inspection,
    Location,
    Lot,
    LotStatusChange,
    Party,
    TraceCode,
    TraceEvent,
)
from apps.traceability.services.inspections import ItemInput, inspection_record
from apps.traceability.services.lots import lot_create, lot_update
from apps.traceability.services.records import location_save, party_save
from tests.api.helpers import image_bytes, media_files
from tests.traceability.conftest import inspect, make_lot, make_party, make_plot, spray

pytestmark = pytest.mark.django_db


# --- Parties and locations -------------------------------------------------------------------


def test_party_phone_and_credit_code_are_normalised(store_a):
    party = make_party(
        store_a,
        name="五常市稻香合作社",
        kind=Party.Kind.COOPERATIVE,
        phone="+86 138 1234 5678",
        credit_code="91350100m000100y43",
    )

    assert (party.phone, party.credit_code) == ("13812345678", "91350100M000100Y43")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("phone", "12345", "trace_invalid_phone"), ("credit_code", "123", "trace_invalid_uscc")],
)
def test_party_with_bad_phone_or_credit_code_is_refused(store_a, field, value, code):
    with pytest.raises(ApplicationError) as exc:
        make_party(store_a, **{field: value})

    assert exc.value.code == code
    assert field in exc.value.fields
    assert Party.objects.count() == 0


def test_location_division_must_be_a_county_and_gets_its_name(store_a):
    plot = make_plot(store_a, latitude=Decimal("44.931"), longitude=Decimal("127.167"))

    assert plot.division_name == "黑龙江省哈尔滨市五常市"
    with pytest.raises(ApplicationError) as exc:
        make_plot(store_a, name="无效", division_code="999999")
    assert exc.value.code == "trace_unknown_division"
    with pytest.raises(ApplicationError) as half:
        make_plot(store_a, name="半坐标", latitude=Decimal("44.9"))
    assert "latitude" in half.value.fields
    assert Location.objects.count() == 1


def test_a_merchant_cannot_save_a_party_for_another_store(store_b, merchant_a):
    with pytest.raises(ApplicationError) as exc:
        party_save(
            party=Party(store=store_b, name="冒名", kind=Party.Kind.PRODUCER), actor=merchant_a
        )

    assert exc.value.status_code == 403
    assert Party.objects.count() == 0


def test_a_plot_cannot_hang_under_another_stores_base(store_a, store_b):
    base_b = make_plot(store_b, name="乙基地", kind=Location.Kind.BASE, division_code="360732")

    with pytest.raises(ApplicationError) as exc:
        location_save(
            location=Location(
                store=store_a,
                name="甲地块",
                kind=Location.Kind.PLOT,
                division_code="230184",
                parent=base_b,
            ),
            actor=None,
        )

    assert exc.value.code == "trace_wrong_store"


# --- Farm records ----------------------------------------------------------------------------


def test_pesticide_needs_registration_number_and_ingredient(store_a, plot_a, today):
    with pytest.raises(ApplicationError) as no_reg:
        spray(store_a, plot_a, applied_on=today, registration_number="")
    with pytest.raises(ApplicationError) as no_ingredient:
        spray(store_a, plot_a, applied_on=today, ingredient="")
    fertiliser = spray(
        store_a,
        plot_a,
        applied_on=today,
        ingredient="",
        input_type=InputApplication.InputType.FERTILISER,
        product_name="有机肥",
        registration_number="",
        interval=0,
    )

    assert no_reg.value.code == "trace_registration_required"
    assert no_ingredient.value.code == "trace_ingredient_required"
    assert list(InputApplication.objects.all()) == [fertiliser]


def test_farm_records_go_on_growing_locations_only_and_not_in_the_future(store_a, today):
    warehouse = make_plot(store_a, name="冷库", kind=Location.Kind.WAREHOUSE)
    plot = make_plot(store_a)

    with pytest.raises(ApplicationError) as wrong_kind:
        spray(store_a, warehouse, applied_on=today)
    with pytest.raises(ApplicationError) as future:
        spray(store_a, plot, applied_on=today + timedelta(days=1))

    assert wrong_kind.value.code == "trace_invalid_location_kind"
    assert future.value.code == "trace_date_in_future"
    assert InputApplication.objects.count() == 0


# --- Lots ------------------------------------------------------------------------------------


def test_lot_creation_records_harvest_event_status_row_and_lot_code(
    store_a, rice, plot_a, merchant_a
):
    harvest = timezone.localdate() - timedelta(days=3)
    spray(store_a, plot_a, applied_on=harvest - timedelta(days=20), interval=7)

    lot = make_lot(store_a, rice, plot=plot_a, harvest_date=harvest, actor=merchant_a)

    assert lot.origin_name == "五常市"
    assert lot.expiry_date is None  # the product has no shelf life
    assert lot.is_safety_flagged is False
    assert set(lot.skus.all()) == set(rice.skus.all())
    event = TraceEvent.objects.get()
    assert (event.business_step, event.action, event.location_id) == (
        "commissioning",
        "ADD",
        plot_a.pk,
    )
    assert event.actor_ref == f"user:{merchant_a.pk}"
    assert [i["name"] for i in event.extra["inputs"]] == ["吡虫啉可湿性粉剂"]
    assert TraceCode.objects.filter(lot=lot, package_number=None).count() == 1
    assert LotStatusChange.objects.get(lot=lot).to_status == "active"


def test_lot_expiry_is_derived_from_the_shelf_life(store_a, rice):
    rice.shelf_life_days = 365
    rice.save()
    harvest = timezone.localdate() - timedelta(days=1)

    lot = make_lot(store_a, rice, harvest_date=harvest)

    assert lot.expiry_date == harvest + timedelta(days=365)


def test_lot_number_is_unique_per_store_only(store_a, store_b, rice, orange):
    make_lot(store_a, rice, number="2026-001")
    make_lot(store_b, orange, number="2026-001")

    with pytest.raises(ApplicationError) as exc:
        make_lot(store_a, rice, number="2026-001")

    assert exc.value.code == "trace_lot_number_taken"
    assert Lot.objects.count() == 2


def test_lot_cannot_link_another_stores_product_producer_or_plot(store_a, store_b, rice, orange):
    producer_b = make_party(store_b, name="乙农户")
    plot_b = make_plot(store_b, name="乙地块", division_code="360732")
    producer_a = make_party(store_a)

    for kwargs, field in [
        ({"product": orange, "producer": producer_a}, "product"),
        ({"product": rice, "producer": producer_b}, "producer"),
        ({"product": rice, "producer": producer_a, "plot": plot_b}, "plot"),
    ]:
        with pytest.raises(ApplicationError) as exc:
            lot_create(
                store=store_a,
                lot_number="X",
                harvest_date=timezone.localdate(),
                quantity=Decimal(1),
                actor=None,
                **kwargs,
            )
        assert exc.value.fields == {field: ["只能关联本店铺的数据。"]}
    assert Lot.objects.count() == 0


def test_lot_skus_must_belong_to_its_product(store_a, rice):
    from tests.factories import ProductFactory

    other = ProductFactory(store=store_a)
    lot = make_lot(store_a, rice)

    with pytest.raises(ApplicationError) as exc:
        lot_update(lot=lot, actor=None, skus=list(other.skus.all()))

    assert exc.value.code == "trace_sku_not_of_product"
    assert set(lot.skus.all()) == set(rice.skus.all())


# --- Inspections -----------------------------------------------------------------------------


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_inspection_with_pdf_report_seals_the_report_hash_in_the_chain(lot_a):
    upload = SimpleUploadedFile("report.pdf", _pdf(), content_type="application/pdf")

    inspection = inspection_record(
        lot=lot_a,
        kind=Inspection.Kind.LAB,
        lab_name="县检测站",
        report_number="JC-001",
        inspected_on=timezone.localdate(),
        items=[
            ItemInput(substance="毒死蜱", result_value=Decimal("0.01"), limit_value=Decimal("0.1")),
            ItemInput(substance="有机磷类", result_text="阴性", is_passed=True),
        ],
        report_file=upload,
        actor=None,
    )

    assert inspection.is_passed is True
    assert inspection.report_file.name.endswith(".pdf")
    assert inspection.report_file.read() == _pdf()
    event = TraceEvent.objects.get(business_step="inspecting")
    assert event.extra["report_sha256"] == inspection.report_sha256
    assert [i["passed"] for i in event.extra["items"]] == [True, True]


def test_image_report_is_reencoded_as_jpeg(lot_a):
    upload = SimpleUploadedFile("report.png", image_bytes(), content_type="image/png")

    inspection = inspect(lot_a, "毒死蜱", report_file=upload)

    assert inspection.report_file.name.endswith(".jpg")
    assert inspection.report_file.read()[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"MZ\x90\x00 not a report", "trace_report_invalid"),
        (b"%PDF-1.4 truncated", "trace_report_invalid"),
        (b"%PDF-" + b"0" * 2048 + b"%%EOF", "trace_report_too_large"),
    ],
)
def test_bad_reports_are_refused_without_leaving_files(lot_a, settings, content, code):
    settings.TRACE_REPORT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("report.pdf", content, content_type="application/pdf")
    events = TraceEvent.objects.count()

    with pytest.raises(ApplicationError) as exc:
        inspect(lot_a, "毒死蜱", report_file=upload)

    assert exc.value.code == code
    assert Inspection.objects.count() == 0
    assert TraceEvent.objects.count() == events
    assert media_files() == []


def test_numeric_results_decide_pass_and_a_failure_holds_the_lot(lot_a):
    inspection = inspect(lot_a, "毒死蜱", passed=False)

    lot_a.refresh_from_db()
    assert inspection.is_passed is False
    assert lot_a.status == Lot.Status.ON_HOLD
    assert "毒死蜱" in lot_a.status_reason
    assert TraceEvent.objects.filter(business_step="holding").count() == 1


def test_lab_inspection_needs_a_lab_and_items(lot_a):
    with pytest.raises(ApplicationError) as no_lab:
        inspection_record(
            lot=lot_a,
            kind=Inspection.Kind.LAB,
            inspected_on=timezone.localdate(),
            items=[ItemInput(substance="毒死蜱", is_passed=True)],
            actor=None,
        )
    with pytest.raises(ApplicationError) as no_items:
        inspection_record(
            lot=lot_a,
            kind=Inspection.Kind.RAPID,
            inspected_on=timezone.localdate(),
            items=[],
            actor=None,
        )

    assert (no_lab.value.code, no_items.value.code) == (
        "trace_lab_required",
        "trace_inspection_no_items",
    )
    assert Inspection.objects.count() == 0
