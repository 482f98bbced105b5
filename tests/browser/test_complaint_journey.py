"""A complaint from end to end in a browser: a shopper files it from a trace page on a phone,
an agent acknowledges, assigns and resolves it in the staff back office under /service/ (not
the Django admin), the shopper confirms, and the callback with its evaluation form closes it.
The agent's queue is also checked on a phone-wide screen."""

import pytest
from django.contrib.auth.models import Group

from apps.core.roles import CS_SUPERVISOR, roles_sync
from apps.customer_service.models import CallbackVisit, Case, EvaluationForm
from apps.traceability.selectors import lot_primary_code
from tests.browser.conftest import PHONE, log_in
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.traceability.conftest import make_lot

PASSWORD = "pass-Word-123"


@pytest.fixture
def setting(transactional_db):
    roles_sync()
    store = StoreFactory(name="五常稻米合作社", slug="wuchang-rice")
    product = ProductFactory(store=store, title="五常稻花香大米 5kg")
    lot = make_lot(store, product, number="WC-2026-0918")
    shopper = UserFactory(email="buyer@example.com", name="王小明")
    agent = UserFactory(email="agent@example.com", name="客服主管老张", is_staff=True)
    agent.groups.add(Group.objects.get(name=CS_SUPERVISOR))
    EvaluationForm.objects.create(name="投诉回访表", questions=["问题是否已解决？"])
    return lot, shopper, agent


def _move(page, name: str, fields: dict[str, str], submit: str) -> None:
    """Fill the case page's form of one move and submit it."""
    section = page.locator(f"#move-{name}")
    for field, value in fields.items():
        control = section.locator(f"[name={field}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(label=value)
        else:
            control.fill(value)
    section.get_by_role("button", name=submit).click()
    page.wait_for_load_state()


def test_complaint_from_trace_page_to_closed_callback(live_server, browser, setting, expect):
    lot, shopper, _agent = setting
    base = live_server.url

    # the shopper, on a phone, follows the trace page's 投诉反馈 link
    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    phone.set_default_timeout(10_000)
    log_in(phone, base, "buyer@example.com", PASSWORD)
    phone.goto(f"{base}/t/{lot_primary_code(lot=lot).code}")
    phone.get_by_role("link", name="对这批商品有疑问？投诉反馈").click()
    expect(phone.locator("h1")).to_have_text("投诉反馈")
    phone.locator("[name=category]").select_option("quality")
    phone.locator("[name=description]").fill("大米里有小虫。")
    phone.get_by_role("button", name="提交投诉").click()
    expect(phone.locator(".as-status")).to_have_text("新建")
    case = Case.objects.get()
    assert (case.lot, case.customer, case.channel) == (lot, shopper, "trace_page")

    # the agent finds it in the unassigned queue of the back office, time left in green
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    desk.set_default_timeout(10_000)
    log_in(desk, base, "agent@example.com", PASSWORD, next_path="/service/")
    expect(desk.locator("h1")).to_have_text("工单队列")
    desk.get_by_role("link", name="未认领").click()
    row = desk.locator("tr", has=desk.get_by_role("link", name=case.number))
    expect(row.locator(".desk-sla")).to_have_class("desk-sla desk-sla-green")
    row.get_by_role("link", name=case.number).click()
    expect(desk.locator(".desk-status")).to_have_text("新建")

    # acknowledges (time, place, people, event, contact), assigns, starts and resolves it
    _move(
        desk,
        "acknowledge",
        {
            "occurred_at": "2026-12-01 10:00",
            "place": "家中",
            "people": "顾客本人",
            "contact_phone": "13800138000",
        },
        "受理",
    )
    expect(desk.locator(".desk-status")).to_have_text("已受理")
    _move(desk, "assign", {"responsible": "客服主管老张"}, "指派")
    expect(desk.locator(".desk-status")).to_have_text("已指派")
    _move(desk, "start", {}, "开始处理")
    expect(desk.locator(".desk-status")).to_have_text("处理中")
    _move(
        desk,
        "resolve",
        {"root_cause": "仓库防虫不到位", "resolution": "换货一袋", "compensation": "无"},
        "提交处理结果",
    )
    expect(desk.locator(".desk-status")).to_have_text("已解决")
    expect(desk.locator(".desk-timeline")).to_contain_text("已受理 → 已指派")
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    assert desk.url.startswith(f"{base}/service/cases/")  # never the Django admin

    # the shopper sees the result and confirms it
    phone.goto(f"{base}{case.get_absolute_url()}")
    expect(phone.locator("body")).to_contain_text("换货一袋")
    phone.get_by_role("button", name="满意，确认结果").click()
    expect(phone.locator(".as-status")).to_have_text("客户已确认")

    # the callback, from the agent's own callbacks list, with its evaluation form, closes it
    visit = CallbackVisit.objects.get(case=case)
    desk.goto(f"{base}/service/callbacks/")
    desk.get_by_role("link", name="分配给我的").click()
    desk.locator("tr", has=desk.get_by_role("link", name=case.number)).get_by_role(
        "link", name="填写评价表"
    ).click()
    desk.locator("[name=score]").select_option("5")
    desk.locator("[name=q0]").fill("已解决")
    desk.get_by_role("button", name="提交并归档").click()
    expect(desk.locator("h1")).to_have_text("田间 · 客户回访评价表")
    assert desk.url == f"{base}/service/callbacks/{visit.pk}/print/"
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED

    # the queue on a phone: one card per row, nothing wider than the screen
    agent_phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    agent_phone.set_default_timeout(10_000)
    log_in(agent_phone, base, "agent@example.com", PASSWORD, next_path="/service/queue/?queue=all")
    expect(agent_phone.locator("h1")).to_have_text("工单队列")
    assert agent_phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    agent_phone.goto(f"{base}/service/cases/{case.number}/")
    expect(agent_phone.locator(".desk-status")).to_have_text("已关闭")
    assert agent_phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
