"""Satisfaction survey calls (满意度电话调查): the monthly job schedules a call for a sample of
last month's closed cases, once per customer and month, and an agent carries it out with the
evaluation form on the back office."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from apps.customer_service.models import CallbackVisit, Case, EvaluationForm
from apps.customer_service.services.callbacks import customer_tiers_refresh, survey_calls_schedule
from tests.customer_service.conftest import open_case
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 7)


def _closed(customer, *, on: date, resolved=True) -> Case:
    case = open_case(customer)
    at = timezone.make_aware(datetime.combine(on, datetime.min.time()).replace(hour=15))
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, resolved_at=at if resolved else None, closed_at=at
    )
    return case


def test_a_sample_of_last_months_closed_cases_gets_one_call_each_and_a_rerun_none():
    form = EvaluationForm.objects.create(name="满意度电话调查表", questions=["总体满意吗？"])
    customers = [UserFactory(name=f"客户{i}") for i in range(10)]
    november = [_closed(c, on=date(2026, 11, 1 + i)) for i, c in enumerate(customers)]
    _closed(customers[0], on=date(2026, 12, 2))  # this month: next month's sample
    _closed(UserFactory(), on=date(2026, 11, 20), resolved=False)  # rejected, never resolved
    _closed(UserFactory(), on=date(2026, 10, 31))  # the month before

    assert survey_calls_schedule(today=TODAY, share=0.2) == 2
    calls = list(CallbackVisit.objects.filter(kind=CallbackVisit.Kind.SURVEY))
    assert len(calls) == 2
    assert {call.case for call in calls} <= set(november)
    for call in calls:
        assert (call.required_role, call.due_date, call.form) == (
            "agent",
            TODAY + timedelta(days=7),
            form,
        )
        assert call.customer == call.case.customer
        assert call.schedule_key == f"survey:{call.customer_id}:2026-11"

    # a rerun (the job runs again, or twice the same day) schedules nothing more
    assert survey_calls_schedule(today=TODAY, share=0.2) == 0
    assert survey_calls_schedule(today=TODAY + timedelta(days=3), share=0.2) == 0
    assert CallbackVisit.objects.filter(kind="survey").count() == 2
    # nothing closed in the month before: nothing to call
    assert survey_calls_schedule(today=date(2026, 11, 5), share=0.2) == 1  # October's one
    assert survey_calls_schedule(today=date(2026, 2, 5), share=0.2) == 0


def test_the_monthly_tier_job_schedules_the_survey_calls(settings, shopper):
    settings.CUSTOMER_SERVICE_SURVEY_CALL_SHARE = 1.0
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=5)
    case = _closed(shopper, on=last_month)

    result = customer_tiers_refresh()

    assert result.survey_calls == 1
    assert CallbackVisit.objects.get(kind="survey").case == case
    assert customer_tiers_refresh().survey_calls == 0


def test_an_agent_does_the_survey_call_on_the_back_office(client, shopper, agent):
    EvaluationForm.objects.create(name="满意度电话调查表", questions=["总体满意吗？"])
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=5)
    case = _closed(shopper, on=last_month)
    survey_calls_schedule(share=1.0)
    call = CallbackVisit.objects.get(kind="survey")
    CallbackVisit.objects.filter(pk=call.pk).update(due_date=timezone.localdate())
    client.force_login(agent)

    listing = client.get("/service/callbacks/").content.decode()
    assert "满意度电话调查" in listing
    assert f"/service/callbacks/{call.pk}/" in listing
    done = client.post(
        f"/service/callbacks/{call.pk}/", {"action": "complete", "score": "5", "q0": "很满意"}
    )
    assert done.status_code == 302
    call.refresh_from_db()
    case.refresh_from_db()
    assert (call.status, call.score, call.completed_by) == ("done", 5, agent)
    assert case.status == Case.Status.CLOSED  # the case stays as it was
