"""Storefront complaint pages through the HTTP client: filing (signed in and anonymous with an
SMS code), my cases, adding information and photos, confirming and reopening."""

import re

import pytest
from django.test import Client

from apps.accounts.sms import LocmemSmsSender
from apps.catalog.models import Sku
from apps.customer_service.models import Case, CaseAttachment, CaseEntry
from apps.customer_service.services import case_resolve
from apps.traceability.selectors import trace_complaint_url
from tests.aftersales.conftest import jpeg_upload, not_an_image, place
from tests.customer_service.conftest import open_case
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_SENDER = "apps.accounts.sms.LocmemSmsSender"
    LocmemSmsSender.outbox.clear()


def _form(**extra):
    data = {
        "category": "quality",
        "subject": "米里有虫",
        "description": "打开包装发现有小虫。",
        "place": "家中",
        "contact_name": "王先生",
    }
    data.update(extra)
    return data


def test_anonymous_visitor_files_from_the_trace_page_with_an_sms_code(client, lot_a):
    url = trace_complaint_url(lot_a)

    # the trace page's 投诉反馈 link answers (it was a 404)
    page = client.get(url)
    assert page.status_code == 200
    assert "短信验证码" in page.content.decode()
    assert lot_a.lot_number in page.content.decode()

    # a wrong code files nothing
    sent = client.post("/service/complaints/phone-code/", {"contact_phone": "13800138000"})
    assert sent.json() == {"sent_to": "138****8000"}
    phone, message = LocmemSmsSender.outbox[-1]
    assert phone == "+8613800138000"
    code = re.search(r"\d{6}", message).group()
    wrong = client.post(
        url, _form(contact_phone="13800138000", code="000000" if code != "000000" else "111111")
    )
    assert wrong.status_code == 400
    assert "验证码不正确或已过期" in wrong.content.decode()
    assert not Case.objects.exists()

    # the right code files the case about the lot, and the visitor gets its link by SMS
    response = client.post(url, _form(contact_phone="13800138000", code=code))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/service/complaints/c/{case.public_key}/"
    assert case.channel == Case.Channel.TRACE_PAGE
    assert case.lot == lot_a
    assert case.store_id == lot_a.store_id
    assert case.customer is None
    assert case.contact_phone == "+8613800138000"
    assert case.is_phone_verified
    assert case.public_key in LocmemSmsSender.outbox[-1][1]
    # the code is used up
    again = client.post(url, _form(contact_phone="13800138000", code=code))
    assert again.status_code == 400
    assert Case.objects.count() == 1
    # and the link shows the case to whoever holds it
    detail = Client().get(response["Location"])
    assert detail.status_code == 200
    assert "米里有虫" in detail.content.decode()


def test_code_requests_are_limited_per_phone(client):
    first = client.post("/service/complaints/phone-code/", {"contact_phone": "13800138000"})
    second = client.post("/service/complaints/phone-code/", {"contact_phone": "13800138000"})
    bad = client.post("/service/complaints/phone-code/", {"contact_phone": "12345"})

    assert first.status_code == 200
    assert second.status_code == 429
    assert bad.status_code == 400
    assert len(LocmemSmsSender.outbox) == 1


def test_unknown_lot_is_404(client, lot_a):
    assert (
        client.get(f"/service/complaints/new/?lot=NOPE&store={lot_a.store_id}").status_code == 404
    )


def test_shopper_files_about_an_order_line_and_sees_it_in_my_cases(client, shopper, store_a):
    product = ProductFactory(store=store_a, skus=[{"spec": "5kg", "price": "59.90"}])
    order = place(shopper, [(Sku.objects.get(product=product), 1)]).orders.get()
    line = order.lines.get()
    client.force_login(shopper)

    response = client.post(
        f"/service/complaints/new/?order={order.number}&line={line.pk}",
        _form(photos=[jpeg_upload()]),
    )

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/service/complaints/{case.number}/"
    assert (case.channel, case.order, case.order_line, case.customer) == (
        Case.Channel.IN_ORDER,
        order,
        line,
        shopper,
    )
    assert case.attachments.count() == 1
    listing = client.get("/service/complaints/")
    assert case.number in listing.content.decode()


