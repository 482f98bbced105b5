from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from apps.traceability.models import (
    Certificate,
    InputApplication,
    Inspection,
    Lot,
    Party,
    TraceCodeBatch,
    TraceEvent,
)
from tests.traceability.conftest import make_lot, make_party, make_plot, spray

pytestmark = pytest.mark.django_db

ADMIN = "/admin/traceability"


def _day(n: int) -> str:
    return (timezone.localdate() - timedelta(days=n)).isoformat()


@pytest.fixture
def both_stores(store_a, store_b, rice, orange, merchant_a, merchant_b):
    lot_a = make_lot(store_a, rice, number="A-1", plot=make_plot(store_a))
    lot_b = make_lot(
        store_b, orange, number="B-1", plot=make_plot(store_b, name="乙园", division_code="360732")
    )
    return lot_a, lot_b


@pytest.mark.parametrize(
    ("model", "label"),
    [
        ("lot", "lot_number"),
        ("party", "name"),
        ("location", "name"),
        ("traceevent", "store_id"),
        ("tracecode", "lot_id"),
    ],
)
@pytest.mark.parametrize(
    ("role", "stores"), [("merchant_a", {"a"}), ("merchant_b", {"b"}), ("staff", {"a", "b"})]
)
def test_changelists_are_scoped_to_the_users_stores(
    client, request, both_stores, model, label, role, stores, django_assert_max_num_queries
):
    lot_a, lot_b = both_stores
    client.force_login(request.getfixturevalue(role))

    with django_assert_max_num_queries(14):
        response = client.get(f"{ADMIN}/{model}/")

    assert response.status_code == 200
    seen = {row.store_id for row in response.context["cl"].result_list}
    expected = {"a": lot_a.store_id, "b": lot_b.store_id}
    assert seen == {expected[s] for s in stores}


def test_merchant_gets_404_for_another_stores_lot_page(client, both_stores, merchant_a):
    _, lot_b = both_stores
    client.force_login(merchant_a)

    assert client.get(f"{ADMIN}/lot/{lot_b.pk}/change/").status_code == 404


def test_lot_add_form_offers_only_own_producers_plots_products_and_skus(
    client, both_stores, merchant_a, store_a, rice
):
    client.force_login(merchant_a)

    form = client.get(f"{ADMIN}/lot/add/").context["adminform"].form

    assert "store" not in form.fields  # implied: the merchant has one store
    assert {p.store_id for p in form.fields["producer"].queryset} == {store_a.pk}
    assert {p.store_id for p in form.fields["plot"].queryset} == {store_a.pk}
    assert set(form.fields["product"].queryset) == {rice}
    assert set(form.fields["skus"].queryset) == set(rice.skus.all())


def _lot_post(store, product, producer, **overrides):
    data = {
        "lot_number": "ADMIN-1",
        "product": product.pk,
        "skus": [sku.pk for sku in product.skus.all()],
        "producer": producer.pk,
        "harvest_date": _day(1),
        "quantity": "300",
        "unit": "kg",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
        "_save": "1",
    }
    data.update(overrides)
    return data


def test_merchant_adds_a_lot_through_the_service(client, merchant_a, store_a, rice):
    producer = make_party(store_a)
    client.force_login(merchant_a)

    response = client.post(f"{ADMIN}/lot/add/", _lot_post(store_a, rice, producer))

    assert response.status_code == 302, response.context["adminform"].form.errors
    lot = Lot.objects.get(lot_number="ADMIN-1")
    assert lot.store == store_a
    assert lot.created_by == merchant_a
    assert (
        TraceEvent.objects.filter(event_lots__lot=lot, business_step="commissioning").count() == 1
    )


def test_lot_with_another_stores_producer_is_refused_on_the_form(
    client, merchant_a, store_a, store_b, rice
):
    foreign = make_party(store_b, name="乙农户")
    client.force_login(merchant_a)

    response = client.post(f"{ADMIN}/lot/add/", _lot_post(store_a, rice, foreign))

    assert response.status_code == 200
    assert "producer" in response.context["adminform"].form.errors
    assert Lot.objects.count() == 0


def test_duplicate_lot_number_shows_the_services_reason(client, merchant_a, store_a, rice):
    producer = make_party(store_a)
    make_lot(store_a, rice, number="ADMIN-1", producer=producer)
    client.force_login(merchant_a)

    response = client.post(f"{ADMIN}/lot/add/", _lot_post(store_a, rice, producer))

    assert response.context["adminform"].form.errors["lot_number"] == [
        "本店铺已有批次号「ADMIN-1」。"
    ]
    assert Lot.objects.count() == 1


