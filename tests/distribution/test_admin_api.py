"""Staff back office and the API: settings versions, promoter review, merchant isolation of
per-product commission, the withdrawal queue, CSV exports; the promoter API and its errors."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.distribution.models import (
    BalanceEntry,
    CommissionOverride,
    DistributionConfig,
    Promoter,
    Withdrawal,
)
from apps.distribution.services.config import CONFIG_FIELDS, config_current, config_update
from apps.distribution.services.ledger import balance_entry_book
from apps.distribution.services.withdrawals import withdrawal_apply
from tests.distribution.conftest import assert_ledger_balanced, brokerage_sku, make_promoter

pytestmark = pytest.mark.django_db
D = Decimal


def _url(name: str, *args) -> str:
    return reverse(f"admin:distribution_{name}", args=args)


def funded_withdrawal(amount: str = "50.00") -> Withdrawal:
    config_update(actor=None, withdrawal_min=D("10"))
    promoter = make_promoter()
    balance_entry_book(
        promoter_id=promoter.pk,
        type=BalanceEntry.Type.ADJUSTMENT,
        amount=D("100.00"),
        idempotency_key=f"test:seed:{promoter.pk}",
        reason="测试入账",
    )
    return withdrawal_apply(promoter=promoter, amount=amount, method="alipay", account_number="x")


def test_staff_save_a_new_settings_version_from_the_current_values(client, staff):
    config_update(actor=None, level1_rate=D("8"))
    client.force_login(staff)
    form = client.get(_url("distributionconfig_add"))
    initial = form.context["adminform"].form.initial
    data = {k: v for k, v in initial.items() if k in CONFIG_FIELDS and v is not None}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    data.update(freeze_days="3", note="春节调整")

    response = client.post(_url("distributionconfig_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    current = config_current()
    assert (current.freeze_days, current.level1_rate, current.actor) == (3, D("8.00"), staff)
    assert DistributionConfig.objects.count() == 2
    assert client.get(_url("distributionconfig_change", current.pk)).status_code == 200


def test_staff_approve_and_reject_promoters_with_a_reason(client, staff, shopper):
    config_update(actor=None)
    other = make_promoter()
    Promoter.objects.filter(pk=other.pk).update(status="pending")
    pending = Promoter.objects.create(user=shopper, code="PEND2345", source="application")
    client.force_login(staff)

    client.post(_url("promoter_changelist"), {"action": "approve", "_selected_action": [other.pk]})
    client.post(
        _url("promoter_changelist"),
        {"action": "reject", "_selected_action": [pending.pk], "apply": "1", "reason": "资料不全"},
    )

    assert Promoter.objects.get(pk=other.pk).status == "active"
    assert Promoter.objects.get(pk=pending.pk).status == "rejected"
    export = client.post(
        _url("promoter_changelist"), {"action": "export_csv", "_selected_action": [other.pk]}
    )
    assert other.code in export.content.decode("utf-8-sig")


def test_merchants_see_and_set_commission_only_for_their_own_products(
    client, merchant_a, merchant_b, store_a, store_b
):
    own = brokerage_sku(store_a)
    theirs = brokerage_sku(store_b)
    theirs_override = CommissionOverride.objects.create(product=theirs.product, is_disabled=True)
    client.force_login(merchant_a)

    listing = client.get(_url("commissionoverride_changelist"))
    listed = list(listing.context["cl"].queryset)
    added = client.post(
        _url("commissionoverride_add"),
        {"product": own.product_id, "sku": own.pk, "level1_amount": "2.00"},
    )
    forged = client.post(
        _url("commissionoverride_add"), {"product": theirs.product_id, "level1_amount": "9.00"}
    )

    assert listed == []
    assert added.status_code == 302
    assert forged.status_code == 200  # not a choice: a form error, nothing saved
    assert client.get(_url("commissionoverride_change", theirs_override.pk)).status_code == 404
    assert set(CommissionOverride.objects.values_list("product_id", "level1_amount")) == {
        (theirs.product_id, None),
        (own.product_id, D("2.00")),
    }


def test_finance_works_the_withdrawal_queue_in_the_admin(client, finance):
    withdrawal = funded_withdrawal()
    client.force_login(finance)

    client.post(
        _url("withdrawal_changelist"), {"action": "approve", "_selected_action": [withdrawal.pk]}
    )
    client.post(
        _url("withdrawal_changelist"),
        {
            "action": "mark_paid",
            "_selected_action": [withdrawal.pk],
            "apply": "1",
            "payout_reference": "ALI-001",
        },
    )

    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.payout_reference) == ("paid", "ALI-001")
    assert_ledger_balanced()


def test_staff_operations_cannot_review_withdrawals(client, staff):
    withdrawal = funded_withdrawal()
    client.force_login(staff)
    client.post(
        _url("withdrawal_changelist"), {"action": "approve", "_selected_action": [withdrawal.pk]}
    )
    withdrawal.refresh_from_db()
    assert withdrawal.status == "auditing"


# --- API -----------------------------------------------------------------------------------


def test_promoter_api_apply_me_and_withdrawal_errors(api_client, shopper):
    config_update(actor=None, qualification="everyone", withdrawal_min=D("10"))
    api_client.force_authenticate(shopper)
    assert api_client.get("/api/v1/distribution/commissions/").status_code == 404

    applied = api_client.post("/api/v1/distribution/apply/", {}, format="json")
    me = api_client.get("/api/v1/distribution/me/").json()
    too_much = api_client.post(
        "/api/v1/distribution/withdrawals/",
        {"amount": "20.00", "method": "bank", "account_number": "6222"},
        format="json",
    )
    forged = api_client.post("/api/v1/distribution/bind/", {"code": "FORGED99"}, format="json")

    assert applied.status_code == 201
    assert me["promoter"]["status"] == "active"
    assert me["summary"]["balance"] == "0.00"
    assert me["share_link"].endswith(f"?ref={me['promoter']['code']}")
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "distribution_insufficient_balance"
    assert forged.status_code == 400
    assert forged.json()["code"] == "distribution_unknown_code"
    assert not Withdrawal.objects.exists()


def test_staff_api_needs_permissions_and_reviews_withdrawals(api_client, shopper, finance):
    withdrawal = funded_withdrawal()
    api_client.force_authenticate(shopper)
    assert api_client.get("/api/v1/distribution/staff/withdrawals/").status_code == 403
    denied = api_client.post(f"/api/v1/distribution/staff/withdrawals/{withdrawal.pk}/approve/")
    assert denied.status_code == 403

    api_client.force_authenticate(finance)
    queue = api_client.get("/api/v1/distribution/staff/withdrawals/?status=auditing").json()
    no_reason = api_client.post(
        f"/api/v1/distribution/staff/withdrawals/{withdrawal.pk}/reject/", {}, format="json"
    )
    rejected = api_client.post(
        f"/api/v1/distribution/staff/withdrawals/{withdrawal.pk}/reject/",
        {"reason": "账户异常"},
        format="json",
    )
    again = api_client.post(
        f"/api/v1/distribution/staff/withdrawals/{withdrawal.pk}/approve/", format="json"
    )

    assert [row["number"] for row in queue["results"]] == [withdrawal.number]
    assert no_reason.status_code == 400
    assert rejected.json()["status"] == "rejected"
    assert again.status_code == 409
    assert again.json()["code"] == "distribution_invalid_transition"
    withdrawal.promoter.refresh_from_db()
    assert withdrawal.promoter.balance == D("100.00")
    assert_ledger_balanced()


def test_staff_report_of_sales_brought_by_promoters_with_csv(
    api_client, staff, shopper, store_a, divisions
):
    from tests.distribution.conftest import bind, place_paid

    config_update(actor=None)
    bind(shopper, make_promoter("甲", upline=make_promoter("乙")))
    sku = brokerage_sku(store_a, "40.00")
    place_paid(shopper, [(sku, 2)])
    api_client.force_authenticate(shopper)
    assert api_client.get("/api/v1/distribution/staff/product-sales/").status_code == 403

    api_client.force_authenticate(staff)
    rows = api_client.get("/api/v1/distribution/staff/product-sales/").json()
    csv = api_client.get("/api/v1/distribution/staff/product-sales/?export=csv")

    assert rows == [
        {
            "product_id": sku.product_id,
            "title": sku.product.title,
            "store_name": store_a.name,
            "orders": 1,
            "quantity": 2,
            "paid": "80.00",
            "commission": "12.00",
        }
    ]
    assert "80.00,12.00" in csv.content.decode("utf-8-sig")
