"""The settlement back office: merchants see their own store only; finance acts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.settlement.models import LedgerEntry, SettlementStatement
from apps.settlement.selectors import store_balance
from apps.settlement.services import settlement_statement_confirm, settlement_statements_generate
from tests.settlement.conftest import current_period, sell

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def statements(shopper, shop_a, store_b, divisions):
    sell(shopper, shop_a, [("9.99", 3)])
    sell(shopper, store_b, [("10.00", 1)])
    start, after_end = current_period()
    settlement_statements_generate(period_start=start, now=after_end)
    return (
        SettlementStatement.objects.get(store=shop_a),
        SettlementStatement.objects.get(store=store_b),
    )


def _url(name: str, *args) -> str:
    return reverse(f"admin:settlement_{name}", args=args)


def test_a_merchant_lists_only_their_own_statements(client, merchant_a, statements):
    own, _other = statements
    client.force_login(merchant_a)

    response = client.get(_url("settlementstatement_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [own]


@pytest.mark.parametrize(
    "view",
    ["settlementstatement_change", "settlementstatement_print", "settlementstatement_export"],
)
def test_another_stores_statement_is_not_found_in_the_admin(client, merchant_a, statements, view):
    _own, other = statements
    client.force_login(merchant_a)

    response = client.get(_url(view, other.pk))

    assert response.status_code == 404


def test_a_merchant_prints_and_exports_their_statement(client, merchant_a, statements):
    own, _other = statements
    client.force_login(merchant_a)

    printed = client.get(_url("settlementstatement_print", own.pk))
    exported = client.get(_url("settlementstatement_export", own.pk))

    text = exported.content.decode("utf-8-sig")
    assert printed.status_code == 200
    assert "28.97" in printed.content.decode()
    assert "已核对一致" in printed.content.decode()
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    assert "应结金额,28.97" in text
    assert "订单收入,29.97" in text
    assert text.count("\n") == 15  # 11 summary rows, a blank, the header, 2 entries


def test_a_merchant_sees_only_their_ledger_and_balance(
    client, merchant_a, statements, shop_a, django_assert_max_num_queries
):
    client.force_login(merchant_a)

    with django_assert_max_num_queries(15):
        response = client.get(_url("ledgerentry_changelist"))

    shown = list(response.context["cl"].result_list)
    assert {entry.store_id for entry in shown} == {shop_a.pk}
    assert len(shown) == 2
    assert [(s.name, s.balance) for s in response.context["balances"]] == [
        (shop_a.name, D("28.97"))
    ]


def test_a_merchant_cannot_open_another_stores_ledger_entry(client, merchant_a, statements):
    _own, other = statements
    entry = other.entries.first()
    client.force_login(merchant_a)

    response = client.get(_url("ledgerentry_change", entry.pk))

    assert response.status_code == 404


def test_a_merchant_cannot_add_adjustments_or_pay_out(client, merchant_a, statements, shop_a):
    own, _other = statements
    client.force_login(merchant_a)

    add = client.post(
        _url("ledgerentry_add"),
        {"store": shop_a.pk, "amount": "100.00", "reason": "自己加钱", "token": "t1"},
    )
    action = client.post(
        _url("settlementstatement_changelist"),
        {
            "action": "mark_paid_out",
            "_selected_action": [own.pk],
            "apply": "1",
            "payment_reference": "SELF",
        },
    )

    own.refresh_from_db()
    assert add.status_code == 403
    assert action.status_code in (200, 302)
    assert own.status == SettlementStatement.Status.OPEN
    assert not LedgerEntry.objects.filter(type__in=["adjustment", "payout"]).exists()
    assert store_balance(shop_a) == D("28.97")


def test_staff_add_an_adjustment_with_a_reason(client, staff, statements, shop_a):
    client.force_login(staff)
    form = client.get(_url("ledgerentry_add"))
    token = form.context["form"].initial["token"]

    missing = client.post(
        _url("ledgerentry_add"),
        {"store": shop_a.pk, "amount": "-5.00", "reason": "", "token": token},
    )
    done = client.post(
        _url("ledgerentry_add"),
        {"store": shop_a.pk, "amount": "-5.00", "reason": "包装破损赔付", "token": token},
    )
    replay = client.post(
        _url("ledgerentry_add"),
        {"store": shop_a.pk, "amount": "-5.00", "reason": "包装破损赔付", "token": token},
    )

    entry = LedgerEntry.objects.get(type="adjustment")
    assert missing.status_code == 200
    assert "reason" in missing.context["form"].errors
    assert (done.status_code, replay.status_code) == (302, 302)
    assert (entry.amount, entry.reason, entry.actor) == (D("-5.00"), "包装破损赔付", staff)
    assert store_balance(shop_a) == D("23.97")


def test_staff_confirm_and_mark_a_statement_paid_out_in_the_admin(
    client, staff, statements, shop_a
):
    own, _other = statements
    client.force_login(staff)

    client.post(
        _url("settlementstatement_changelist"),
        {"action": "confirm_statements", "_selected_action": [own.pk]},
    )
    form = client.post(
        _url("settlementstatement_changelist"),
        {"action": "mark_paid_out", "_selected_action": [own.pk]},
    )
    paid = client.post(
        _url("settlementstatement_changelist"),
        {
            "action": "mark_paid_out",
            "_selected_action": [own.pk],
            "apply": "1",
            "payment_reference": "ICBC-001",
        },
    )

    own.refresh_from_db()
    assert form.status_code == 200
    assert "打款流水号" in form.content.decode()
    assert paid.status_code == 302
    assert (own.status, own.payout_reference) == ("paid_out", "ICBC-001")
    assert store_balance(shop_a) == D("0.00")


def test_finance_sees_every_store_and_pays_out(client, finance, statements, shop_a):
    own, other = statements
    settlement_statement_confirm(statement=own, actor=finance)
    client.force_login(finance)

    listing = client.get(_url("settlementstatement_changelist"))
    client.post(
        _url("settlementstatement_changelist"),
        {
            "action": "mark_paid_out",
            "_selected_action": [own.pk],
            "apply": "1",
            "payment_reference": "CCB-9",
        },
    )

    own.refresh_from_db()
    assert set(listing.context["cl"].queryset) == {own, other}
    assert own.status == "paid_out"


def test_the_statement_page_links_to_its_ledger_entries(client, merchant_a, statements):
    own, _other = statements
    client.force_login(merchant_a)

    page = client.get(_url("settlementstatement_change", own.pk))
    entries = client.get(_url("ledgerentry_changelist"), {"statement__id__exact": own.pk})

    assert page.status_code == 200
    assert "一致" in page.content.decode()
    assert len(entries.context["cl"].result_list) == 2


def test_a_merchant_exporting_the_ledger_gets_only_their_own_entries(
    client, merchant_a, statements, store_b
):
    every_id = list(LedgerEntry.objects.values_list("pk", flat=True))
    client.force_login(merchant_a)

    response = client.post(
        _url("ledgerentry_changelist"), {"action": "export_csv", "_selected_action": every_id}
    )

    text = response.content.decode("utf-8-sig")
    assert len(every_id) == 4
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert text.count("\n") == 3  # the header and store A's two entries
    assert store_b.name not in text
    assert ",订单收入,29.97," in text


def test_the_statement_list_makes_a_fixed_number_of_queries(
    client, staff, statements, django_assert_max_num_queries
):
    client.force_login(staff)

    with django_assert_max_num_queries(12):
        response = client.get(_url("settlementstatement_changelist"))

    assert len(response.context["cl"].result_list) == 2
