"""The promoter centre pages through the real HTTP client, and the end-to-end story."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.distribution.models import Promoter, ReferralBinding, Withdrawal
from apps.distribution.services.commissions import commissions_release_due
from apps.distribution.services.config import config_update
from apps.settlement.models import SettlementStatement
from apps.settlement.services import settlement_statements_generate
from tests.distribution.conftest import (
    assert_ledger_balanced,
    bind,
    brokerage_sku,
    complete,
    make_promoter,
    place_paid,
)
from tests.factories import UserFactory
from tests.settlement.conftest import current_period

pytestmark = pytest.mark.django_db
D = Decimal


def later(days: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days, minutes=1)


def test_centre_offers_the_application_then_shows_the_dashboard(client, shopper, config):
    client.force_login(shopper)
    page = client.get("/distribution/")
    assert "申请成为推广员" in page.content.decode()

    client.post("/distribution/apply/", {"real_name": "王", "note": "村口小卖部"})
    assert "等待平台审核" in client.get("/distribution/").content.decode()
    assert Promoter.objects.get(user=shopper).status == "pending"


def test_dashboard_sums_follow_each_commission_change(
    client, shopper, store_a, divisions, config, after_commit
):
    # given a promoter whose dashboard was viewed (its sums are now cached)
    config_update(actor=None, freeze_days=0)
    promoter = make_promoter("甲")
    bind(shopper, promoter)
    first = place_paid(shopper, [(brokerage_sku(store_a, "50.00"), 1)])
    client.force_login(promoter.user)

    def figures():
        summary = client.get("/distribution/").context["summary"]
        return summary["frozen"], summary["total"], summary["balance"]

    assert figures() == (D("5.00"), D("5.00"), D("0.00"))

    # when another order is paid, then the first is released (each committed)
    with after_commit():
        place_paid(shopper, [(brokerage_sku(store_a, "30.00"), 1)])
    after_paid = figures()
    with after_commit():
        complete(first)
        commissions_release_due(now=later(0))
    after_release = figures()

    # then every view shows the change at once, never the cached figures
    assert after_paid == (D("8.00"), D("8.00"), D("0.00"))
    assert after_release == (D("3.00"), D("8.00"), D("5.00"))
    assert_ledger_balanced()


def test_dashboard_figures_and_query_ceiling(
    client, shopper, store_a, divisions, config, django_assert_max_num_queries
):
    promoter = make_promoter("甲")
    for i in range(3):
        buyer = UserFactory(name=f"买家{i}")
        bind(buyer, promoter)
        place_paid(buyer, [(brokerage_sku(store_a, "50.00"), 1)])
    client.force_login(promoter.user)
    with django_assert_max_num_queries(20):
        page = client.get("/distribution/")
    text = page.content.decode()
    assert promoter.code in text
    assert f"?ref={promoter.code}" in text
    assert "15.00" in text  # 3 × 5.00 frozen
    team = client.get("/distribution/team/").content.decode()
    assert "买**" in team
    assert "买家0" not in team
    commissions = client.get("/distribution/commissions/").content.decode()
    assert "买家" not in commissions  # orders' amounts, not buyers


def test_withdrawal_form_shows_errors_and_changes_nothing(client, config):
    promoter = make_promoter()
    client.force_login(promoter.user)
    response = client.post(
        "/distribution/withdrawals/", {"amount": "50.00", "method": "bank", "account_number": "1"}
    )
    assert response.status_code == 400
    assert "可提现余额不足" in response.content.decode()
    assert not Withdrawal.objects.exists()


def test_poster_is_a_png_with_the_code(client, store_a, config):
    promoter = make_promoter()
    sku = brokerage_sku(store_a, "39.90")
    client.force_login(promoter.user)
    response = client.get(f"/distribution/poster.png?product={sku.product_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/distribution/poster.png?product=999999").status_code == 404
    assert client.get("/distribution/poster.png?product=abc").status_code == 404


def test_non_promoters_get_404_on_promoter_pages(client, shopper, config):
    client.force_login(shopper)
    for url in ["/distribution/commissions/", "/distribution/team/", "/distribution/poster.png"]:
        assert client.get(url).status_code == 404


def test_binding_by_code_on_the_centre(client, shopper, config):
    promoter = make_promoter()
    client.force_login(shopper)
    client.post("/distribution/bind/", {"code": "NOPE1234"})
    assert not ReferralBinding.objects.filter(user=shopper).exists()
    client.post("/distribution/bind/", {"code": promoter.code})
    assert ReferralBinding.objects.get(user=shopper).source == "code"


def test_end_to_end_a_friend_of_a_level2_promoter_buys_from_a_merchant(
    client, store_a, divisions, settings
):
    """乙 (level 2) invites 甲 by link; 甲 becomes a promoter and shares a link; a shopper
    arrives by it, signs in, buys, receives; time passes; both are paid and the merchant's
    statement shows the deduction."""

    config_update(actor=None, qualification="everyone", freeze_days=7)
    top = make_promoter("乙")
    friend = UserFactory(name="甲")
    client.get(f"/?ref={top.code}")
    client.force_login(friend)
    client.post("/distribution/apply/")
    near = Promoter.objects.get(user=friend)
    assert near.status == "active"
    client.logout()

    shopper = UserFactory(name="顾客")
    client.get(f"/?ref={near.code}")
    client.force_login(shopper)
    order = complete(place_paid(shopper, [(brokerage_sku(store_a, "88.00"), 1)]))
    assert commissions_release_due(now=later(6)) == 0
    assert commissions_release_due(now=later(7)) == 2

    near.refresh_from_db()
    top.refresh_from_db()
    assert (near.balance, top.balance) == (D("8.80"), D("4.40"))
    start, after_end = current_period()
    settlement_statements_generate(period_start=start, now=after_end)
    statement = SettlementStatement.objects.get(store=store_a)
    assert statement.distribution_commission == D("-13.20")
    order.refresh_from_db()
    assert (order.promoter_level1_id, order.promoter_level2_id) == (friend.pk, top.user_id)
    assert_ledger_balanced()
