"""After-sale deadlines the buyer hears about: the store's answer deadline on request, and a
text message (verified number only) for a return to send back or a refusal to contest."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Notification
from apps.accounts.sms import LocmemSmsSender
from apps.aftersales.models import AfterSale
from apps.aftersales.services import aftersale_approve, aftersale_reject
from apps.core.models import OutboxMessage
from tests.aftersales.conftest import lines_of
from tests.aftersales.test_lifecycle import request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_SENDER = "apps.accounts.sms.LocmemSmsSender"
    settings.AFTERSALE_RESPONSE_HOURS = 48
    LocmemSmsSender.outbox.clear()


@pytest.fixture
def verified(shopper):
    shopper.phone = "+8613812345678"
    shopper.phone_verified = True
    shopper.save(update_fields=["phone", "phone_verified"])
    return shopper


def test_a_request_tells_the_buyer_when_the_store_must_answer(verified, completed_order):
    small, _large = lines_of(completed_order)

    aftersale = request(completed_order, {small.pk: 1})

    [notice] = Notification.objects.filter(user=verified, key__startswith="aftersale:")
    deadline = timezone.localtime(aftersale.created_at + timedelta(hours=48))
    assert notice.key == f"aftersale:{aftersale.pk}:requested"
    assert notice.title == f"售后 {aftersale.number} 已提交"
    assert notice.body == (f"商家须在 {deadline:%m-%d %H:%M} 前处理，逾期未处理将由平台自动同意。")
    assert not OutboxMessage.objects.filter(kind="accounts.notification_sms").exists()


def test_an_approved_return_asks_the_buyer_by_sms_to_send_it_back(
    verified, completed_order, merchant_a, django_capture_on_commit_callbacks
):
    small, _large = lines_of(completed_order)
    aftersale = request(completed_order, {small.pk: 1}, type=AfterSale.Type.RETURN_AND_REFUND)

    with django_capture_on_commit_callbacks(execute=True):
        aftersale_approve(aftersale=aftersale, actor=merchant_a)

    assert Notification.objects.get(key=f"aftersale:{aftersale.pk}:approved").title == (
        f"售后 {aftersale.number} 已同意，请寄回商品"
    )
    assert LocmemSmsSender.outbox == [
        (
            "+8613812345678",
            f"【田间】您的售后 {aftersale.number} 商家已同意，"
            "请寄回商品并在售后详情中填写快递单号。",
        )
    ]


def test_a_refusal_is_texted_once(
    verified, completed_order, merchant_a, django_capture_on_commit_callbacks
):
    small, _large = lines_of(completed_order)
    aftersale = request(completed_order, {small.pk: 1})

    with django_capture_on_commit_callbacks(execute=True):
        aftersale_reject(aftersale=aftersale, actor=merchant_a, reason="商品完好")

    notice = Notification.objects.get(key=f"aftersale:{aftersale.pk}:rejected")
    assert "商品完好" in notice.body
    assert len(LocmemSmsSender.outbox) == 1
    assert "被商家拒绝" in LocmemSmsSender.outbox[0][1]
