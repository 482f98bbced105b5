"""Case lifecycle through the services: each move, its guard, and its event row."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Notification
from apps.catalog.models import Sku
from apps.core.errors import ApplicationError
from apps.customer_service.models import Case, CaseEntry, CaseEvent, Priority
from apps.customer_service.services import (
    canned_reply_render,
    case_acknowledge,
    case_assign,
    case_compensate_refund,
    case_confirm,
    case_lot_release,
    case_merge,
    case_pend,
    case_reject,
    case_reopen,
    case_reply,
    case_resolve,
    case_start,
)
from apps.traceability.models import Lot
from tests.customer_service.conftest import open_case

pytestmark = pytest.mark.django_db
S = Case.Status


def acknowledge(case, agent, **kwargs):
    data = {
        "apology": "非常抱歉，我们马上核实。",
        "occurred_at": timezone.now() - timedelta(days=1),
        "place": "家中",
        "people": "顾客本人",
        "contact_name": "王先生",
        "contact_phone": "13800138000",
    }
    data.update(kwargs)
    return case_acknowledge(case=case, actor=agent, **data)


def resolve(case, agent):
    return case_resolve(
        case=case,
        actor=agent,
        root_cause="仓库防虫措施不到位",
        resolution="已为顾客换货",
        compensation="无",
    )


def test_full_path_records_one_event_per_move(shopper, agent, supervisor):
    # given a complaint filed by the shopper
    case = open_case(shopper)
    assert case.status == S.NEW
    assert case.priority == Priority.P3
    assert case.first_response_due > case.created_at
    assert case.resolution_due > case.first_response_due

    # when it goes the whole way through the procedure
    case = acknowledge(case, agent)
    case = case_assign(case=case, actor=supervisor, responsible=agent)
    case = case_start(case=case, actor=agent)
    case = case_pend(case=case, actor=agent, to_status=S.PENDING_CUSTOMER, reason="请拍照")
    case_reply(case=case, actor=shopper, body="照片已上传", kind=CaseEntry.Kind.CUSTOMER)
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS  # the customer's answer restarted the clock
    case = resolve(case, agent)
    case = case_confirm(case=case, actor=shopper)

    # then every move left its row, in order, with who did it
    moves = list(
        CaseEvent.objects.filter(case=case, kind="status").values_list("to_status", "actor")
    )
    assert moves == [
        (S.NEW, shopper.pk),
        (S.ACKNOWLEDGED, agent.pk),
        (S.ASSIGNED, supervisor.pk),
        (S.IN_PROGRESS, agent.pk),
        (S.PENDING_CUSTOMER, agent.pk),
        (S.IN_PROGRESS, shopper.pk),
        (S.RESOLVED, agent.pk),
        (S.CONFIRMED, shopper.pk),
    ]
    assert case.first_responded_at is not None
    assert case.callback_due is not None
    assert case.owner == agent
    assert case.responsible == agent
    # the apology and the result are public replies the shopper was told about
    assert case.entries.filter(kind=CaseEntry.Kind.PUBLIC_REPLY, is_public=True).count() == 2
    assert Notification.objects.filter(user=shopper).count() >= 2


def test_acknowledge_needs_time_place_people_event_contact(shopper, agent):
    case = open_case(shopper)

    with pytest.raises(ApplicationError) as error:
        acknowledge(case, agent, place="  ")

    assert error.value.fields == {"place": ["请填写发生地点。"]}
    case.refresh_from_db()
    assert case.status == S.NEW
    assert not case.events.filter(to_status=S.ACKNOWLEDGED).exists()


def test_assign_needs_a_responsible_person(shopper, agent, supervisor):
    case = acknowledge(open_case(shopper), agent)

    with pytest.raises(ApplicationError) as error:
        case_assign(case=case, actor=supervisor, responsible=None)

    assert error.value.code == "case_responsible_required"
    case.refresh_from_db()
    assert case.status == S.ACKNOWLEDGED


def test_agent_may_not_assign(shopper, agent):
    case = acknowledge(open_case(shopper), agent)

    with pytest.raises(ApplicationError) as error:
        case_assign(case=case, actor=agent, responsible=agent)

    assert error.value.status_code == 403
    case.refresh_from_db()
    assert case.responsible is None


def test_resolution_needs_root_cause_resolution_and_compensation(shopper, agent, supervisor):
    case = acknowledge(open_case(shopper), agent)
    case = case_assign(case=case, actor=supervisor, responsible=agent)
    case = case_start(case=case, actor=agent)

    with pytest.raises(ApplicationError) as error:
        case_resolve(case=case, actor=agent, root_cause="x", resolution="y", compensation="")

    assert error.value.fields == {"compensation": ["请填写补偿（无则填“无”）。"]}
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS
    assert case.root_cause == ""


def test_forbidden_move_is_409_and_changes_nothing(shopper, agent):
    case = open_case(shopper)

    with pytest.raises(ApplicationError) as error:
        resolve(case, agent)

    assert error.value.status_code == 409
    assert error.value.code == "case_invalid_transition"
    case.refresh_from_db()
    assert case.status == S.NEW
    assert case.resolution == ""


def test_reopen_goes_back_to_work_with_a_new_clock(shopper, agent, supervisor):
    case = acknowledge(open_case(shopper), agent)
    case = case_assign(case=case, actor=supervisor, responsible=agent)
    case = resolve(case_start(case=case, actor=agent), agent)

    case = case_reopen(case=case, actor=shopper, reason="换的货也有虫")

    assert case.status == S.REOPENED
    assert case.reopen_count == 1
    assert case.resolution_due > timezone.now()
    case = case_start(case=case, actor=agent)
    assert case.status == S.IN_PROGRESS


def test_reject_and_merge_end_closed(shopper, supervisor):
    spam = open_case(shopper)
    duplicate = open_case(shopper)
    original = open_case(shopper)

    case_reject(case=spam, actor=supervisor, reason="与平台无关")
    case_merge(case=duplicate, into=original, actor=supervisor)

    spam.refresh_from_db()
    duplicate.refresh_from_db()
    assert spam.status == S.CLOSED
    assert list(spam.events.values_list("to_status", flat=True)) == [S.NEW, S.REJECTED, S.CLOSED]
    assert duplicate.status == S.CLOSED
    assert duplicate.merged_into == original
    assert original.events.filter(kind="merged_in").exists()


def test_merge_into_itself_is_refused(shopper, supervisor):
    case = open_case(shopper)

    with pytest.raises(ApplicationError):
        case_merge(case=case, into=case, actor=supervisor)

    case.refresh_from_db()
    assert case.status == S.NEW


def test_internal_note_is_not_public_and_merchant_reply_waits_for_staff(
    shopper, agent, supervisor, merchant_a, merchant_b, store_a
):
    case = open_case(shopper, store=store_a)

    note = case_reply(case=case, actor=agent, body="怀疑是仓库问题", kind="internal_note")
    reply = case_reply(case=case, actor=merchant_a, body="我们会换货", kind="partner")

    assert not note.is_public
    assert not reply.is_public
    with pytest.raises(ApplicationError) as error:
        case_reply(case=case, actor=merchant_b, body="不关我事", kind="partner")
    assert error.value.status_code == 403
    assert case.entries.count() == 2


def test_canned_reply_fills_placeholders(shopper, agent):
    case = open_case(shopper, contact_name="王先生")
    body = "{customer}您好，工单{case}由{agent}跟进。{x}"

    text = canned_reply_render(body=body, case=case, agent=agent)

    assert text == f"王先生您好，工单{case.number}由客服小李跟进。{{x}}"


def test_order_of_another_customer_is_refused(shopper, store_a):
    from tests.aftersales.conftest import place

    other = type(shopper).objects.create_user(email="other@example.com", password="x")
    from tests.factories import ProductFactory

    product = ProductFactory(store=store_a, skus=[{"spec": "1kg", "price": "10.00"}])
    order = place(other, [(Sku.objects.get(product=product), 1)]).orders.get()

    with pytest.raises(ApplicationError) as error:
        open_case(shopper, order=order)

    assert error.value.code == "case_order_not_yours"
    assert not Case.objects.exists()


def test_food_safety_is_p1_and_holds_the_lot_until_staff_release_it(
    shopper, supervisor, agent, lot_a
):
    # when a food-safety complaint names the lot
    case = open_case(shopper, category=Case.Category.FOOD_SAFETY, lot=lot_a, priority="p3")

    # then it is P1 with a one-hour first response, and the lot stops selling
    assert case.priority == Priority.P1
    assert case.first_response_due - case.created_at <= timedelta(hours=1, seconds=5)
    assert case.store_id == lot_a.store_id
    lot_a.refresh_from_db()
    assert lot_a.status == Lot.Status.ON_HOLD
    assert all(sku.is_held for sku in Sku.objects.filter(product=lot_a.product))
    assert case.events.filter(kind="lot_hold").exists()

    # an agent may not lift it; a supervisor may, with a reason
    with pytest.raises(ApplicationError):
        case_lot_release(case=case, actor=agent, reason="检测合格")
    lot_a.refresh_from_db()
    assert lot_a.status == Lot.Status.ON_HOLD
    with pytest.raises(ApplicationError) as error:
        case_lot_release(case=case, actor=supervisor, reason="")
    assert error.value.fields == {"reason": ["请填写解除原因。"]}

    case_lot_release(case=case, actor=supervisor, reason="送检合格")

    lot_a.refresh_from_db()
    assert lot_a.status == Lot.Status.ACTIVE
    assert not any(sku.is_held for sku in Sku.objects.filter(product=lot_a.product))
    assert case.events.filter(kind="lot_release", actor=supervisor).exists()


def test_refund_compensation_goes_through_an_after_sale(settings, shopper, agent, store_a):
    from decimal import Decimal

    from apps.aftersales.models import AfterSale
    from tests.aftersales.conftest import SECRET, pay, place
    from tests.factories import ProductFactory

    settings.PAYMENT_SANDBOX_SECRET = SECRET
    settings.SITE_URL = "http://testserver"
    product = ProductFactory(store=store_a, skus=[{"spec": "5kg", "price": "59.90"}])
    payment_order = place(shopper, [(Sku.objects.get(product=product), 2)])
    pay(payment_order)
    line = payment_order.orders.get().lines.get()
    case = open_case(shopper, order_line=line)
    general = open_case(shopper)

    with pytest.raises(ApplicationError):
        case_compensate_refund(case=case, actor=agent, amount="500.00")
    with pytest.raises(ApplicationError):
        case_compensate_refund(case=general, actor=agent, amount="5.00")
    assert not AfterSale.objects.exists()

    aftersale = case_compensate_refund(case=case, actor=agent, amount="10.00", note="虫害")

    case.refresh_from_db()
    assert (aftersale.buyer, aftersale.type, aftersale.amount_requested) == (
        shopper,
        "refund_only",
        Decimal("10.00"),
    )
    assert aftersale.status == AfterSale.Status.REQUESTED  # decided like every after-sale
    assert case.aftersale == aftersale
    assert aftersale.number in case.compensation
    assert case.events.filter(kind="compensation", actor=agent).exists()
