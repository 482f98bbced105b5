"""The settlement REST API through real HTTP: scoping, figures, staff actions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.settlement.models import LedgerEntry, SettlementStatement
from apps.settlement.selectors import store_balance
from apps.settlement.services import settlement_statements_generate
from tests.settlement.conftest import current_period, refund, sell

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def statements(shopper, shop_a, store_b, divisions):
    order = sell(shopper, shop_a, [("9.99", 3)])
    refund(order, "9.99", "AS-1")
    sell(shopper, store_b, [("10.00", 1)])
    start, after_end = current_period()
    settlement_statements_generate(period_start=start, now=after_end)
    return (
        SettlementStatement.objects.get(store=shop_a),
        SettlementStatement.objects.get(store=store_b),
    )


def _url(name: str, *args) -> str:
    return reverse(f"api-settlement-{name}", args=args)


def test_a_merchant_lists_their_statements_only(
    api_client, merchant_a, statements, django_assert_max_num_queries
):
    own, _other = statements
    api_client.force_authenticate(merchant_a)

    with django_assert_max_num_queries(6):
        body = api_client.get(_url("statement-list")).json()

    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["store_name"], row["status"]) == (own.pk, "五常稻米合作社", "open")
    assert (row["income"], row["commission"], row["refunds"]) == ("29.97", "-1.00", "-9.99")
    assert (row["commission_reversals"], row["net_payable"]) == ("0.33", "19.31")


def test_a_statements_detail_lists_its_entries_and_checks_them(api_client, merchant_a, statements):
    own, _other = statements
    api_client.force_authenticate(merchant_a)

    body = api_client.get(_url("statement-detail", own.pk)).json()

    assert body["is_consistent"] is True
    assert [(e["type"], e["amount"]) for e in body["entries"]] == [
        ("order_income", "29.97"),
        ("platform_commission", "-1.00"),
        ("refund", "-9.99"),
        ("refund_commission_reversal", "0.33"),
    ]
    assert sum(D(e["amount"]) for e in body["entries"]) == D(body["net_payable"])
    assert [e["kind"] for e in body["events"]] == ["generated"]


@pytest.mark.parametrize("name", ["statement-detail", "statement-export"])
def test_another_stores_statement_is_not_found(api_client, merchant_a, statements, name):
    _own, other = statements
    api_client.force_authenticate(merchant_a)

    response = api_client.get(_url(name, other.pk))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_merchant_cannot_read_another_stores_ledger(
    api_client, merchant_a, statements, store_b, shop_a
):
    _own, other = statements
    api_client.force_authenticate(merchant_a)

    by_store = api_client.get(_url("ledger"), {"store": store_b.pk}).json()
    by_statement = api_client.get(_url("ledger"), {"statement": other.pk}).json()
    everything = api_client.get(_url("ledger")).json()
    balances = api_client.get(_url("balances")).json()

    assert (by_store["count"], by_statement["count"]) == (0, 0)
    assert {row["store"] for row in everything["results"]} == {shop_a.pk}
    assert everything["count"] == 4
    assert balances == [
        {"store": shop_a.pk, "store_name": shop_a.name, "balance": "19.31", "unsettled": "0.00"}
    ]


def test_the_ledger_filters_by_type_and_settlement(api_client, merchant_a, statements, staff):
    api_client.force_authenticate(merchant_a)

    refunds = api_client.get(_url("ledger"), {"type": "refund"}).json()
    unsettled = api_client.get(_url("ledger"), {"settled": "false"}).json()
    wrong = api_client.get(_url("ledger"), {"type": "bonus"})

    assert [row["amount"] for row in refunds["results"]] == ["-9.99"]
    assert unsettled["count"] == 0
    assert wrong.status_code == 400
    assert wrong.json()["fields"]["type"]


def test_a_merchant_exports_their_statement_as_csv(api_client, merchant_a, statements):
    own, _other = statements
    api_client.force_authenticate(merchant_a)

    response = api_client.get(_url("statement-export", own.pk))

    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "应结金额,19.31" in text


@pytest.mark.parametrize("name", ["statement-confirm", "statement-mark-paid-out"])
def test_merchants_cannot_confirm_or_pay_out(api_client, merchant_a, statements, name):
    own, other = statements
    api_client.force_authenticate(merchant_a)

    mine = api_client.post(_url(name, own.pk), {"payment_reference": "SELF"}, format="json")
    theirs = api_client.post(_url(name, other.pk), {"payment_reference": "SELF"}, format="json")

    assert (mine.status_code, theirs.status_code) == (403, 403)
    assert set(SettlementStatement.objects.values_list("status", flat=True)) == {"open"}
    assert not LedgerEntry.objects.filter(type="payout").exists()


def test_shoppers_and_anonymous_callers_see_nothing(api_client, shopper, statements):
    anonymous = api_client.get(_url("statement-list"))
    api_client.force_authenticate(shopper)
    as_shopper = api_client.get(_url("ledger"))

    assert anonymous.status_code == 401
    assert as_shopper.status_code == 403


def test_staff_list_every_store_confirm_and_pay_out(api_client, staff, statements, shop_a):
    own, _other = statements
    api_client.force_authenticate(staff)

    listing = api_client.get(_url("statement-list")).json()
    open_a = api_client.get(_url("statement-list"), {"store": shop_a.pk, "status": "open"}).json()
    confirmed = api_client.post(_url("statement-confirm", own.pk))
    missing = api_client.post(_url("statement-mark-paid-out", own.pk), {}, format="json")
    paid = api_client.post(
        _url("statement-mark-paid-out", own.pk), {"payment_reference": "ICBC-7"}, format="json"
    )
    again = api_client.post(_url("statement-confirm", own.pk))

    assert listing["count"] == 2
    assert [row["id"] for row in open_a["results"]] == [own.pk]
    assert confirmed.json()["status"] == "confirmed"
    assert missing.status_code == 400
    assert paid.status_code == 200
    body = paid.json()
    assert (body["status"], body["payout_reference"], body["is_consistent"]) == (
        "paid_out",
        "ICBC-7",
        True,
    )
    assert body["entries"][-1]["type"] == "payout"
    assert body["entries"][-1]["amount"] == "-19.31"
    assert [e["kind"] for e in body["events"]] == ["generated", "confirmed", "paid_out"]
    assert again.status_code == 409
    assert again.json()["code"] == "settlement_invalid_transition"
    assert store_balance(shop_a) == D("0.00")


def test_staff_add_an_adjustment_once_per_idempotency_key(api_client, staff, statements, shop_a):
    api_client.force_authenticate(staff)
    payload = {"store": shop_a.pk, "amount": "-3.50", "reason": "运费补贴回收"}

    first = api_client.post(_url("adjustments"), payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api_client.post(_url("adjustments"), payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    other = api_client.post(
        _url("adjustments"), {**payload, "amount": "9.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["amount"] == "-3.50"
    assert other.status_code == 409
    assert LedgerEntry.objects.filter(type="adjustment").count() == 1
    assert store_balance(shop_a) == D("15.81")


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"amount": "5.00", "reason": ""}, "reason", "settlement_reason_required"),
        ({"amount": "5.00", "reason": "   "}, "reason", "settlement_reason_required"),
        ({"amount": "0", "reason": "零"}, "amount", "settlement_invalid_amount"),
        ({"amount": "1.005", "reason": "三位小数"}, "amount", "invalid"),
        ({"amount": "NaN", "reason": "非数"}, "amount", "invalid"),
        ({"amount": "100000000.01", "reason": "太大"}, "amount", "settlement_invalid_amount"),
        ({"amount": "5.00"}, "reason", "invalid"),
    ],
)
def test_bad_adjustments_are_refused(api_client, staff, statements, shop_a, payload, field, code):
    api_client.force_authenticate(staff)

    response = api_client.post(_url("adjustments"), {"store": shop_a.pk, **payload}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["fields"]
    assert not LedgerEntry.objects.filter(type="adjustment").exists()


def test_merchants_cannot_add_adjustments(api_client, merchant_a, statements, shop_a):
    api_client.force_authenticate(merchant_a)

    response = api_client.post(
        _url("adjustments"),
        {"store": shop_a.pk, "amount": "100.00", "reason": "自己加钱"},
        format="json",
    )

    assert response.status_code == 403
    assert store_balance(shop_a) == D("19.31")


def test_an_adjustment_for_an_unknown_store_is_refused(api_client, staff, statements):
    api_client.force_authenticate(staff)

    response = api_client.post(
        _url("adjustments"), {"store": 999999, "amount": "1.00", "reason": "无"}, format="json"
    )

    assert response.status_code == 400
    assert "store" in response.json()["fields"]
    assert not LedgerEntry.objects.filter(type="adjustment").exists()


def test_the_settlement_api_is_in_the_schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    paths = response.json()["paths"]
    assert "/api/v1/settlement/statements/{id}/mark-paid-out/" in paths
    assert "/api/v1/settlement/adjustments/" in paths
