"""Callbacks with evaluation forms, tiers and the visits they schedule, surveys, confidential
archive fields and the staff dashboard."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Notification
from apps.catalog.models import Sku
from apps.core.errors import ApplicationError
from apps.customer_service.models import (
    CallbackVisit,
    Case,
    ConfidentialAccess,
    CustomerProfile,
    EvaluationForm,
    Survey,
    SurveyResponse,
)
from apps.customer_service.selectors import survey_results
from apps.customer_service.services import case_resolve
from apps.customer_service.services.callbacks import (
    callback_attempt_failed,
    callback_complete,
    customer_tier_override,
    customer_tiers_refresh,
    tiers_for,
)
from apps.customer_service.services.surveys import survey_answer, survey_invite
from apps.customer_service.tasks import customer_tiers_refresh_task
from tests.aftersales.conftest import SECRET, pay, place
from tests.customer_service.conftest import open_case
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db
QUESTIONS = ["问题是否已解决？", "对处理速度是否满意？"]


@pytest.fixture
def evaluation_form(db):
    return EvaluationForm.objects.create(name="投诉回访表", questions=QUESTIONS)


def resolved_case(shopper, agent):
    case = open_case(shopper)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.IN_PROGRESS, owner=agent)
    case.refresh_from_db()
    return case_resolve(
        case=case, actor=agent, root_cause="仓储", resolution="换货", compensation="无"
    )


def test_resolution_schedules_a_callback_whose_form_closes_the_case(
    shopper, agent, evaluation_form
):
    case = resolved_case(shopper, agent)
    visit = CallbackVisit.objects.get(case=case)
    assert (visit.kind, visit.required_role, visit.form) == ("complaint", "agent", evaluation_form)
    assert visit.due_date <= timezone.localdate() + timedelta(days=4)

    # a score out of range or a question left open changes nothing
    with pytest.raises(ApplicationError):
        callback_complete(visit=visit, actor=agent, score=6, answers={})
    with pytest.raises(ApplicationError) as error:
        callback_complete(visit=visit, actor=agent, score=5, answers={QUESTIONS[0]: "是"})
    assert error.value.code == "callback_answer_required"
    visit.refresh_from_db()
    assert visit.status == CallbackVisit.Status.SCHEDULED

    callback_complete(
        visit=visit,
        actor=agent,
        score=4,
        answers={QUESTIONS[0]: "是", QUESTIONS[1]: "比较满意"},
        note="客户认可",
    )

    visit.refresh_from_db()
    case.refresh_from_db()
    assert visit.status == CallbackVisit.Status.DONE
    assert visit.answers == {QUESTIONS[0]: "是", QUESTIONS[1]: "比较满意"}
    assert case.status == Case.Status.CLOSED
    assert list(case.events.filter(kind="status").values_list("to_status", flat=True))[-3:] == [
        "confirmed",
        "callback_done",
        "closed",
    ]


def test_three_failed_tries_end_as_unreachable(shopper, agent):
    visit = CallbackVisit.objects.get(case=resolved_case(shopper, agent))

    for _ in range(3):
        visit = callback_attempt_failed(visit=visit, actor=agent)

    assert visit.status == CallbackVisit.Status.UNREACHABLE
    assert visit.attempts == 3
    with pytest.raises(ApplicationError):
        callback_attempt_failed(visit=visit, actor=agent)


def test_a_visit_needs_its_role(shopper, agent, manager):
    visit = CallbackVisit.objects.create(
        kind="key_account",
        required_role="senior_manager",
        customer=shopper,
        due_date=timezone.localdate(),
    )

    with pytest.raises(ApplicationError) as error:
        callback_complete(visit=visit, actor=agent, score=5, answers={})

    assert error.value.status_code == 403
    callback_complete(visit=visit, actor=manager, score=5, answers={})
    visit.refresh_from_db()
    assert visit.status == CallbackVisit.Status.DONE


def test_tier_shares():
    totals = [(i, i * 10) for i in range(1, 11)]
    tiers = tiers_for(totals, a_share=0.1, b_share=0.2)
    assert [tiers[i] for i in range(10, 0, -1)] == ["A", "B", "B"] + ["C"] * 7


def test_monthly_tiers_schedule_visits_once_and_respect_an_override(
    settings, store_a, manager, agent
):
    settings.PAYMENT_SANDBOX_SECRET = SECRET
    settings.SITE_URL = "http://testserver"
    product = ProductFactory(store=store_a, skus=[{"spec": "1kg", "price": "10.00", "stock": 500}])
    sku = Sku.objects.get(product=product)
    buyers = [UserFactory(name=f"买家{i}") for i in range(1, 11)]
    for quantity, buyer in enumerate(buyers, start=1):
        pay(place(buyer, [(sku, quantity)]))

    result = customer_tiers_refresh()

    tiers = dict(CustomerProfile.objects.values_list("user", "tier_computed"))
    assert tiers[buyers[9].pk] == "A"
    assert {tiers[buyers[8].pk], tiers[buyers[7].pk]} == {"B"}
    assert tiers[buyers[0].pk] == "C"
    assert result.tiers == {"A": 1, "B": 2, "C": 7}
    kinds = sorted(CallbackVisit.objects.values_list("kind", "customer"))
    assert kinds == sorted(
        [
            ("key_account", buyers[9].pk),
            ("president", buyers[9].pk),
            ("key_account", buyers[8].pk),
            ("key_account", buyers[7].pk),
        ]
    )
    assert CallbackVisit.objects.get(kind="president").required_role == "president"

    # a rerun schedules nothing twice
    assert customer_tiers_refresh().scheduled == 0
    assert customer_tiers_refresh_task.delay().get() == 0

    # an override needs the permission and a reason; it then counts as the tier
    profile = CustomerProfile.objects.get(user=buyers[0])
    with pytest.raises(ApplicationError):
        customer_tier_override(profile=profile, actor=agent, tier="A", reason="大客户")
    with pytest.raises(ApplicationError):
        customer_tier_override(profile=profile, actor=manager, tier="A", reason="")
    customer_tier_override(profile=profile, actor=manager, tier="A", reason="县政府食堂")
    assert customer_tiers_refresh().scheduled == 2

    # a visit past its date is flagged overdue
    CallbackVisit.objects.filter(kind="president").update(due_date=date(2020, 1, 1))
    assert customer_tiers_refresh().overdue == 2


def test_survey_link_is_answered_once_by_its_owner(shopper, client):
    survey = Survey.objects.create(
        title="配送满意度",
        questions=[{"text": "送货速度", "kind": "score"}, {"text": "建议", "kind": "text"}],
    )
    other = UserFactory(name="别人")

    assert survey_invite(survey=survey, users=[shopper]) == 1
    assert survey_invite(survey=survey, users=[shopper]) == 0
    note = Notification.objects.get(user=shopper)
    client.force_login(other)
    assert client.get(note.url).status_code == 403

    client.force_login(shopper)
    bad = client.post(note.url, {"q0": "9", "q1": ""})
    assert bad.status_code == 400
    assert not SurveyResponse.objects.exists()
    good = client.post(note.url, {"q0": "4", "q1": "早点送"})
    assert good.status_code == 302
    token = note.url.rstrip("/").rsplit("/", 1)[-1]
    with pytest.raises(ApplicationError) as error:
        survey_answer(token=token, user=shopper, answers=["5", ""])
    assert error.value.status_code == 409
    assert survey_results(survey) == [
        {"text": "送货速度", "kind": "score", "average": 4.0, "count": 1},
        {"text": "建议", "kind": "text", "answers": ["早点送"], "count": 1},
    ]


def test_confidential_fields_need_the_permission_and_every_look_is_logged(
    client, shopper, agent, manager
):
    profile = CustomerProfile.objects.create(
        user=shopper, contact_phone="13800138000", address="县城东街 8 号", credit_notes="逾期一次"
    )
    url = f"/admin/customer_service/customerprofile/{profile.pk}/confidential/"

    client.force_login(agent)
    page = client.get(f"/admin/customer_service/customerprofile/{profile.pk}/change/")
    assert "13800138000" not in page.content.decode()
    denied = client.get(url, follow=True)
    assert "13800138000" not in denied.content.decode()
    assert "本次尝试已记录" in denied.content.decode()

    client.force_login(manager)
    shown = client.get(url)
    assert "13800138000" in shown.content.decode()
    assert list(ConfidentialAccess.objects.order_by("id").values_list("user", "is_granted")) == [
        (agent.pk, False),
        (manager.pk, True),
    ]


def test_dashboard_figures_and_csv(client, shopper, agent, supervisor, evaluation_form):
    resolved_case(shopper, agent)
    open_case(shopper, category=Case.Category.DELIVERY)
    client.force_login(agent)
    assert client.get("/admin/customer_service/case/dashboard/").status_code == 404

    client.force_login(supervisor)
    page = client.get("/admin/customer_service/case/dashboard/")
    csv = client.get("/admin/customer_service/case/dashboard/?format=csv")

    assert page.status_code == 200
    board = page.context["board"]
    assert board.total == 2
    assert board.resolution_met == 100.0
    assert dict(board.by_category) == {"质量": 1, "配送": 1}
    assert "vendor/echarts/echarts.common.min.js" in page.content.decode()
    assert page.context["chart_data"]["category_counts"] == [1, 1]
    assert csv["Content-Type"].startswith("text/csv")
    assert "质量,1" in csv.content.decode("utf-8-sig")
