"""Payments in the admin: platform staff read everything, merchants see nothing, nobody edits."""

import pytest

from apps.core.roles import roles_sync
from apps.payments.models import Payment, PaymentNotification, Refund
from apps.payments.services import refund_create

pytestmark = pytest.mark.django_db

PAGES = ["payment", "paymentnotification", "refund"]


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


@pytest.fixture
def history(payment_order, make_payment, sandbox_notify):
    payment = make_payment(payment_order)
    sandbox_notify(payment)
    refund_create(
        payment_order=payment_order,
        amount="10.00",
        reason="少发一袋",
        reference="test-refund:1",
        actor=None,
    )
    return Payment.objects.get()


@pytest.mark.parametrize("model", PAGES)
def test_platform_staff_see_the_list_and_the_record(
    client, staff, history, model, django_assert_max_num_queries
):
    client.force_login(staff)
    obj = {
        "payment": history,
        "paymentnotification": PaymentNotification.objects.get(),
        "refund": Refund.objects.get(),
    }[model]

    with django_assert_max_num_queries(12):
        listing = client.get(f"/admin/payments/{model}/")
    detail = client.get(f"/admin/payments/{model}/{obj.pk}/change/")

    assert listing.status_code == 200
    label = obj.out_request_no if model == "refund" else obj.out_trade_no
    assert label in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


@pytest.mark.parametrize("model", PAGES)
def test_nobody_adds_changes_or_deletes_payment_records(client, staff, history, model):
    client.force_login(staff)
    obj_pk = {
        "payment": history.pk,
        "paymentnotification": PaymentNotification.objects.get().pk,
        "refund": Refund.objects.get().pk,
    }[model]

    add = client.get(f"/admin/payments/{model}/add/")
    delete = client.post(f"/admin/payments/{model}/{obj_pk}/delete/", {"post": "yes"})

    assert (add.status_code, delete.status_code) == (403, 403)
    assert (Payment.objects.count(), Refund.objects.count()) == (1, 1)


@pytest.mark.parametrize("model", PAGES)
def test_merchants_do_not_see_payments(client, merchant_a, history, model):
    client.force_login(merchant_a)

    response = client.get(f"/admin/payments/{model}/")
    index = client.get("/admin/")

    assert response.status_code == 403
    assert "/admin/payments/" not in index.content.decode()


def test_staff_can_resend_a_failed_refund_from_the_admin(
    client, staff, payment_order, make_payment, sandbox_notify, monkeypatch
):
    from apps.payments.providers.base import RefundResult
    from apps.payments.providers.sandbox import SandboxProvider

    sandbox_notify(make_payment(payment_order))
    with monkeypatch.context() as patched:
        patched.setattr(
            SandboxProvider, "refund", lambda self, p, r: RefundResult(False, error="timeout")
        )
        failed = refund_create(
            payment_order=payment_order,
            amount="129.80",
            reason="整单退款",
            reference="test-refund:late",
            actor=None,
        )
    assert failed.status == "failed"
    client.force_login(staff)

    response = client.post(
        "/admin/payments/refund/",
        {"action": "retry_failed", "_selected_action": [failed.pk]},
        follow=True,
    )

    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == "succeeded"
    assert Payment.objects.get().status == "refunded"
    assert f"{failed.out_request_no}: 退款成功" in response.content.decode()
