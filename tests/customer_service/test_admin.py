"""The back office through the admin: agents work the queue with one action per move, a
merchant sees and answers only its own store's cases and never the internal notes."""

import pytest

from apps.customer_service.models import Case, CaseEntry
from apps.customer_service.services import case_reply
from tests.customer_service.conftest import open_case

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/customer_service/case/"


def _change(case):
    return f"{CHANGELIST}{case.pk}/change/"


def test_agent_registers_a_phone_call(client, agent):
    client.force_login(agent)

    response = client.post(
        f"{CHANGELIST}add/",
        {
            "channel": "phone",
            "category": "delivery",
            "priority": "p2",
            "subject": "送货迟到",
            "description": "约好上午送，下午才到。",
            "contact_name": "李阿姨",
            "contact_phone": "13900139000",
            "place": "县城东街",
            "people": "配送员",
        },
    )

    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.channel, case.opened_by, case.priority) == ("phone", agent, "p2")
    assert case.events.get().actor == agent


def test_agent_acknowledges_through_the_action_form(client, agent, shopper):
    case = open_case(shopper)
    client.force_login(agent)
    data = {
        "action": "acknowledge_cases",
        "_selected_action": [case.pk],
        "apply": "1",
        "apology": "抱歉",
        "occurred_at": "2026-12-01 10:00",
        "place": "家中",
        "people": "本人",
        "contact_name": "王",
        "contact_phone": "13800138000",
    }

    missing = client.post(CHANGELIST, {**data, "place": ""})
    assert missing.status_code == 200  # the form again, with its error
    case.refresh_from_db()
    assert case.status == Case.Status.NEW

    client.post(CHANGELIST, data)
    case.refresh_from_db()
    assert case.status == Case.Status.ACKNOWLEDGED
    assert case.owner == agent


def test_agent_may_not_assign_or_reject(client, agent, shopper):
    case = open_case(shopper)
    client.force_login(agent)

    response = client.get(CHANGELIST)

    actions = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert "acknowledge_cases" in actions
    assert "assign_cases" not in actions
    assert "reject_cases" not in actions
    assert case.number in response.content.decode()


def test_queue_shows_time_left_in_colour(client, agent, shopper, django_assert_max_num_queries):
    for _ in range(5):
        open_case(shopper, priority="p3")
    client.force_login(agent)

    with django_assert_max_num_queries(20):
        response = client.get(f"{CHANGELIST}?queue=unassigned")

    assert response.content.decode().count('data-sla="green"') == 5


@pytest.mark.parametrize("who", ["merchant_a", "merchant_b"])
def test_merchant_sees_only_its_own_stores_cases(client, request, who, shopper, store_a, store_b):
    merchant = request.getfixturevalue(who)
    own_store, other_store = (store_a, store_b) if who == "merchant_a" else (store_b, store_a)
    own = open_case(shopper, store=own_store, subject="本店的投诉")
    other = open_case(shopper, store=other_store, subject="别家的投诉")
    client.force_login(merchant)

    listing = client.get(CHANGELIST).content.decode()

    assert own.number in listing
    assert other.number not in listing
    assert client.get(_change(own)).status_code == 200
    assert client.get(_change(other)).status_code == 404


def test_merchant_never_reads_internal_notes_and_answers_only_its_store(
    client, merchant_a, shopper, agent, store_a, store_b
):
    own = open_case(shopper, store=store_a)
    other = open_case(shopper, store=store_b)
    case_reply(case=own, actor=agent, body="内部备注：商家态度差", kind="internal_note")
    client.force_login(merchant_a)

    assert "商家态度差" not in client.get(_change(own)).content.decode()

    reply = {"action": "partner_reply", "apply": "1", "body": "已安排补发"}
    client.post(CHANGELIST, {**reply, "_selected_action": [own.pk, other.pk]})

    # the other store's case is not even in the merchant's queryset: only one reply exists
    entry = CaseEntry.objects.get(kind=CaseEntry.Kind.PARTNER)
    assert entry.case == own
    assert not entry.is_public  # staff release it


def test_supervisor_publishes_a_merchant_reply(client, supervisor, merchant_a, shopper, store_a):
    case = open_case(shopper, store=store_a)
    entry = case_reply(case=case, actor=merchant_a, body="已安排补发", kind="partner")
    client.force_login(supervisor)

    client.post(CHANGELIST, {"action": "publish_partner_replies", "_selected_action": [case.pk]})

    entry.refresh_from_db()
    assert entry.is_public
    assert case.events.filter(kind="publish", actor=supervisor).exists()


def test_calendar_page_warns_about_a_year_without_data(client, supervisor):
    client.force_login(supervisor)

    response = client.get("/admin/customer_service/calendarday/", follow=True)

    assert "2027 年的法定节假日和调休尚无数据" in response.content.decode()


def test_case_page_shows_the_customers_history_to_staff_only(
    client, agent, merchant_a, shopper, store_a, store_b, django_assert_max_num_queries
):
    earlier = open_case(shopper, store=store_b, subject="上次的投诉")
    case = open_case(shopper, store=store_a)
    case_reply(case=case, actor=agent, body="已联系", kind="public_reply")
    client.force_login(agent)

    with django_assert_max_num_queries(25):
        staff_page = client.get(_change(case)).content.decode()

    assert earlier.number in staff_page
    client.force_login(merchant_a)
    merchant_page = client.get(_change(case)).content.decode()
    assert earlier.number not in merchant_page


def test_merchant_files_a_case_about_its_own_store_only(client, merchant_a, store_a, store_b):
    from tests.factories import ProductFactory
    from tests.traceability.conftest import make_lot

    other_lot = make_lot(store_b, ProductFactory(store=store_b), number="GN-1")
    client.force_login(merchant_a)
    data = {
        "category": "delivery",
        "priority": "p3",
        "subject": "顾客来电投诉配送",
        "description": "顾客说快递员态度差",
        "contact_name": "李",
        "contact_phone": "13900139000",
    }

    refused = client.post(f"{CHANGELIST}add/", {**data, "lot_number": other_lot.lot_number})
    assert refused.status_code == 200
    assert "批次号不存在" in refused.content.decode()
    assert not Case.objects.exists()

    client.post(f"{CHANGELIST}add/", data)
    case = Case.objects.get()
    assert (case.channel, case.store, case.opened_by) == ("merchant", store_a, merchant_a)
