"""A complaint from end to end in a browser: a shopper files it from a trace page on a phone,
an agent acknowledges, assigns and resolves it in the back office, the shopper confirms, and a
callback with its evaluation form closes it."""

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


def _run_action(page, base, case, action: str, fields: dict[str, str]) -> None:
    page.goto(f"{base}/admin/customer_service/case/{case.pk}/change/")
    page.locator("select[name='CHANGE_FORM-action']").select_option(action)
    page.locator("#case_form .actions button[type=submit]").click()
    page.wait_for_load_state()
    if not fields:
        return
    for name, value in fields.items():
        field = page.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    page.locator(".submit-row [type=submit]").first.click()
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

    # the agent acknowledges, assigns, starts and resolves it in the back office
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    desk.set_default_timeout(10_000)
    log_in(desk, base, "agent@example.com", PASSWORD, next_path="/admin/")
    _run_action(
        desk,
        base,
        case,
        "acknowledge_cases",
        {
            "occurred_at": "2026-12-01 10:00",
            "place": "家中",
            "people": "顾客本人",
            "contact_phone": "13800138000",
        },
    )
    _run_action(desk, base, case, "assign_cases", {"responsible": "客服主管老张"})
    _run_action(desk, base, case, "start_cases", {})
    _run_action(
        desk,
        base,
        case,
        "resolve_cases",
        {"root_cause": "仓库防虫不到位", "resolution": "换货一袋", "compensation": "无"},
    )
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED

    # the shopper sees the result and confirms it
    phone.goto(f"{base}{case.get_absolute_url()}")
    expect(phone.locator("body")).to_contain_text("换货一袋")
    phone.get_by_role("button", name="满意，确认结果").click()
    expect(phone.locator(".as-status")).to_have_text("客户已确认")

    # the callback with its evaluation form closes the case
    visit = CallbackVisit.objects.get(case=case)
    desk.goto(f"{base}/admin/customer_service/callbackvisit/{visit.pk}/evaluate/")
    desk.locator("[name=score]").select_option("5")
    desk.locator("[name=q0]").fill("已解决")
    desk.get_by_role("button", name="提交并归档").click()
    expect(desk.locator("h1")).to_have_text("田间 · 客户回访评价表")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
