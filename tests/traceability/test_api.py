import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.traceability.models import (
    Certificate,
    Inspection,
    Lot,
    Party,
    TraceCodeBatch,
    TraceEvent,
)
from apps.traceability.selectors import lot_primary_code
from apps.traceability.services.certificates import certificate_issue
from tests.traceability.conftest import make_lot, make_party, make_plot, spray

pytestmark = pytest.mark.django_db

BASE = "/api/v1/merchant/trace"


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token = Token.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _day(n: int) -> str:
    return (timezone.localdate() - timedelta(days=n)).isoformat()


def test_a_merchant_records_a_lot_from_field_to_certificate(merchant_a, rice, store_a):
    api = client_for(merchant_a)
    producer = api.post(
        f"{BASE}/parties/", {"kind": "producer", "name": "李大姐", "phone": "13900001111"}
    )
    plot = api.post(
        f"{BASE}/locations/", {"kind": "plot", "name": "南坡", "division_code": "230184"}
    )
    spray_ = api.post(
        f"{BASE}/inputs/",
        {
            "plot": plot.json()["id"],
            "input_type": "pesticide",
            "product_name": "吡虫啉可湿性粉剂",
            "active_ingredient": "吡虫啉",
            "registration_number": "PD20080001",
            "dose": "每亩 20 克",
            "applied_on": _day(30),
            "safety_interval_days": 7,
        },
        format="json",
    )
    lot = api.post(
        f"{BASE}/lots/",
        {
            "lot_number": "API-1",
            "product": rice.pk,
            "skus": [sku.pk for sku in rice.skus.all()],
            "producer": producer.json()["id"],
            "plot": plot.json()["id"],
            "harvest_date": _day(2),
            "quantity": "800.5",
            "unit": "kg",
        },
        format="json",
    )
    inspection = api.post(
        f"{BASE}/inspections/",
        {
            "lot": lot.json()["id"],
            "kind": "rapid",
            "inspected_on": _day(1),
            "items": [{"substance": "吡虫啉", "result_text": "阴性", "is_passed": True}],
        },
        format="json",
    )
    certificate = api.post(
        f"{BASE}/certificates/",
        {"lot": lot.json()["id"], "basis": "self_test", "scope": "package"},
        format="json",
    )
    event = api.post(
        f"{BASE}/events/",
        {
            "business_step": "storing",
            "lots": [{"lot": lot.json()["id"], "quantity": "800.5"}],
            "extra": {"temperature_c": "4"},
        },
        format="json",
    )

    assert [
        r.status_code for r in (producer, plot, spray_, lot, inspection, certificate, event)
    ] == [201] * 7
    body = lot.json()
    assert (body["lot_number"], body["quantity"], body["origin_name"]) == (
        "API-1",
        "800.500",
        "五常市",
    )
    assert body["trace_code"] == lot_primary_code(lot=Lot.objects.get(pk=body["id"])).code
    assert certificate.json()["inspections"] == [inspection.json()["id"]]
    assert event.json()["lots"] == [
        {
            "lot": body["id"],
            "lot_number": "API-1",
            "role": "subject",
            "quantity": "800.500",
            "unit": "kg",
        }
    ]
    assert Lot.objects.get().store == store_a