def test_certificate_refused_for_safety_interval_shows_the_reason(
    client, merchant_a, store_a, rice
):
    plot = make_plot(store_a)
    spray(store_a, plot, applied_on=timezone.localdate() - timedelta(days=3), interval=14)
    lot = make_lot(store_a, rice, plot=plot, harvest_date=timezone.localdate() - timedelta(days=1))
    client.force_login(merchant_a)

    response = client.post(
        f"{ADMIN}/certificate/add/",
        {"lot": lot.pk, "basis": "quality_control", "scope": "batch", "quantity": "", "_save": "1"},
    )

    errors = response.context["adminform"].form.errors
    assert "安全间隔期 14 天" in errors["lot"][0]
    assert Certificate.objects.count() == 0


def test_certificate_issued_from_the_admin_and_printable(client, merchant_a, store_a, rice):
    lot = make_lot(store_a, rice)
    client.force_login(merchant_a)

    response = client.post(
        f"{ADMIN}/certificate/add/",
        {"lot": lot.pk, "basis": "quality_control", "scope": "batch", "quantity": "", "_save": "1"},
    )

    certificate = Certificate.objects.get()
    assert response.status_code == 302
    assert certificate.issued_by == merchant_a
    page = client.get(f"{ADMIN}/certificate/{certificate.pk}/change/").content.decode()
    assert f"/trace/certificates/{certificate.pk}/print/" in page
    assert 'name="_save"' not in page  # read-only after issue


def test_certificate_for_another_stores_lot_is_not_a_choice(client, both_stores, merchant_a):
    _, lot_b = both_stores
    client.force_login(merchant_a)

    response = client.post(
        f"{ADMIN}/certificate/add/",
        {"lot": lot_b.pk, "basis": "quality_control", "scope": "batch", "_save": "1"},
    )

    assert "lot" in response.context["adminform"].form.errors
    assert Certificate.objects.count() == 0


def test_inspection_added_with_item_rows(client, merchant_a, store_a, rice):
    lot = make_lot(store_a, rice)
    client.force_login(merchant_a)
    rows = {
        "item_0_substance": "毒死蜱",
        "item_0_result": "0.02",
        "item_0_limit": "0.1",
        "item_1_substance": "有机磷类",
        "item_1_result_text": "阴性",
        "item_1_passed": "yes",
    }

    response = client.post(
        f"{ADMIN}/inspection/add/",
        {"lot": lot.pk, "kind": "rapid", "inspected_on": _day(0), "_save": "1", **rows},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    inspection = Inspection.objects.get()
    assert list(inspection.items.values_list("substance", "is_passed")) == [
        ("毒死蜱", True),
        ("有机磷类", True),
    ]


def test_farm_record_added_then_read_only(client, merchant_a, store_a):
    plot = make_plot(store_a)
    client.force_login(merchant_a)

    response = client.post(
        f"{ADMIN}/inputapplication/add/",
        {
            "plot": plot.pk,
            "input_type": "pesticide",
            "product_name": "高效氯氰菊酯乳油",
            "active_ingredient": "高效氯氰菊酯",
            "registration_number": "pd20121234",
            "dose": "每亩 30 毫升",
            "applied_on": _day(3),
            "safety_interval_days": "10",
            "_save": "1",
        },
    )
    record = InputApplication.objects.get()
    edit = client.post(
        f"{ADMIN}/inputapplication/{record.pk}/change/",
        {"product_name": "改名", "_save": "1"},
    )

    assert response.status_code == 302
    assert record.registration_number == "PD20121234"
    assert edit.status_code == 403
    assert InputApplication.objects.get().product_name == "高效氯氰菊酯乳油"


def test_events_are_added_never_changed_or_deleted(client, merchant_a, store_a, rice):
    lot = make_lot(store_a, rice)
    client.force_login(merchant_a)

    added = client.post(
        f"{ADMIN}/traceevent/add/",
        {
            "business_step": "shipping",
            "lots": [lot.pk],
            "quantity": "50",
            "temperature_c": "3.5",
            "vehicle": "黑A12345",
            "_save": "1",
        },
    )
    event = TraceEvent.objects.get(business_step="shipping")
    change = client.post(f"{ADMIN}/traceevent/{event.pk}/change/", {"_save": "1"})
    delete = client.post(f"{ADMIN}/traceevent/{event.pk}/delete/", {"post": "yes"})

    assert added.status_code == 302
    assert event.extra == {"temperature_c": "3.5", "vehicle": "黑A12345"}
    assert event.actor == merchant_a
    assert (change.status_code, delete.status_code) == (403, 403)
    assert TraceEvent.objects.filter(pk=event.pk).exists()


def test_harvest_cannot_be_recorded_by_hand(client, merchant_a, store_a, rice):
    lot = make_lot(store_a, rice)
    client.force_login(merchant_a)

    response = client.post(
        f"{ADMIN}/traceevent/add/",
        {"business_step": "commissioning", "lots": [lot.pk], "_save": "1"},
    )

    assert "business_step" in response.context["adminform"].form.errors
    assert TraceEvent.objects.count() == 1


def test_recall_action_asks_for_a_reason_then_recalls(client, merchant_a, store_a, rice):
    lot = make_lot(store_a, rice)
    client.force_login(merchant_a)
    base = {"action": "recall_lots", ACTION_CHECKBOX_NAME: [lot.pk]}

    ask = client.post(f"{ADMIN}/lot/", base)
    done = client.post(f"{ADMIN}/lot/", {**base, "apply": "1", "reason": "抽检不合格"})

    assert ask.status_code == 200
    assert "召回" in ask.content.decode()
    assert done.status_code == 302
    lot.refresh_from_db()
    assert (lot.status, lot.status_reason) == (Lot.Status.RECALLED, "抽检不合格")


def test_generate_codes_action(client, merchant_a, store_a, rice):
    lot = make_lot(store_a, rice)
    client.force_login(merchant_a)

    response = client.post(
        f"{ADMIN}/lot/",
        {
            "action": "generate_codes",
            ACTION_CHECKBOX_NAME: [lot.pk],
            "apply": "1",
            "quantity": "25",
        },
        follow=True,
    )

    batch = TraceCodeBatch.objects.get()
    assert batch.codes.count() == 25
    assert f"/trace/code-batches/{batch.pk}/sheet/" in response.content.decode()


def test_verify_chain_action_reports_a_tampered_chain(client, merchant_a, store_a, rice):
    from django.db import connection

    make_lot(store_a, rice)
    event = TraceEvent.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TraceEvent._meta.db_table} SET disposition = 'destroyed' WHERE id = %s",
            [event.pk],
        )
    client.force_login(merchant_a)

    response = client.post(
        f"{ADMIN}/traceevent/",
        {"action": "verify_chains", ACTION_CHECKBOX_NAME: [event.pk]},
        follow=True,
    )

    assert "第 1 条起校验失败" in response.content.decode()