def test_another_shoppers_order_or_case_is_404(client, shopper, store_a):
    other = type(shopper).objects.create_user(email="o@example.com", password="x")
    product = ProductFactory(store=store_a, skus=[{"spec": "5kg", "price": "59.90"}])
    order = place(other, [(Sku.objects.get(product=product), 1)]).orders.get()
    theirs = open_case(other)
    client.force_login(shopper)

    assert client.get(f"/service/complaints/new/?order={order.number}").status_code == 404
    assert client.get(f"/service/complaints/{theirs.number}/").status_code == 404
    response = client.post(f"/service/complaints/{theirs.number}/", {"action": "confirm"})
    assert response.status_code == 404


def test_adding_information_with_a_fake_photo_keeps_nothing(client, shopper):
    case = open_case(shopper)
    client.force_login(shopper)

    bad = client.post(
        case.get_absolute_url(),
        {"action": "add", "body": "再补充一张图", "photos": [not_an_image()]},
    )
    assert bad.status_code == 400
    assert "文件不是有效的图片" in bad.content.decode()
    assert not CaseEntry.objects.exists()
    assert not CaseAttachment.objects.exists()

    good = client.post(
        case.get_absolute_url(),
        {"action": "add", "body": "再补充一张图", "photos": [jpeg_upload()]},
    )
    assert good.status_code == 302
    entry = CaseEntry.objects.get()
    assert (entry.kind, entry.is_public, entry.author) == ("customer", True, shopper)
    assert entry.attachments.count() == 1


def _resolved(case, agent, supervisor):
    case.status = Case.Status.IN_PROGRESS
    case.save(update_fields=["status"])
    return case_resolve(
        case=case, actor=agent, root_cause="仓储", resolution="换货", compensation="无"
    )


def test_shopper_confirms_or_reopens_the_result(client, shopper, agent, supervisor):
    client.force_login(shopper)
    confirmed = _resolved(open_case(shopper), agent, supervisor)
    reopened = _resolved(open_case(shopper), agent, supervisor)

    page = client.get(confirmed.get_absolute_url())
    assert "满意，确认结果" in page.content.decode()
    assert "换货" in page.content.decode()
    client.post(confirmed.get_absolute_url(), {"action": "confirm"})
    empty = client.post(reopened.get_absolute_url(), {"action": "reopen", "reason": ""})
    assert empty.status_code == 400
    client.post(reopened.get_absolute_url(), {"action": "reopen", "reason": "还是有虫"})

    confirmed.refresh_from_db()
    reopened.refresh_from_db()
    assert confirmed.status == Case.Status.CONFIRMED
    assert reopened.status == Case.Status.REOPENED
    # confirming twice is refused with a message, nothing changes
    client.post(confirmed.get_absolute_url(), {"action": "confirm"})
    assert confirmed.events.filter(to_status=Case.Status.CONFIRMED).count() == 1


def test_internal_notes_never_reach_the_shopper_page(client, shopper, agent):
    from apps.customer_service.services import case_reply

    case = open_case(shopper)
    case_reply(case=case, actor=agent, body="内部：怀疑仓库", kind="internal_note")
    case_reply(case=case, actor=agent, body="您好，正在核实", kind="public_reply")
    client.force_login(shopper)

    html = client.get(case.get_absolute_url()).content.decode()

    assert "正在核实" in html
    assert "怀疑仓库" not in html


def test_trace_page_says_a_complaint_is_investigated_without_its_content(client, shopper, lot_a):
    from apps.traceability.selectors import lot_primary_code

    open_case(
        shopper,
        lot=lot_a,
        category=Case.Category.FOOD_SAFETY,
        description="吃了以后肚子疼，怀疑农药残留",
    )

    html = client.get(f"/t/{lot_primary_code(lot=lot_a).code}").content.decode()

    assert "该批次暂停销售" in html
    assert "收到食品安全投诉，正在调查" in html
    assert "肚子疼" not in html
    assert shopper.name not in html