def test_certificate_refusal_carries_the_reason(merchant_a, store_a, rice, plot_a):
    spray(store_a, plot_a, applied_on=timezone.localdate() - timedelta(days=4), interval=10)
    lot = make_lot(
        store_a, rice, plot=plot_a, harvest_date=timezone.localdate() - timedelta(days=1)
    )

    response = client_for(merchant_a).post(
        f"{BASE}/certificates/", {"lot": lot.pk, "basis": "quality_control"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "trace_safety_interval"
    assert "安全间隔期 10 天" in response.json()["message"]
    assert response.json()["fields"]["lot"] == [response.json()["message"]]
    assert Certificate.objects.count() == 0


def test_inspection_upload_as_multipart_with_a_pdf_report(merchant_a, lot_a):
    pdf = SimpleUploadedFile("r.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")

    response = client_for(merchant_a).post(
        f"{BASE}/inspections/",
        {
            "lot": lot_a.pk,
            "kind": "lab",
            "lab_name": "县检测站",
            "inspected_on": _day(0),
            "items": json.dumps(
                [{"substance": "毒死蜱", "result_value": "0.01", "limit_value": "0.1"}]
            ),
            "report_file": pdf,
        },
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["report_url"].startswith("http://testserver/media/trace/reports/")
    assert body["items"][0]["is_passed"] is True


def test_a_fake_report_is_refused(merchant_a, lot_a):
    fake = SimpleUploadedFile("r.pdf", b"<html>not a pdf</html>", content_type="application/pdf")

    response = client_for(merchant_a).post(
        f"{BASE}/inspections/",
        {
            "lot": lot_a.pk,
            "kind": "rapid",
            "inspected_on": _day(0),
            "items": json.dumps([{"substance": "毒死蜱", "is_passed": True}]),
            "report_file": fake,
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "trace_report_invalid"
    assert Inspection.objects.count() == 0


# --- Isolation -------------------------------------------------------------------------------


@pytest.fixture
def records_a(store_a, rice, lot_a):
    certificate = certificate_issue(lot=lot_a, basis="quality_control", actor=None)
    return {"lot": lot_a, "certificate": certificate, "party": lot_a.producer, "plot": lot_a.plot}


@pytest.mark.parametrize(
    "resource", ["parties", "locations", "lots", "inputs", "inspections", "certificates", "events"]
)
def test_merchant_b_lists_none_of_store_a_records(merchant_b, records_a, resource):
    response = client_for(merchant_b).get(f"{BASE}/{resource}/")

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_merchant_b_gets_404_on_store_a_ids_and_cannot_act_on_them(merchant_b, records_a):
    api = client_for(merchant_b)
    lot = records_a["lot"]
    event = TraceEvent.objects.filter(store=lot.store).first()

    responses = {
        "lot": api.get(f"{BASE}/lots/{lot.pk}/").status_code,
        "certificate": api.get(f"{BASE}/certificates/{records_a['certificate'].pk}/").status_code,
        "party": api.patch(f"{BASE}/parties/{records_a['party'].pk}/", {"name": "改"}).status_code,
        "recall": api.post(f"{BASE}/lots/{lot.pk}/recall/", {"reason": "恶意"}).status_code,
        "codes": api.post(f"{BASE}/lots/{lot.pk}/codes/", {"quantity": 5}).status_code,
        "correct": api.post(f"{BASE}/events/{event.pk}/correct/", {"reason": "x"}).status_code,
    }

    assert responses == dict.fromkeys(responses, 404)
    lot.refresh_from_db()
    assert lot.status == Lot.Status.ACTIVE
    assert Party.objects.get(pk=records_a["party"].pk).name == "王大伯"
    assert TraceCodeBatch.objects.count() == 0


def test_merchant_b_cannot_certify_or_record_on_store_a_lots(merchant_b, store_b, records_a):
    api = client_for(merchant_b)
    lot = records_a["lot"]
    events_before = TraceEvent.objects.count()

    certificate = api.post(f"{BASE}/certificates/", {"lot": lot.pk, "basis": "quality_control"})
    event = api.post(
        f"{BASE}/events/",
        {"business_step": "shipping", "lots": [{"lot": lot.pk}]},
        format="json",
    )
    new_lot = api.post(
        f"{BASE}/lots/",
        {
            "lot_number": "STEAL",
            "product": lot.product_id,
            "producer": records_a["party"].pk,
            "harvest_date": _day(1),
            "quantity": "1",
        },
        format="json",
    )

    assert certificate.status_code == 400
    assert certificate.json()["fields"]["lot"] == ["对象不存在或不属于您的店铺。"]
    assert event.status_code == 400
    assert new_lot.status_code == 400
    assert set(new_lot.json()["fields"]) == {"product", "producer"}
    assert Certificate.objects.count() == 1
    assert TraceEvent.objects.count() == events_before
    assert Lot.objects.filter(store=store_b).count() == 0


def test_merchant_endpoints_need_a_merchant(api_client, shopper, records_a):
    assert api_client.get(f"{BASE}/lots/").status_code == 401
    assert client_for(shopper).get(f"{BASE}/lots/").status_code == 403


def test_platform_staff_see_every_store_and_must_name_the_store(staff, records_a, store_b, orange):
    api = client_for(staff)
    producer_b = make_party(store_b, name="乙农户")

    listing = api.get(f"{BASE}/lots/")
    unnamed = api.post(
        f"{BASE}/lots/",
        {
            "lot_number": "S-1",
            "product": orange.pk,
            "producer": producer_b.pk,
            "harvest_date": _day(1),
            "quantity": "5",
        },
        format="json",
    )
    named = api.post(
        f"{BASE}/lots/",
        {
            "store": store_b.pk,
            "lot_number": "S-1",
            "product": orange.pk,
            "producer": producer_b.pk,
            "harvest_date": _day(1),
            "quantity": "5",
        },
        format="json",
    )

    assert listing.json()["count"] == 1
    assert unnamed.status_code == 400
    assert unnamed.json()["fields"] == {"store": ["请指定店铺。"]}
    assert named.status_code == 201


def test_recall_through_the_api(merchant_a, lot_a):
    api = client_for(merchant_a)
    response = api.post(f"{BASE}/lots/{lot_a.pk}/recall/", {"reason": "农残超标"})
    again = api.post(f"{BASE}/lots/{lot_a.pk}/recall/", {"reason": "再来"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["status_reason"]) == ("recalled", "农残超标")
    assert again.status_code == 409


def test_event_correction_through_the_api(merchant_a, store_a, lot_a):
    api = client_for(merchant_a)
    event = api.post(
        f"{BASE}/events/",
        {"business_step": "shipping", "lots": [{"lot": lot_a.pk}], "extra": {"vehicle": "黑A1"}},
        format="json",
    ).json()

    correction = api.post(
        f"{BASE}/events/{event['id']}/correct/",
        {"reason": "车牌错", "extra": {"vehicle": "黑A2"}},
        format="json",
    )
    floats = api.post(
        f"{BASE}/events/",
        {"business_step": "storing", "lots": [{"lot": lot_a.pk}], "extra": {"temperature_c": 3.5}},
        format="json",
    )

    assert correction.status_code == 201
    assert correction.json()["corrects"] == event["id"]
    assert TraceEvent.objects.get(pk=event["id"]).extra == {"vehicle": "黑A1"}
    assert floats.status_code == 400
    assert floats.json()["code"] == "trace_extra_invalid"


def test_transform_and_codes_through_the_api(merchant_a, store_a, rice, lot_a):
    api = client_for(merchant_a)
    other = make_lot(store_a, rice, number="B-1", plot=make_plot(store_a, name="西坡"))

    mixed = api.post(
        f"{BASE}/lots/transform/",
        {
            "inputs": [{"lot": lot_a.pk, "quantity": "100"}, {"lot": other.pk, "quantity": "50"}],
            "lot_number": "MIX-1",
            "product": rice.pk,
            "producer": lot_a.producer_id,
            "quantity": "150",
        },
        format="json",
    )
    codes = api.post(f"{BASE}/lots/{mixed.json()['id']}/codes/", {"quantity": 3})

    assert mixed.status_code == 201
    assert sorted(mixed.json()["source_lots"]) == sorted([lot_a.pk, other.pk])
    assert codes.status_code == 201
    assert codes.json()["quantity"] == 3
    assert codes.json()["sheet_url"].endswith(f"/trace/code-batches/{codes.json()['id']}/sheet/")


def test_chain_verify_reports_each_of_my_stores(merchant_a, store_a, lot_a):
    response = client_for(merchant_a).get(f"{BASE}/chain/verify/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "store_id": store_a.pk,
            "is_valid": True,
            "checked": 1,
            "head_sequence": 1,
            "head_hash": TraceEvent.objects.get().chain_hash,
            "broken_sequence": None,
            "broken_event_id": None,
            "reason": "",
            "anchors_checked": 0,
        }
    ]


# --- Public ----------------------------------------------------------------------------------


def test_public_json_of_a_trace_code(api_client, records_a):
    lot = records_a["lot"]
    code = lot_primary_code(lot=lot)

    response = api_client.get(f"/api/v1/trace/codes/{code.code.lower()}/")

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == code.code
    assert body["lot"]["lot_number"] == lot.lot_number
    assert body["producer"] == {"name": "王大伯", "kind": "生产者", "phone_masked": "138****5678"}
    assert body["certificate"]["number"] == records_a["certificate"].number
    assert body["integrity"] == {"is_valid": True, "checked": 2, "problems": []}
    assert [e["business_step"] for e in body["events"]] == ["commissioning", "inspecting"]
    assert body["events"][0]["chain_hash"] == TraceEvent.objects.get(sequence=1).chain_hash
    assert body["scan_count"] == 0  # the JSON does not count as a scan


def test_public_json_recomputes_the_published_hashes(api_client, records_a):
    """A third party can verify an event from the JSON alone (see hashing.py)."""
    from decimal import Decimal

    from django.utils.dateparse import parse_datetime

    from apps.traceability.hashing import EventFacts, EventLotFacts, chain_hash, event_hash

    code = lot_primary_code(lot=records_a["lot"])
    event = api_client.get(f"/api/v1/trace/codes/{code.code}/").json()["events"][0]

    facts = EventFacts(
        uuid=event["uuid"],
        store_id=event["store"],
        event_type=event["event_type"],
        action=event["action"],
        business_step=event["business_step"],
        disposition=event["disposition"],
        event_time=parse_datetime(event["event_time"]),
        recorded_at=parse_datetime(event["recorded_at"]),
        location_id=event["location"],
        actor_ref=event["actor_ref"],
        corrects_id=event["corrects"],
        extra=event["extra"],
        lots=tuple(
            EventLotFacts(
                lot_id=link["lot"],
                role=link["role"],
                quantity=Decimal(link["quantity"]) if link["quantity"] else None,
                unit=link["unit"],
            )
            for link in event["lots"]
        ),
    )
    assert event_hash(facts) == event["event_hash"]
    assert chain_hash(event["previous_hash"], event["event_hash"]) == event["chain_hash"]


def test_public_json_404_and_rate_limit(api_client, settings, records_a):
    settings.TRACE_MISS_RATE_LIMIT = "2/h"
    code = lot_primary_code(lot=records_a["lot"]).code

    misses = [api_client.get("/api/v1/trace/codes/NOPE/").status_code for _ in range(2)]
    blocked = api_client.get(f"/api/v1/trace/codes/{code}/")

    assert misses == [404, 404]
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"


def test_public_anchors_list(api_client, records_a):
    from apps.traceability.services.anchors import chain_anchor_publish

    chain_anchor_publish(anchor_date=timezone.localdate())

    body = api_client.get("/api/v1/trace/anchors/").json()

    assert body["count"] == 2
    assert {a["store_name"] for a in body["results"]} == {None, records_a["lot"].store.name}


def test_openapi_schema_lists_the_traceability_paths(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    for path in [
        "/api/v1/trace/codes/{code}/",
        "/api/v1/trace/anchors/",
        "/api/v1/merchant/trace/lots/",
        "/api/v1/merchant/trace/lots/{id}/recall/",
        "/api/v1/merchant/trace/lots/transform/",
        "/api/v1/merchant/trace/events/",
        "/api/v1/merchant/trace/events/{id}/correct/",
        "/api/v1/merchant/trace/certificates/",
        "/api/v1/merchant/trace/inspections/",
        "/api/v1/merchant/trace/inputs/",
        "/api/v1/merchant/trace/chain/verify/",
    ]:
        assert path in paths, path
