"""Configuration history, becoming a promoter in each mode, and binding rules."""

from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.distribution.models import (
    BindingChange,
    DistributionConfig,
    Promoter,
    PromoterEvent,
    ReferralBinding,
)
from apps.distribution.services.binding import binding_change_by_staff, referral_bind
from apps.distribution.services.config import config_current, config_update
from apps.distribution.services.promoters import (
    promoter_apply,
    promoter_approve,
    promoter_disable,
    promoter_reject,
)
from tests.distribution.conftest import brokerage_sku, make_promoter, place_paid
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
Mode = DistributionConfig.Qualification


def test_config_is_a_singleton_with_history(staff):
    assert config_current().pk is None  # defaults before any version
    first = config_update(actor=staff, level1_rate=D("12"), note="开业")
    second = config_update(actor=staff, freeze_days=3)

    assert DistributionConfig.objects.count() == 2
    current = config_current()
    assert current.pk == second.pk
    assert (current.level1_rate, current.freeze_days) == (D("12.00"), 3)  # carried over
    assert first.freeze_days == 7


def test_config_refuses_rates_above_100_and_keeps_the_old_version(staff):
    config_update(actor=staff, level1_rate=D("10"))
    with pytest.raises(ApplicationError) as exc:
        config_update(actor=staff, level1_rate=D("60"), level2_rate=D("41"))
    assert "level2_rate" in exc.value.fields
    assert DistributionConfig.objects.count() == 1


def test_everyone_mode_activates_at_once(shopper):
    config_update(actor=None, qualification=Mode.EVERYONE)
    promoter = promoter_apply(user=shopper)
    assert promoter.status == Promoter.Status.ACTIVE
    assert len(promoter.code) == 8
    assert list(promoter.events.values_list("kind", "to_status")) == [("created", "active")]
    assert shopper.notifications.filter(title="您已成为推广员").exists()


def test_application_mode_waits_for_staff_review(shopper, staff):
    config_update(actor=None, qualification=Mode.APPLICATION)
    promoter = promoter_apply(user=shopper, real_name="王", note="开小卖部")
    assert promoter.status == Promoter.Status.PENDING
    with pytest.raises(ApplicationError) as exc:
        promoter_apply(user=shopper)
    assert exc.value.code == "distribution_already_promoter"

    promoter_reject(promoter=promoter, actor=staff, reason="资料不全")
    again = promoter_apply(user=shopper, note="补充资料")
    approved = promoter_approve(promoter=again, actor=staff)

    assert approved.status == Promoter.Status.ACTIVE
    assert approved.approved_at
    assert list(
        PromoterEvent.objects.filter(promoter=promoter).values_list("from_status", "to_status")
    ) == [("", "pending"), ("pending", "rejected"), ("rejected", "pending"), ("pending", "active")]


def test_appointed_mode_refuses_applications(shopper):
    config_update(actor=None, qualification=Mode.APPOINTED)
    with pytest.raises(ApplicationError) as exc:
        promoter_apply(user=shopper)
    assert exc.value.code == "distribution_application_closed"
    assert not Promoter.objects.exists()


def test_spend_mode_needs_the_threshold_of_paid_spend(shopper, store_a, divisions):
    config_update(actor=None, qualification=Mode.SPEND, spend_threshold=D("150"))
    with pytest.raises(ApplicationError) as exc:
        promoter_apply(user=shopper)
    assert exc.value.code == "distribution_not_qualified"

    place_paid(shopper, [(brokerage_sku(store_a, "80.00"), 2)])
    assert promoter_apply(user=shopper).status == Promoter.Status.ACTIVE


# --- binding -----------------------------------------------------------------------------


