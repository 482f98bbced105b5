"""The staff back office under /service/ through the HTTP client: every page checks the role
(shoppers and merchants get 403), the queues and their colours, the case page with one form per
allowed move calling the services, callbacks with the evaluation form, archives with logged
confidential views, the figures, and the query ceilings with many cases."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.core.roles import CS_AGENT
from apps.customer_service.models import (
    CallbackVisit,
    CannedReply,
    Case,
    CaseEntry,
    ConfidentialAccess,
    CustomerProfile,
    EvaluationForm,
)
from apps.customer_service.services import case_acknowledge, case_resolve
from tests.customer_service.conftest import open_case
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
S = Case.Status

DESK_PAGES = [
    "/service/queue/",
    "/service/callbacks/",
    "/service/customers/",
    "/service/reports/",
]


def _ack_data(**extra):
    data = {
        "apology": "非常抱歉，我们马上核实。",
        "occurred_at": "2026-12-01 10:00",
        "place": "家中",
        "people": "顾客本人",
        "contact_name": "王先生",
        "contact_phone": "13800138000",
    }
    data.update(extra)
    return data


def _move(client, case, move, data=None):
    return client.post(f"/service/cases/{case.number}/do/{move}/", data or {})


def _set_due(case, *, minutes: int, responded=True):
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        first_responded_at=now if responded else None,
        first_response_due=now + timedelta(minutes=minutes),
        resolution_due=now + timedelta(minutes=minutes),
    )


# --- permissions --------------------------------------------------------------------------


@pytest.mark.parametrize("url", DESK_PAGES)
def test_shoppers_and_merchants_get_403_and_visitors_the_log_in(client, url, shopper, merchant_a):
    assert client.get(url).status_code == 302
    for user in (shopper, merchant_a):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()


def test_case_page_and_moves_refuse_a_merchant_even_of_the_cases_store(
    client, shopper, merchant_a, store_a
):
    case = open_case(shopper, store=store_a)
    client.force_login(merchant_a)

    assert client.get(f"/service/cases/{case.number}/").status_code == 403
    assert _move(client, case, "acknowledge", _ack_data()).status_code == 403
    assert client.post(f"/service/cases/{case.number}/claim/").status_code == 403
    case.refresh_from_db()
    assert (case.status, case.owner) == (S.NEW, None)


def test_agent_works_the_desk_but_not_the_supervisors_pages(client, agent, supervisor, manager):
    client.force_login(agent)
    assert client.get("/service/queue/").status_code == 200
    assert client.get("/service/callbacks/").status_code == 200
    assert client.get("/service/customers/").status_code == 200
    assert client.get("/service/reports/").status_code == 403
    assert "统计报表" not in client.get("/service/queue/").content.decode()

    client.force_login(supervisor)
    page = client.get("/service/reports/")
    assert page.status_code == 200
    assert "vendor/echarts/echarts.common.min.js" in page.content.decode()
    assert "统计报表" in client.get("/service/queue/").content.decode()


# --- queues -------------------------------------------------------------------------------


def test_queues_show_time_left_in_red_amber_green(client, shopper, agent, store_a, store_b):
    breached = open_case(shopper, store=store_a, subject="超时的")
    soon = open_case(shopper, store=store_a, subject="快到期的", category="delivery")
    later = open_case(shopper, store=store_b, subject="还早的")
    mine = open_case(shopper, store=store_b, subject="我的")
    _set_due(breached, minutes=-90)
    _set_due(soon, minutes=30)
    _set_due(later, minutes=600)
    _set_due(mine, minutes=600)
    Case.objects.filter(pk=mine.pk).update(owner=agent)
    client.force_login(agent)

    def numbers(query):
        page = client.get(f"/service/queue/?{query}")
        assert page.status_code == 200
        html = page.content.decode()
        return {n for n in Case.objects.values_list("number", flat=True) if n in html}, html

    got, html = numbers("queue=breached")
    assert got == {breached.number}
    assert "desk-sla-red" in html
    assert "超时 1 小时 30 分" in html
    got, html = numbers("queue=due_soon")
    assert got == {soon.number}
    assert "desk-sla-amber" in html
    assert "剩 29 分钟" in html or "剩 30 分钟" in html
    got, html = numbers("queue=mine")
    assert got == {mine.number}
    assert "desk-sla-green" in html
    got, _html = numbers("queue=unassigned")
    assert got == {breached.number, soon.number, later.number}
    got, _html = numbers(f"queue=all&store={store_a.pk}")
    assert got == {breached.number, soon.number}
    got, _html = numbers(f"queue=all&store={store_a.pk}&category=delivery")
    assert got == {soon.number}


def test_claim_from_the_queue_and_reassign_by_a_supervisor(
    client, shopper, agent, supervisor, store_a
):
    case = open_case(shopper, store=store_a)
    client.force_login(agent)
    response = client.post(
        f"/service/cases/{case.number}/claim/", {"next": "/service/queue/?queue=unassigned"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/service/queue/?queue=unassigned"
    case.refresh_from_db()
    assert case.owner == agent
    assert case.events.filter(kind="claim", actor=agent).exists()
    assert case.number in client.get("/service/queue/?queue=mine").content.decode()
    timeline = client.get(f"/service/cases/{case.number}/").content.decode()
    assert "<b>认领</b>" in timeline  # the fact by its Chinese name, not its code
    assert "<b>claim</b>" not in timeline

    # another agent may not take it over (that is a reassignment)
    other = UserFactory(name="客服小王", is_staff=True)
    other.groups.add(Group.objects.get(name=CS_AGENT))
    client.force_login(other)
    assert client.post(f"/service/cases/{case.number}/claim/").status_code == 302
    case.refresh_from_db()
    assert case.owner == agent
    assert 'id="move-claim"' not in client.get(f"/service/cases/{case.number}/").content.decode()
    assert _move(client, case, "claim").status_code == 403
    case.refresh_from_db()
    assert case.owner == agent
    client.force_login(agent)

    # an agent may not (re)assign: 403 and nothing changes
    case_acknowledge(
        case=case,
        actor=agent,
        apology="抱歉",
        occurred_at=timezone.now(),
        place="家中",
        people="本人",
        contact_name="王",
        contact_phone="13800138000",
    )
    refused = _move(client, case, "assign", {"responsible": agent.pk})
    assert refused.status_code == 403
    case.refresh_from_db()
    assert (case.status, case.responsible) == (S.ACKNOWLEDGED, None)

    client.force_login(supervisor)
    done = _move(client, case, "assign", {"responsible": supervisor.pk, "owner": supervisor.pk})
    assert done.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.responsible, case.owner) == (S.ASSIGNED, supervisor, supervisor)


def test_queue_page_stays_under_20_queries_with_many_cases(
    client, shopper, agent, store_a, store_b, django_assert_max_num_queries
):
    for i in range(60):
        case = open_case(shopper, store=store_a if i % 2 else store_b, subject=f"工单 {i}")
        _set_due(case, minutes=-10 if i % 3 else 30)
        if i % 4 == 0:
            Case.objects.filter(pk=case.pk).update(owner=agent, responsible=agent)
    client.force_login(agent)
    client.get("/service/queue/")  # session and permissions warm, as for a working agent

    for queue in ("mine", "unassigned", "due_soon", "breached", "all"):
        with django_assert_max_num_queries(20):
            page = client.get(f"/service/queue/?queue={queue}")
        assert page.status_code == 200
    page = client.get("/service/queue/?queue=all")
    assert page.content.decode().count("desk-sla desk-sla-") == 50  # one page
    assert "下一页" in page.content.decode()


# --- the case page ------------------------------------------------------------------------


def test_case_page_offers_only_the_moves_the_role_and_state_allow(
    client, shopper, agent, supervisor
):
    case = open_case(shopper)
    client.force_login(agent)
    html = client.get(f"/service/cases/{case.number}/").content.decode()
    assert 'id="move-acknowledge"' in html
    assert 'id="move-claim"' in html
    for absent in ("assign", "resolve", "reject", "merge", "priority", "start"):
        assert f'id="move-{absent}"' not in html

    client.force_login(supervisor)
    html = client.get(f"/service/cases/{case.number}/").content.decode()
    for present in ("acknowledge", "reject", "merge", "priority"):
        assert f'id="move-{present}"' in html
    assert 'id="move-resolve"' not in html


def test_an_agent_takes_a_case_from_new_to_resolved_on_the_desk(client, shopper, agent, supervisor):
    CannedReply.objects.create(title="致歉", body="{customer}您好，工单 {case} 由{agent}跟进。")
    case = open_case(shopper)
    client.force_login(agent)

    assert _move(client, case, "acknowledge", _ack_data()).status_code == 302
    client.force_login(supervisor)
    assert _move(client, case, "assign", {"responsible": agent.pk}).status_code == 302
    client.force_login(agent)
    assert _move(client, case, "start").status_code == 302
    canned = CannedReply.objects.get()
    reply = _move(client, case, "reply", {"kind": "public_reply", "canned": canned.pk})
    assert reply.status_code == 302
    note = _move(client, case, "reply", {"kind": "internal_note", "body": "仓库批次待查"})
    assert note.status_code == 302
    resolved = _move(
        client,
        case,
        "resolve",
        {"root_cause": "仓库防虫不到位", "resolution": "换货一袋", "compensation": "无"},
    )
    assert resolved.status_code == 302

    case.refresh_from_db()
    assert case.status == S.RESOLVED
    moves = list(case.events.filter(kind="status").values_list("to_status", "actor"))
    assert moves == [
        (S.NEW, shopper.pk),
        (S.ACKNOWLEDGED, agent.pk),
        (S.ASSIGNED, supervisor.pk),
        (S.IN_PROGRESS, agent.pk),
        (S.RESOLVED, agent.pk),
    ]
    public = case.entries.get(body__startswith="王先生您好")
    assert public.is_public
    assert case.number in public.body
    assert agent.name in public.body
    assert not case.entries.get(kind=CaseEntry.Kind.INTERNAL_NOTE).is_public
    assert CallbackVisit.objects.filter(case=case, kind="complaint").exists()

    # the timeline shows every move and reply, the internal note marked as such
    html = client.get(f"/service/cases/{case.number}/").content.decode()
    for text in ("已受理", "已指派", "处理中", "已解决", "仓库批次待查", "客户不可见", "换货一袋"):
        assert text in html
    # the shopper's page never shows the internal note
    client.force_login(shopper)
    assert "仓库批次待查" not in client.get(case.get_absolute_url()).content.decode()


def test_a_move_the_state_forbids_is_409_and_bad_input_400(client, shopper, agent):
    case = open_case(shopper)
    client.force_login(agent)

    refused = _move(
        client, case, "resolve", {"root_cause": "x", "resolution": "y", "compensation": "无"}
    )
    assert refused.status_code == 409
    assert "不能从「新建」变为「已解决」" in refused.content.decode()
    bad = _move(client, case, "acknowledge", _ack_data(place=""))
    assert bad.status_code == 400
    assert "这个字段是必填项" in bad.content.decode() or "必填" in bad.content.decode()
    case.refresh_from_db()
    assert case.status == S.NEW
    assert case.events.count() == 1
    assert client.post(f"/service/cases/{case.number}/do/nonsense/").status_code == 404
    assert client.get(f"/service/cases/{case.number}/do/acknowledge/").status_code == 405


def test_case_page_stays_under_20_queries_with_a_long_history(
    client, shopper, agent, supervisor, store_a, django_assert_max_num_queries
):
    for i in range(30):
        open_case(shopper, store=store_a, subject=f"以前的 {i}")
    CannedReply.objects.create(title="致歉", body="抱歉")
    case = open_case(shopper, store=store_a)
    case_acknowledge(
        case=case,
        actor=agent,
        apology="抱歉",
        occurred_at=timezone.now(),
        place="家中",
        people="本人",
        contact_name="王",
        contact_phone="13800138000",
    )
    client.force_login(agent)
    for i in range(20):
        _move(client, case, "reply", {"kind": "internal_note", "body": f"备注 {i}"})
    for user in (agent, supervisor):
        client.force_login(user)
        client.get(f"/service/cases/{case.number}/")
        with django_assert_max_num_queries(20):
            page = client.get(f"/service/cases/{case.number}/")
        assert page.status_code == 200
        assert "备注 19" in page.content.decode()
        assert "以前的 29" in page.content.decode()


def test_merge_and_reject_by_a_supervisor_on_the_desk(client, shopper, agent, supervisor):
    first, duplicate, spam = open_case(shopper), open_case(shopper), open_case(shopper)
    client.force_login(agent)
    assert _move(client, spam, "reject", {"reason": "广告"}).status_code == 403

    client.force_login(supervisor)
    unknown = _move(client, duplicate, "merge", {"into": "KF-NONE"})
    assert unknown.status_code == 400
    assert "工单号不存在" in unknown.content.decode()
    assert _move(client, duplicate, "merge", {"into": first.number}).status_code == 302
    assert _move(client, spam, "reject", {"reason": "广告"}).status_code == 302
    duplicate.refresh_from_db()
    spam.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (S.CLOSED, first)
    assert spam.status == S.CLOSED
    # a closed case offers no move
    html = client.get(f"/service/cases/{spam.number}/").content.decode()
    assert 'class="desk-card desk-move' not in html


# --- callbacks ----------------------------------------------------------------------------


def _resolved(shopper, agent):
    case = open_case(shopper)
    Case.objects.filter(pk=case.pk).update(status=S.IN_PROGRESS, owner=agent)
    case.refresh_from_db()
    return case_resolve(
        case=case, actor=agent, root_cause="仓储", resolution="换货", compensation="无"
    )


def test_callbacks_due_today_with_the_evaluation_form_close_the_case(client, shopper, agent):
    EvaluationForm.objects.create(name="投诉回访表", questions=["问题是否已解决？"])
    case = _resolved(shopper, agent)
    visit = CallbackVisit.objects.get(case=case)
    CallbackVisit.objects.filter(pk=visit.pk).update(due_date=timezone.localdate())
    later = CallbackVisit.objects.create(
        kind="survey",
        required_role="agent",
        customer=shopper,
        due_date=timezone.localdate() + timedelta(days=5),
    )
    client.force_login(agent)

    html = client.get("/service/callbacks/").content.decode()
    assert case.number in html
    assert f"/service/callbacks/{visit.pk}/" in html
    assert f"/service/callbacks/{later.pk}/" not in html  # not due yet
    week = client.get("/service/callbacks/?scope=week").content.decode()
    assert f"/service/callbacks/{later.pk}/" in week
    mine = client.get("/service/callbacks/?scope=mine").content.decode()
    assert f"/service/callbacks/{visit.pk}/" in mine  # the case's owner does its callback
    assert f"/service/callbacks/{later.pk}/" not in mine
    assert "window.print()" in html

    form = client.get(f"/service/callbacks/{visit.pk}/").content.decode()
    assert "问题是否已解决？" in form
    assert "提交并归档" in form
    missing = client.post(f"/service/callbacks/{visit.pk}/", {"action": "complete", "score": "5"})
    assert missing.status_code == 400
    done = client.post(
        f"/service/callbacks/{visit.pk}/",
        {"action": "complete", "score": "4", "q0": "已解决", "note": "客户满意"},
    )
    assert done.status_code == 302
    assert done["Location"] == f"/service/callbacks/{visit.pk}/print/"
    visit.refresh_from_db()
    case.refresh_from_db()
    assert (visit.status, visit.score, visit.answers) == ("done", 4, {"问题是否已解决？": "已解决"})
    assert case.status == S.CLOSED
    printed = client.get(done["Location"]).content.decode()
    assert "已解决" in printed
    assert "callback_print.css" in printed


def test_three_failed_tries_and_the_role_a_visit_needs(client, shopper, agent):
    visit = CallbackVisit.objects.create(
        kind="complaint", required_role="agent", customer=shopper, due_date=timezone.localdate()
    )
    president = CallbackVisit.objects.create(
        kind="president", required_role="president", customer=shopper, due_date=timezone.localdate()
    )
    client.force_login(agent)
    for _ in range(3):
        assert (
            client.post(f"/service/callbacks/{visit.pk}/", {"action": "attempt"}).status_code == 302
        )
    visit.refresh_from_db()
    assert (visit.status, visit.attempts) == ("unreachable", 3)

    tried = client.post(f"/service/callbacks/{president.pk}/", {"action": "attempt"})
    assert tried.status_code == 403
    assert "总经理" in tried.content.decode()
    president.refresh_from_db()
    assert president.attempts == 0
    refused = client.post(
        f"/service/callbacks/{president.pk}/", {"action": "complete", "score": "5"}
    )
    assert refused.status_code == 403
    assert "总经理" in refused.content.decode()
    president.refresh_from_db()
    assert president.status == "scheduled"


# --- archives -----------------------------------------------------------------------------


def test_archive_confidential_fields_need_the_permission_and_every_view_is_logged(
    client, shopper, agent, manager
):
    profile = CustomerProfile.objects.create(
        user=shopper, contact_phone="13912345678", address="县城北路 8 号", credit_notes="按时付款"
    )
    open_case(shopper, subject="档案里的投诉")
    client.force_login(agent)

    page = client.get(f"/service/customers/{shopper.pk}/").content.decode()
    assert "档案里的投诉" in page
    assert "13912345678" not in page
    assert "县城北路" not in page
    refused = client.get(f"/service/customers/{shopper.pk}/confidential/")
    assert refused.status_code == 403
    assert "13912345678" not in refused.content.decode()
    assert list(ConfidentialAccess.objects.values_list("user", "is_granted")) == [(agent.pk, False)]
    assert client.post(f"/service/customers/{shopper.pk}/tier/", {"tier": "A"}).status_code == 403

    client.force_login(manager)
    shown = client.get(f"/service/customers/{shopper.pk}/confidential/").content.decode()
    assert "13912345678" in shown
    assert "县城北路 8 号" in shown
    assert "按时付款" in shown
    assert ConfidentialAccess.objects.filter(user=manager, is_granted=True).count() == 1
    no_reason = client.post(f"/service/customers/{shopper.pk}/tier/", {"tier": "A"})
    assert no_reason.status_code == 400
    done = client.post(f"/service/customers/{shopper.pk}/tier/", {"tier": "A", "reason": "大客户"})
    assert done.status_code == 302
    profile.refresh_from_db()
    assert (profile.tier, profile.tier_override_reason) == ("A", "大客户")
    listing = client.get("/service/customers/?tier=A").content.decode()
    assert f"/service/customers/{shopper.pk}/" in listing
    assert (
        f"/service/customers/{shopper.pk}/"
        not in client.get("/service/customers/?tier=B").content.decode()
    )


# --- reports ------------------------------------------------------------------------------


def test_reports_page_and_csv(client, shopper, agent, supervisor):
    _resolved(shopper, agent)
    open_case(shopper, category="delivery")
    client.force_login(supervisor)

    page = client.get("/service/reports/?days=30")
    html = page.content.decode()
    assert page.status_code == 200
    assert "cs-chart-data" in html
    assert "按类别" in html
    assert "配送" in html
    export = client.get("/service/reports/?days=30&format=csv")
    assert export["Content-Type"].startswith("text/csv")
    text = export.content.decode("utf-8-sig")
    assert "配送,1" in text
    assert "质量,1" in text
    assert "工单数,2" in text


def test_a_queue_is_most_urgent_first_across_statuses_and_pages(client, shopper, agent):
    """Each page merges the open statuses' own ordered scans: the order is the due time's,
    whatever the status, and the pages neither skip nor repeat a case."""
    statuses = [S.NEW, S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS, S.REOPENED]
    cases = []
    for i in range(12):
        case = open_case(shopper, subject=f"第{i}个")
        Case.objects.filter(pk=case.pk).update(
            status=statuses[i % 5],
            first_responded_at=timezone.now(),
            resolution_due=timezone.now() + timedelta(hours=12 - i),
        )
        cases.append(case)
    closed = open_case(shopper)
    Case.objects.filter(pk=closed.pk).update(status=S.CLOSED)
    from apps.customer_service.selectors import case_queue_rows

    seen = []
    for page in (1, 2, 3):
        rows, has_next = case_queue_rows(user=agent, queue="all", page=page, per_page=5)
        seen += rows
        assert has_next == (page < 3)
    assert [c.pk for c in seen] == [c.pk for c in reversed(cases)]
    assert [c.resolution_due for c in seen] == sorted(c.resolution_due for c in seen)
