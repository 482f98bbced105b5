"""The cases API by role: shopper, merchant A vs B, agent and supervisor; errors as
{"code", "message", "fields"} with nothing changed."""

import pytest
from rest_framework.test import APIClient

from apps.catalog.models import Sku
from apps.customer_service.models import Case, CaseEntry
from tests.aftersales.conftest import place
from tests.customer_service.conftest import open_case
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_shopper_files_reads_adds_and_confirms(shopper, store_a, agent):
    product = ProductFactory(store=store_a, skus=[{"spec": "5kg", "price": "59.90"}])
    order = place(shopper, [(Sku.objects.get(product=product), 1)]).orders.get()
    api = as_user(shopper)

    created = api.post(
        "/api/v1/service/cases/",
        {
            "category": "delivery",
            "subject": "送晚了",
            "description": "晚了一天",
            "order": order.number,
            "order_line": order.lines.get().pk,
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    number = created.json()["number"]
    case = Case.objects.get(number=number)
    assert (case.channel, case.order, case.store) == ("in_order", order, store_a)
    assert api.get("/api/v1/service/cases/").json()["results"][0]["number"] == number
    added = api.post(f"/api/v1/service/cases/{number}/reply/", {"body": "补充：箱子破了"})
    assert added.status_code == 200
    assert [e["body"] for e in added.json()["entries"]] == ["补充：箱子破了"]

    # confirming before it is resolved is a 409 with the case's code
    early = api.post(f"/api/v1/service/cases/{number}/confirm/")
    assert early.status_code == 409
    assert early.json()["code"] == "case_invalid_transition"
    case.refresh_from_db()
    assert case.status == Case.Status.NEW


def test_shopper_cannot_reach_another_customers_case_or_order(shopper, store_a):
    other = UserFactory(name="别人")
    theirs = open_case(other)
    product = ProductFactory(store=store_a, skus=[{"spec": "5kg", "price": "59.90"}])
    order = place(other, [(Sku.objects.get(product=product), 1)]).orders.get()
    api = as_user(shopper)

    assert api.get(f"/api/v1/service/cases/{theirs.number}/").status_code == 404
    reply = api.post(f"/api/v1/service/cases/{theirs.number}/reply/", {"body": "x"})
    assert reply.status_code == 404
    filed = api.post(
        "/api/v1/service/cases/",
        {"category": "quality", "subject": "x", "description": "y", "order": order.number},
    )
    assert filed.status_code == 404
    assert filed.json()["code"] == "case_order_not_yours"
    assert Case.objects.count() == 1
    assert not CaseEntry.objects.exists()
    assert as_user(None).get("/api/v1/service/cases/").status_code == 401


def test_merchant_a_and_b_see_and_answer_only_their_own_store(
    shopper, merchant_a, merchant_b, store_a, store_b
):
    case_a = open_case(shopper, store=store_a)
    case_b = open_case(shopper, store=store_b)

    listed_a = as_user(merchant_a).get("/api/v1/merchant/service/cases/").json()["results"]
    listed_b = as_user(merchant_b).get("/api/v1/merchant/service/cases/").json()["results"]
    assert [c["number"] for c in listed_a] == [case_a.number]
    assert [c["number"] for c in listed_b] == [case_b.number]

    wrong = as_user(merchant_a).post(
        f"/api/v1/merchant/service/cases/{case_b.number}/reply/", {"body": "不是我家"}
    )
    assert wrong.status_code == 404
    assert not CaseEntry.objects.exists()
    right = as_user(merchant_a).post(
        f"/api/v1/merchant/service/cases/{case_a.number}/reply/", {"body": "马上补发"}
    )
    assert right.status_code == 200
    assert CaseEntry.objects.get().is_public is False
    # a shopper is not a merchant
    assert as_user(shopper).get("/api/v1/merchant/service/cases/").status_code == 403


def test_staff_moves_through_the_api(shopper, agent, supervisor):
    case = open_case(shopper)
    agent_api, supervisor_api = as_user(agent), as_user(supervisor)
    base = f"/api/v1/staff/service/cases/{case.number}"

    queue = agent_api.get("/api/v1/staff/service/cases/?queue=unassigned").json()["results"]
    assert [c["number"] for c in queue] == [case.number]
    missing = agent_api.post(f"{base}/acknowledge/", {"apology": "抱歉"}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["fields"]) >= {"place", "people"}
    ack = agent_api.post(
        f"{base}/acknowledge/",
        {
            "apology": "抱歉",
            "occurred_at": "2026-12-01T10:00:00+08:00",
            "place": "家中",
            "people": "本人",
            "contact_name": "王",
            "contact_phone": "13800138000",
        },
        format="json",
    )
    assert ack.json()["status"] == "acknowledged"
    forbidden = agent_api.post(f"{base}/assign/", {"responsible": agent.pk}, format="json")
    assert forbidden.status_code == 403
    assigned = supervisor_api.post(f"{base}/assign/", {"responsible": agent.pk}, format="json")
    assert assigned.json()["responsible_id"] == agent.pk
    assert agent_api.post(f"{base}/start/").json()["status"] == "in_progress"
    resolved = agent_api.post(
        f"{base}/resolve/",
        {"root_cause": "包装", "resolution": "补发", "compensation": "无"},
        format="json",
    )
    assert resolved.json()["status"] == "resolved"
    again = agent_api.post(f"{base}/start/")
    assert again.status_code == 409
    # shoppers and merchants are not staff
    assert as_user(shopper).get("/api/v1/staff/service/cases/").status_code == 403


def test_schema_lists_the_case_endpoints(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    assert "/api/v1/service/cases/" in paths
    assert "/api/v1/merchant/service/cases/{number}/reply/" in paths
    assert "409" in paths["/api/v1/staff/service/cases/{number}/resolve/"]["post"]["responses"]