def test_binding_refuses_self_unknown_disabled_and_cycles(config, staff):
    top = make_promoter("甲")
    middle = make_promoter("乙", upline=top)
    with pytest.raises(ApplicationError) as exc:
        referral_bind(user=top.user, code=top.code)
    assert exc.value.code == "distribution_self_binding"
    with pytest.raises(ApplicationError) as exc:
        referral_bind(user=top.user, code="ZZZZ9999")
    assert exc.value.code == "distribution_unknown_code"
    with pytest.raises(ApplicationError) as exc:
        referral_bind(user=top.user, code=middle.code)  # 甲 → 乙 → 甲
    assert exc.value.code == "distribution_binding_cycle"
    bottom = make_promoter("丙", upline=middle)
    with pytest.raises(ApplicationError) as exc:
        binding_change_by_staff(user=top.user, promoter=bottom, actor=staff, reason="x")
    assert exc.value.code == "distribution_binding_cycle"  # two levels down is a cycle too
    promoter_disable(promoter=middle, actor=staff, reason="违规")
    with pytest.raises(ApplicationError) as exc:
        referral_bind(user=UserFactory(), code=middle.code.lower())
    assert exc.value.code == "distribution_promoter_inactive"
    assert not ReferralBinding.objects.filter(user=top.user).exists()


def test_first_link_wins_by_default(config, shopper):
    first, second = make_promoter("甲"), make_promoter("乙")
    referral_bind(user=shopper, code=first.code)
    with pytest.raises(ApplicationError) as exc:
        referral_bind(user=shopper, code=second.code)
    assert exc.value.code == "distribution_already_bound"
    assert shopper.referral_binding.promoter == first


def test_last_link_wins_and_history_is_kept(shopper):
    config_update(actor=None, bind_mode=DistributionConfig.BindMode.LAST)
    first, second = make_promoter("甲"), make_promoter("乙")
    referral_bind(user=shopper, code=first.code)
    referral_bind(user=shopper, code=second.code)
    shopper.referral_binding.refresh_from_db()
    assert shopper.referral_binding.promoter == second
    assert list(
        BindingChange.objects.filter(user=shopper)
        .order_by("id")
        .values_list("old_promoter", "new_promoter")
    ) == [(None, first.pk), (first.pk, second.pk)]


def test_new_users_mode_binds_only_users_who_signed_up_after_the_visit(shopper):
    config_update(actor=None, bind_mode=DistributionConfig.BindMode.NEW_USERS)
    promoter = make_promoter()
    with pytest.raises(ApplicationError) as exc:
        referral_bind(user=shopper, code=promoter.code, visited_at=timezone.now())
    assert exc.value.code == "distribution_not_new_user"
    visited = timezone.now()
    newcomer = UserFactory()
    assert referral_bind(user=newcomer, code=promoter.code, visited_at=visited)


def test_a_lapsed_binding_can_be_replaced_under_first_link_wins(shopper):
    config_update(actor=None, bind_days=30)
    first, second = make_promoter("甲"), make_promoter("乙")
    referral_bind(user=shopper, code=first.code)
    later = timezone.now() + timezone.timedelta(days=31)
    binding = referral_bind(user=shopper, code=second.code, now=later)
    assert binding.promoter == second


def test_staff_clear_and_change_an_upline_with_a_reason(config, shopper, staff):
    promoter = make_promoter()
    with pytest.raises(ApplicationError):
        binding_change_by_staff(user=shopper, promoter=promoter, actor=staff, reason=" ")
    binding_change_by_staff(user=shopper, promoter=promoter, actor=staff, reason="客服核实")
    binding_change_by_staff(user=shopper, promoter=None, actor=staff, reason="误绑")
    assert not ReferralBinding.objects.filter(user=shopper).exists()
    assert list(BindingChange.objects.filter(user=shopper).values_list("reason", flat=True)) == [
        "误绑",
        "客服核实",
    ]


def test_a_share_link_is_remembered_until_log_in(client, config, shopper):
    promoter = make_promoter()
    client.get(f"/?ref={promoter.code}")
    assert not ReferralBinding.objects.filter(user=shopper).exists()

    client.force_login(shopper)

    assert shopper.referral_binding.promoter == promoter
    assert shopper.referral_binding.source == ReferralBinding.Source.LINK


def test_a_signed_in_visitor_is_bound_by_the_link_and_a_forged_code_binds_nothing(
    client, config, shopper
):
    client.force_login(shopper)
    client.get("/?ref=FORGED99")
    assert not ReferralBinding.objects.filter(user=shopper).exists()
    promoter = make_promoter()
    client.get(f"/?ref={promoter.code}")
    assert shopper.referral_binding.promoter == promoter
