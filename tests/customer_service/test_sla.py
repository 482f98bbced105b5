"""SLA arithmetic on the business calendar (fixed clocks), pauses, and the escalation job."""

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group

from apps.accounts.models import Notification
from apps.core.roles import CS_MANAGER
from apps.customer_service.calendar import (
    SHANGHAI,
    BusinessCalendar,
    calendar_years_missing,
)
from apps.customer_service.models import CalendarDay, Case, CaseEvent
from apps.customer_service.selectors import business_calendar, calendar_warnings
from apps.customer_service.services import (
    case_acknowledge,
    case_assign,
    case_pend,
    case_start,
    cases_escalate_breached,
)
from apps.customer_service.tasks import cases_escalate_breached_task
from tests.customer_service.conftest import open_case


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


CAL = BusinessCalendar()


def test_working_hours_roll_over_a_weekend():
    # Friday 2026-11-20 17:00 + 4 working hours = Monday 11-23 12:00
    assert CAL.add(at(2026, 11, 20, 17), 4 * 60) == at(2026, 11, 23, 12)


def test_a_start_outside_hours_counts_from_the_next_opening():
    # Saturday evening → Monday 09:00 + 60 min
    assert CAL.add(at(2026, 11, 21, 20), 60) == at(2026, 11, 23, 10)


def test_public_holiday_is_skipped():
    # National Day week 2026: Oct 1–7 off; Sept 30 (Wed) 17:00 + 2 h → Oct 8 (Thu) 10:00
    assert CAL.add(at(2026, 9, 30, 17), 120) == at(2026, 10, 8, 10)


def test_make_up_working_day_counts():
    # 2026-10-10 is a Saturday worked in exchange (调休): the clock runs on it
    assert not CAL.is_workday(date(2026, 10, 3))
    assert CAL.is_workday(date(2026, 10, 10))
    assert CAL.add(at(2026, 10, 9, 17), 120) == at(2026, 10, 10, 10)


def test_staff_table_overrides_and_fills_unknown_years():
    # 2027 is not in chinesecalendar: New Year's Day is a Friday and would count as work
    assert BusinessCalendar().is_workday(date(2027, 1, 1))
    cal = BusinessCalendar(overrides={date(2027, 1, 1): False})
    assert not cal.is_workday(date(2027, 1, 1))
    # Thursday 2026-12-31 17:00 + 2 h → Monday 2027-01-04 10:00
    assert cal.add(at(2026, 12, 31, 17), 120) == at(2027, 1, 4, 10)


def test_minutes_between_is_the_inverse_of_add():
    start = at(2026, 9, 30, 15, 30)
    end = CAL.add(start, 500)
    assert CAL.minutes_between(start, end) == 500


def test_years_without_data_are_named():
    assert calendar_years_missing([2026, 2027]) == [2027]
    assert calendar_years_missing([2027], overridden_years=[2027]) == []


@pytest.mark.django_db
def test_calendar_warning_until_staff_fill_the_year():
    assert calendar_warnings(today=date(2026, 12, 7)) == [2027]
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    assert calendar_warnings(today=date(2026, 12, 7)) == []
    assert not business_calendar().is_workday(date(2027, 1, 1))


@pytest.mark.django_db
def test_p2_due_times_on_the_business_calendar(shopper):
    # opened Friday 2026-11-20 16:00: 4 working hours → Monday 11:00; 3 working days → Wed 16:00
    case = open_case(shopper, priority="p2", now=at(2026, 11, 20, 16))
    assert case.first_response_due == at(2026, 11, 23, 11)
    assert case.resolution_due == at(2026, 11, 25, 16)


@pytest.mark.django_db
def test_a_pause_moves_the_due_times(shopper, agent, supervisor):
    # given a P2 case in progress, due Wednesday 16:00
    case = open_case(shopper, priority="p2", now=at(2026, 11, 20, 16))
    case = case_acknowledge(
        case=case,
        actor=agent,
        apology="抱歉",
        occurred_at=at(2026, 11, 19),
        place="家",
        people="本人",
        contact_name="王",
        contact_phone="13800138000",
    )
    case = case_assign(case=case, actor=supervisor, responsible=agent)
    case = case_start(case=case, actor=agent)

    # when it waits on the customer from Monday 10:00 to Monday 15:00 (5 working hours)
    case = case_pend(
        case=case,
        actor=agent,
        to_status=Case.Status.PENDING_CUSTOMER,
        reason="补充照片",
        now=at(2026, 11, 23, 10),
    )
    case = case_start(case=case, actor=agent, now=at(2026, 11, 23, 15))

    # then resolution is due 5 working hours later: Thursday 12:00
    assert case.resolution_due == at(2026, 11, 26, 12)
    assert case.paused_minutes == 300
    assert case.paused_at is None


@pytest.mark.django_db
def test_escalation_levels_notifications_and_idempotence(shopper, supervisor, manager, director):
    opened = at(2026, 11, 23, 9)  # Monday
    fresh = open_case(shopper, priority="p1", now=opened)
    first_late = open_case(shopper, priority="p1", now=opened)
    very_late = open_case(shopper, priority="p1", now=opened - timedelta(days=3))
    paused = open_case(shopper, priority="p1", now=opened - timedelta(days=3))
    Case.objects.filter(pk=paused.pk).update(status=Case.Status.PENDING_PARTNER)
    Case.objects.filter(pk=fresh.pk).update(first_responded_at=opened)

    # when the monitor runs at 11:00 (P1: first response due 10:00, resolution next day)
    now = at(2026, 11, 23, 11)
    result = cases_escalate_breached(now=now)

    # then: late first response → 1; resolution 2 days late → 3; answered or paused → 0
    levels = dict(Case.objects.values_list("pk", "escalation_level"))
    assert levels == {fresh.pk: 0, first_late.pk: 1, very_late.pk: 3, paused.pk: 0}
    assert result.escalated == {3: 1, 1: 1}
    assert CaseEvent.objects.filter(kind="escalation").count() == 2
    assert Notification.objects.filter(user=supervisor).count() == 1
    assert Notification.objects.filter(user=director).count() == 1
    assert Notification.objects.filter(user=manager).count() == 0

    # and a second run changes nothing
    again = cases_escalate_breached(now=now)
    assert again.total == 0
    assert CaseEvent.objects.filter(kind="escalation").count() == 2
    assert Notification.objects.count() == 2

    # a day later the first one's resolution is overdue too: level 2, the manager is told
    cases_escalate_breached(now=now + timedelta(days=1))
    assert Case.objects.get(pk=first_late.pk).escalation_level == 2
    assert Notification.objects.filter(user=manager).count() == 1


@pytest.mark.django_db
def test_task_runs_the_monitor(shopper):
    case = open_case(shopper, priority="p1", now=at(2020, 1, 6, 9))

    assert cases_escalate_breached_task.delay().get() == 1

    case.refresh_from_db()
    assert case.escalation_level == 3
    assert Group.objects.get(name=CS_MANAGER)  # the role exists as a group
