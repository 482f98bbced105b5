"""The buyer's pages: choose a provider, the sandbox cashier, the result page."""

from datetime import timedelta

import pytest

from apps.payments.models import Payment, PaymentNotification
from apps.payments.providers import sandbox
from apps.payments.providers.base import ProviderError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer_client(client, payment_order):
    client.force_login(payment_order.buyer)
    return client


def test_the_pay_page_shows_the_amount_the_store_orders_and_the_providers(
    buyer_client, payment_order, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = buyer_client.get(f"/pay/{payment_order.number}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "¥129.80" in html
    assert "五常稻米合作社" in html
    assert "赣南脐橙家庭农场" in html
    assert 'value="sandbox" checked' in html
    assert 'value="alipay"' not in html


def test_choosing_the_sandbox_opens_its_cashier(buyer_client, payment_order):
    response = buyer_client.post(f"/pay/{payment_order.number}/", {"provider": "sandbox"})

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/pay/sandbox/{payment.out_trade_no}/"
    assert (payment.amount, payment.status, payment.created_by) == (
        payment_order.amount,
        "created",
        payment_order.buyer,
    )


def test_paying_again_reuses_the_unfinished_attempt(buyer_client, payment_order):
    buyer_client.post(f"/pay/{payment_order.number}/", {"provider": "sandbox"})
    buyer_client.post(f"/pay/{payment_order.number}/", {"provider": "sandbox"})

    assert Payment.objects.count() == 1


def test_an_unknown_provider_is_refused_on_the_page(buyer_client, payment_order):
    response = buyer_client.post(f"/pay/{payment_order.number}/", {"provider": "paypal"})

    assert response.status_code == 400
    assert "不支持的支付方式。" in response.content.decode()
    assert Payment.objects.count() == 0


def test_an_expired_payment_order_cannot_be_paid(client, make_payment_order):
    payment_order = make_payment_order(expires_in=timedelta(minutes=-1))
    client.force_login(payment_order.buyer)

    response = client.post(f"/pay/{payment_order.number}/", {"provider": "sandbox"}, follow=True)

    assert response.redirect_chain == [(f"/pay/{payment_order.number}/result/", 302)]
    assert "支付已超时，订单将被取消，请重新下单。" in response.content.decode()
    assert Payment.objects.count() == 0


def test_another_shopper_cannot_see_or_pay_the_order(client, payment_order):
    client.force_login(UserFactory())

    assert client.get(f"/pay/{payment_order.number}/").status_code == 404
    assert client.post(f"/pay/{payment_order.number}/", {"provider": "sandbox"}).status_code == 404
    assert client.get(f"/pay/{payment_order.number}/result/").status_code == 404
    assert Payment.objects.count() == 0


def test_anonymous_visitors_are_sent_to_log_in(client, payment_order):
    response = client.get(f"/pay/{payment_order.number}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_cashier_click_sends_a_signed_notify_and_the_result_shows_paid(
    buyer_client, payment_order, make_payment, sandbox_over_test_client, after_commit
):
    payment = make_payment(payment_order)
    cashier = buyer_client.get(f"/pay/sandbox/{payment.out_trade_no}/")
    assert cashier.status_code == 200
    assert "¥129.80" in cashier.content.decode()

    with after_commit():
        click = buyer_client.post(f"/pay/sandbox/{payment.out_trade_no}/", {"outcome": "paid"})
    response = buyer_client.get(click["Location"])

    assert click["Location"] == f"/pay/{payment_order.number}/result/"
    html = response.content.decode()
    assert "支付成功" in html
    assert html.count('data-testid="order-status">待发货<') == 2
    assert 'http-equiv="refresh"' not in html
    notification = PaymentNotification.objects.get()
    assert (notification.result, notification.headers["x-sandbox-nonce"] != "") == ("ok", True)


def test_the_cashier_fail_button_fails_the_attempt_and_offers_to_pay_again(
    buyer_client, payment_order, make_payment, sandbox_over_test_client, after_commit
):
    payment = make_payment(payment_order)

    with after_commit():
        click = buyer_client.post(f"/pay/sandbox/{payment.out_trade_no}/", {"outcome": "failed"})
    response = buyer_client.get(click["Location"])

    html = response.content.decode()
    assert "支付失败" in html
    assert f'href="/pay/{payment_order.number}/"' in html
    payment.refresh_from_db()
    assert payment.status == "failed"


def test_an_undelivered_notify_leaves_the_result_page_waiting(
    buyer_client, payment_order, make_payment, monkeypatch, caplog, after_commit
):
    def unreachable(url, body, headers):
        raise ProviderError("connection refused")

    monkeypatch.setattr(sandbox, "http_post", unreachable)
    payment = make_payment(payment_order)

    with after_commit():
        click = buyer_client.post(f"/pay/sandbox/{payment.out_trade_no}/", {"outcome": "paid"})
    response = buyer_client.get(click["Location"])

    html = response.content.decode()
    assert "正在确认支付结果" in html
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "not delivered" in caplog.text
    payment.refresh_from_db()
    assert payment.status == "created"


def test_the_cashier_is_only_for_the_buyer(client, payment_order, make_payment):
    payment = make_payment(payment_order)
    client.force_login(UserFactory())

    assert client.get(f"/pay/sandbox/{payment.out_trade_no}/").status_code == 404
    assert client.post(
        f"/pay/sandbox/{payment.out_trade_no}/", {"outcome": "paid"}
    ).status_code == (404)
    payment.refresh_from_db()
    assert payment.status == "created"


def test_the_result_page_makes_a_fixed_number_of_queries(
    buyer_client, make_payment_order, make_payment, django_assert_max_num_queries
):
    payment_order = make_payment_order(amounts=["1.00"] * 6)
    make_payment(payment_order)

    with django_assert_max_num_queries(8):
        response = buyer_client.get(f"/pay/{payment_order.number}/result/")

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="result-order"') == 6