def test_party_edit_goes_through_the_service(client, merchant_a, store_a):
    party = make_party(store_a)
    client.force_login(merchant_a)

    bad = client.post(
        f"{ADMIN}/party/{party.pk}/change/",
        {"kind": "producer", "name": "王大伯", "phone": "123", "_save": "1"},
    )
    good = client.post(
        f"{ADMIN}/party/{party.pk}/change/",
        {"kind": "producer", "name": "王大伯", "phone": "+86 139 0000 1111", "_save": "1"},
    )

    assert "phone" in bad.context["adminform"].form.errors
    assert good.status_code == 302
    assert Party.objects.get(pk=party.pk).phone == "13900001111"


@pytest.mark.parametrize("role", ["merchant_a", "staff"])
def test_every_traceability_admin_page_opens(client, request, role, store_a, rice):
    from apps.traceability.services.certificates import certificate_issue
    from apps.traceability.services.codes import trace_codes_generate
    from tests.traceability.conftest import inspect

    lot = make_lot(store_a, rice, plot=make_plot(store_a))
    spray(store_a, lot.plot, applied_on=timezone.localdate() - timedelta(days=60))
    inspection = inspect(lot, "吡虫啉")
    certificate = certificate_issue(lot=lot, basis="self_test", actor=None)
    batch = trace_codes_generate(lot=lot, quantity=2, actor=None)
    objects = {
        "party": lot.producer,
        "location": lot.plot,
        "lot": lot,
        "inputapplication": InputApplication.objects.get(),
        "inspection": inspection,
        "certificate": certificate,
        "traceevent": TraceEvent.objects.first(),
        "tracecodebatch": batch,
        "tracecode": batch.codes.first(),
    }
    client.force_login(request.getfixturevalue(role))

    for model, obj in objects.items():
        assert client.get(f"{ADMIN}/{model}/").status_code == 200, model
        assert client.get(f"{ADMIN}/{model}/{obj.pk}/change/").status_code == 200, model
    for model in [
        "party",
        "location",
        "lot",
        "inputapplication",
        "inspection",
        "certificate",
        "traceevent",
    ]:
        assert client.get(f"{ADMIN}/{model}/add/").status_code == 200, model
    anchors = client.get(f"{ADMIN}/chainanchor/").status_code
    assert anchors == (200 if role == "staff" else 403)
