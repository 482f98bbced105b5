"""Monthly statements: exact to the fen, reproducible, idempotent, and only for their buyer."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from apps.accounts.models import Notification
from apps.core.errors import ApplicationError
from apps.wholesale.models import BuyerOrganisation, BuyerStatement
from apps.wholesale.services import (
    buyer_statement_generate,
    buyer_statements_generate,
    credit_charge,
    credit_record_repayment,
    credit_refund,
    credit_release,
)
from apps.wholesale.tasks import buyer_statements_generate_task
from config.celery import build_beat_schedule
from tests.wholesale.helpers import backdate, local, now_after

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = dt.date(2026, 3, 1)
APRIL = dt.date(2026, 4, 1)


@pytest.fixture
def march_ledger(organisation, staff):
    """Entries around March 2026 (Asia/Shanghai), including both month boundaries."""

    def charge(amount, ref, when):
        return backdate(
            credit_charge(organisation=organisation, amount=D(amount), reference=ref), when
        )

    charge("100.10", "PO-FEB", local(2026, 2, 27))
    charge("33.33", "PO-1", local(2026, 3, 1, 0, 0))  # 2026-02-28 16:00 UTC: March here
    charge("0.01", "PO-2", local(2026, 3, 15))
    backdate(credit_release(organisation=organisation, reference="PO-1"), local(2026, 3, 16))
    charge("66.67", "PO-3", local(2026, 3, 20))
    backdate(
        credit_refund(
            organisation=organisation,
            reference="PO-3",
            amount=D("16.67"),
            refund_reference="AS-1",
        ),
        local(2026, 3, 21),
    )
    backdate(
        credit_record_repayment(
            organisation=organisation, amount=D("50.00"), actor=staff, reference="BANK-7"
        ),
        local(2026, 3, 25),
    )
    charge("0.99", "PO-4", local(2026, 3, 31, 23, 59))
    charge("7.00", "PO-APR", local(2026, 4, 1, 0, 0))  # 2026-03-31 16:00 UTC: April here
    return organisation


def test_statement_sums_are_exact_to_the_fen(march_ledger):
    statement = buyer_statement_generate(
        organisation=march_ledger, period_start=MARCH, now=now_after(2026, 3)
    )

    assert statement.period_end == dt.date(2026, 3, 31)
    assert statement.opening_balance == D("100.10")
    assert statement.charges == D("101.00")
    assert statement.releases == D("-33.33")
    assert statement.refunds == D("-16.67")
    assert statement.repayments == D("-50.00")
    assert statement.adjustments == D("0.00")
    assert statement.closing_balance == D("101.10")
    assert statement.entry_count == 7


def test_next_month_opens_with_last_months_closing(march_ledger):
    march = buyer_statement_generate(
        organisation=march_ledger, period_start=MARCH, now=now_after(2026, 4)
    )
    april = buyer_statement_generate(
        organisation=march_ledger, period_start=APRIL, now=now_after(2026, 4)
    )

    assert april.opening_balance == march.closing_balance == D("101.10")
    assert (april.charges, april.closing_balance, april.entry_count) == (D("7.00"), D("108.10"), 1)


def test_generating_twice_makes_one_statement_with_the_same_numbers(march_ledger, buyer):
    now = now_after(2026, 3)

    first = buyer_statements_generate(period_start=MARCH, now=now)
    before = BuyerStatement.objects.values().get()
    second = buyer_statements_generate(period_start=MARCH, now=now)
    after = BuyerStatement.objects.values().get()

    assert (first, second) == (1, 1)
    assert {k: v for k, v in before.items() if k != "generated_at"} == {
        k: v for k, v in after.items() if k != "generated_at"
    }
    assert Notification.objects.filter(user=buyer, title="2026-03 采购月结账单已生成").count() == 1


def test_the_job_skips_organisations_with_nothing_to_report(march_ledger, other_buyer):
    count = buyer_statements_generate(period_start=MARCH, now=now_after(2026, 3))

    assert count == 1
    other = BuyerOrganisation.objects.get(members__user=other_buyer)
    assert not BuyerStatement.objects.filter(organisation=other).exists()


def test_the_job_defaults_to_the_month_that_just_ended(march_ledger):
    count = buyer_statements_generate(now=local(2026, 4, 1, 1, 30))

    assert count == 1
    assert BuyerStatement.objects.get().period_start == MARCH


def test_a_month_that_has_not_ended_cannot_be_closed(march_ledger):
    with pytest.raises(ApplicationError) as refused:
        buyer_statement_generate(
            organisation=march_ledger, period_start=MARCH, now=local(2026, 3, 31, 23, 59)
        )

    assert refused.value.code == "wholesale_period_not_ended"
    assert not BuyerStatement.objects.exists()


def test_the_job_refuses_a_month_that_has_not_ended(march_ledger):
    with pytest.raises(ApplicationError) as refused:
        buyer_statements_generate(period_start=MARCH, now=local(2026, 3, 31, 23, 59))

    assert refused.value.code == "wholesale_period_not_ended"
    assert not BuyerStatement.objects.exists()


def test_the_job_writes_the_same_figures_as_generating_one_statement(march_ledger):
    figures = [
        "period_end",
        "opening_balance",
        "charges",
        "releases",
        "refunds",
        "repayments",
        "adjustments",
        "closing_balance",
        "entry_count",
    ]
    buyer_statements_generate(period_start=MARCH, now=now_after(2026, 3))
    by_job = BuyerStatement.objects.values(*figures).get()
    BuyerStatement.objects.all().delete()

    buyer_statement_generate(organisation=march_ledger, period_start=MARCH, now=now_after(2026, 3))

    assert BuyerStatement.objects.values(*figures).get() == by_job
    assert by_job["closing_balance"] == D("101.10")
    assert by_job["entry_count"] == 7


def test_the_celery_task_generates_and_is_idempotent(march_ledger):
    assert buyer_statements_generate_task.delay("2026-03-01").get() == 1
    assert buyer_statements_generate_task.delay("2026-03-01").get() == 1

    assert BuyerStatement.objects.count() == 1


def test_the_task_is_on_the_beat_schedule_on_the_first_of_the_month():
    schedule = build_beat_schedule(settings.PERIODIC_TASKS)

    entry = schedule["wholesale-buyer-statements"]
    assert entry["task"] == "apps.wholesale.tasks.buyer_statements_generate_task"
    assert entry["schedule"].day_of_month == {1}
    assert entry["schedule"].hour == {1}


# --- pages ----------------------------------------------------------------------------------


@pytest.fixture
def march_statement(march_ledger):
    return buyer_statement_generate(
        organisation=march_ledger, period_start=MARCH, now=now_after(2026, 3)
    )


def test_buyer_centre_shows_credit_ledger_and_statements(
    client, buyer, march_statement, django_assert_max_num_queries
):
    client.force_login(buyer)

    with django_assert_max_num_queries(10):
        response = client.get("/wholesale/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "已认证" in html
    assert '<dd class="num credit-limit">¥1000.00</dd>' in html
    assert '<dd class="num credit-owed">¥108.10</dd>' in html
    assert '<dd class="num credit-available">¥891.90</dd>' in html
    assert "PO-APR" in html
    assert f"/wholesale/statements/{march_statement.pk}/" in html


def test_buyer_reads_the_full_ledger_page(
    client, buyer, march_ledger, django_assert_max_num_queries
):
    client.force_login(buyer)

    with django_assert_max_num_queries(10):
        response = client.get("/wholesale/ledger/")

    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["entries"]) == 9
    assert "−¥50.00" in html
    assert '<a href="/orders/PO-APR/">PO-APR</a>' in html  # an order on account
    assert "<td>BANK-7</td>" in html  # a repayment's bank reference is not an order


def test_buyer_reads_and_prints_a_statement(
    client, buyer, march_statement, django_assert_max_num_queries
):
    client.force_login(buyer)

    with django_assert_max_num_queries(10):
        page = client.get(f"/wholesale/statements/{march_statement.pk}/")
    printable = client.get(f"/wholesale/statements/{march_statement.pk}/print/")

    assert page.status_code == 200
    assert [e.reference for e in page.context["entries"]] == [
        "PO-1",
        "PO-2",
        "PO-1",
        "PO-3",
        "PO-3",
        "BANK-7",
        "PO-4",
    ]
    html = printable.content.decode()
    assert printable.status_code == 200
    assert "批发采购月结账单" in html
    assert "2026-03-01 — 2026-03-31" in html
    assert "¥101.10" in html
    assert "window.print()" in html


def test_buyer_a_cannot_see_buyer_bs_statement(client, other_buyer, march_statement):
    client.force_login(other_buyer)

    assert client.get(f"/wholesale/statements/{march_statement.pk}/").status_code == 404
    assert client.get(f"/wholesale/statements/{march_statement.pk}/print/").status_code == 404


def test_a_user_without_organisation_gets_the_invitation(client, shopper):
    client.force_login(shopper)

    centre = client.get("/wholesale/")
    ledger = client.get("/wholesale/ledger/")

    assert "申请成为批发采购商" in centre.content.decode()
    assert ledger.status_code == 302


def test_staff_print_a_statement_from_the_admin(client, staff, march_statement):
    client.force_login(staff)

    listing = client.get("/admin/wholesale/buyerstatement/")
    printable = client.get(f"/admin/wholesale/buyerstatement/{march_statement.pk}/print/")

    assert listing.status_code == 200
    assert (
        f"/admin/wholesale/buyerstatement/{march_statement.pk}/print/" in listing.content.decode()
    )
    assert printable.status_code == 200
    assert "¥101.10" in printable.content.decode()


def test_merchants_cannot_print_statements_in_the_admin(client, merchant_a, march_statement):
    client.force_login(merchant_a)

    response = client.get(f"/admin/wholesale/buyerstatement/{march_statement.pk}/print/")

    assert response.status_code == 403


# --- API ------------------------------------------------------------------------------------


def authed(api_client, user):
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def test_api_lists_and_reads_own_statements(api_client, buyer, march_statement):
    client = authed(api_client, buyer)

    listing = client.get("/api/v1/wholesale/statements/")
    detail = client.get(f"/api/v1/wholesale/statements/{march_statement.pk}/")

    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    row = listing.json()["results"][0]
    assert (row["period_start"], row["opening_balance"], row["closing_balance"]) == (
        "2026-03-01",
        "100.10",
        "101.10",
    )
    body = detail.json()
    assert detail.status_code == 200
    assert [(e["kind"], e["amount"]) for e in body["entries"]] == [
        ("charge", "33.33"),
        ("charge", "0.01"),
        ("release", "-33.33"),
        ("charge", "66.67"),
        ("refund", "-16.67"),
        ("repayment", "-50.00"),
        ("charge", "0.99"),
    ]


def test_api_isolation_between_buyers(api_client, other_buyer, march_statement):
    client = authed(api_client, other_buyer)

    detail = client.get(f"/api/v1/wholesale/statements/{march_statement.pk}/")
    listing = client.get("/api/v1/wholesale/statements/")
    ledger = client.get("/api/v1/wholesale/ledger/")

    assert detail.status_code == 404
    assert listing.json()["count"] == 0
    assert ledger.json()["count"] == 0


def test_api_ledger_newest_first(api_client, buyer, march_ledger, django_assert_max_num_queries):
    client = authed(api_client, buyer)

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/wholesale/ledger/")

    body = response.json()
    assert body["count"] == 9
    assert body["results"][0]["reference"] == "PO-APR"
    assert body["results"][0]["kind_display"] == "赊购"
    assert sum(D(e["amount"]) for e in body["results"]) == D("108.10")


def test_api_statements_without_organisation_are_empty(api_client, shopper):
    response = authed(api_client, shopper).get("/api/v1/wholesale/statements/")

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_schema_lists_the_wholesale_api(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    for path in [
        "/api/v1/wholesale/organisation/",
        "/api/v1/wholesale/ledger/",
        "/api/v1/wholesale/prices/",
        "/api/v1/wholesale/statements/",
        "/api/v1/wholesale/statements/{id}/",
    ]:
        assert path in paths, path
    assert set(paths["/api/v1/wholesale/organisation/"]) == {"get", "post"}


def test_schema_has_no_warnings_about_wholesale():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)

    problems = [
        message
        for message in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
        if "wholesale" in message.lower() or "Buyer" in message or "Credit" in message
    ]
    assert problems == []
    # An enum-name collision is reported without a path; it shows as a hashed enum name.
    wholesale_components = [
        name
        for name in schema["components"]["schemas"]
        if name.startswith(("Buyer", "CreditEntry", "WholesaleOffer", "PriceBreak", "Tier"))
    ]
    text = str([schema["components"]["schemas"][name] for name in wholesale_components])
    assert re.findall(r"[A-Za-z]+[0-9A-F]{3}Enum", text) == []
    assert "BuyerOrganisationKindEnum" in text
