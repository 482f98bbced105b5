"""The Alipay adapter, RSA2 exactly as Alipay documents it, with keys made here (no network)."""

import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.payments.models import Payment, PaymentNotification, Refund
from apps.payments.providers import enabled_providers, get_provider
from apps.payments.providers.alipay import (
    AlipayProvider,
    load_private_key,
    load_public_key,
    notify_sign_content,
    request_sign_content,
    rsa2_sign,
    rsa2_verify,
    signed_response_content,
)
from apps.payments.services import refund_create

APP_ID = "2021000000000001"
KAT_KEY = Path(__file__).parent / "data" / "kat_app_private_key.pem"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _pem_public(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="session")
def app_key():
    """Our app's key pair (Alipay holds the public half)."""
    return _new_key()


@pytest.fixture(scope="session")
def alipay_key():
    """Stands in for Alipay's own key pair (we hold the public half)."""
    return _new_key()


@pytest.fixture
def gateway_calls():
    return []


@pytest.fixture
def alipay_settings(settings, app_key, alipay_key, gateway_calls):
    """Alipay enabled with the keys above; refund calls answered by `gateway_calls` fakes."""

    def transport(url, body, headers):
        handler = gateway_calls.pop(0)
        return handler(url, body, headers)

    settings.PAYMENT_PROVIDERS = {
        **settings.PAYMENT_PROVIDERS,
        "alipay": {
            "BACKEND": "apps.payments.providers.alipay.AlipayProvider",
            "ENABLED": True,
            "OPTIONS": {
                "app_id": APP_ID,
                "app_private_key": _pem_private(app_key),
                "alipay_public_key": _pem_public(alipay_key),
                "gateway": "https://openapi.alipay.example/gateway.do",
                "transport": transport,
            },
        },
    }
    settings.SITE_URL = "https://tianjian.example"
    return settings


def _notify_params(payment: Payment, **overrides) -> dict[str, str]:
    params = {
        "gmt_create": "2026-01-02 10:00:00",
        "charset": "utf-8",
        "seller_email": "shop@example.com",
        "subject": "田间订单 & 五常大米+脐橙",
        "buyer_id": "2088102116773037",
        "invoice_amount": f"{payment.amount:.2f}",
        "notify_id": "2026010200222100001000000000000001",
        "fund_bill_list": '[{"amount":"129.80","fundChannel":"ALIPAYACCOUNT"}]',
        "notify_type": "trade_status_sync",
        "trade_status": "TRADE_SUCCESS",
        "receipt_amount": f"{payment.amount:.2f}",
        "app_id": APP_ID,
        "buyer_pay_amount": f"{payment.amount:.2f}",
        "sign_type": "RSA2",
        "seller_id": "2088102119685838",
        "gmt_payment": "2026-01-02 10:00:05",
        "notify_time": "2026-01-02 10:00:06",
        "version": "1.0",
        "out_trade_no": payment.out_trade_no,
        "total_amount": f"{payment.amount:.2f}",
        "trade_no": "2026010222001400001000000001",
        "auth_app_id": APP_ID,
        "buyer_logon_id": "csq***@sandbox.com",
        "point_amount": "0.00",
    }
    params.update(overrides)
    return params


def _sign_notify(params: dict[str, str], key: rsa.RSAPrivateKey) -> dict[str, str]:
    return {**params, "sign": rsa2_sign(key, notify_sign_content(params))}


def _post_notify(client, params: dict[str, str]):
    return client.post(
        "/payments/notify/alipay/",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )


# --- signing: known answers --------------------------------------------------------------------


def test_request_signature_known_answer():
    """A fixed key and request give a fixed signature (also checked with openssl dgst)."""
    key = load_private_key(KAT_KEY.read_text())
    params = {
        "app_id": APP_ID,
        "method": "alipay.trade.page.pay",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-01-02 03:04:05",
        "version": "1.0",
        "notify_url": "https://tianjian.example/payments/notify/alipay/",
        "biz_content": '{"out_trade_no":"T20260102030405","total_amount":"129.80",'
        '"subject":"田间订单 PO1","product_code":"FAST_INSTANT_TRADE_PAY"}',
        "return_url": "",
    }

    content = request_sign_content({**params, "sign": "ignored"})

    # Sorted by key, raw values, sign_type kept, sign and the empty return_url left out.
    assert content == (
        "app_id=2021000000000001"
        '&biz_content={"out_trade_no":"T20260102030405","total_amount":"129.80",'
        '"subject":"田间订单 PO1","product_code":"FAST_INSTANT_TRADE_PAY"}'
        "&charset=utf-8&format=JSON&method=alipay.trade.page.pay"
        "&notify_url=https://tianjian.example/payments/notify/alipay/"
        "&sign_type=RSA2&timestamp=2026-01-02 03:04:05&version=1.0"
    )
    assert rsa2_sign(key, content) == (
        "XVYdyHUtfIL0dRs6u7GXRqGDOtPpTZ3zyPRz7B0mHMUvJgFK7g5gFhdD1uXoWx60B92rR/uu1B/cjr2TYqKRMX6s"
        "bwf43tSXEPVSS0DaMaLhYP0/mUPdkl2U1xdPYN9AXJvchw3TpTPpGy+5+v0Uj1C7k4+3615WQKS0FX7UzTq4HmzZ"
        "fa/DJ+354iwF4VlC14zOAw8+husIdMwwjv969lTz4ODo4dgdAFxKFAmEm44k0UKG7rRT2JJ6gjY+nc66R93hzuoX"
        "D6kOdJkkGD28DyCOhVvlEwowKLrEuoCXGX+RO0O0L7pXl//7A8JLz4PRJLBUSrUUkHH4YWe464omrw=="
    )


def test_notify_sign_content_drops_sign_and_sign_type_and_keeps_the_rest_sorted():
    # The asynchronous-notify example of Alipay's documentation (after URL-decoding).
    params = {
        "total_amount": "2.00",
        "buyer_id": "2088102116773037",
        "body": "大乐透2.1",
        "trade_no": "2016071921001003030200089909",
        "refund_fee": "0.00",
        "notify_time": "2016-07-19 14:10:49",
        "subject": "大乐透2.1",
        "sign_type": "RSA2",
        "charset": "utf-8",
        "notify_type": "trade_status_sync",
        "out_trade_no": "0719141034-6418",
        "gmt_close": "2016-07-19 14:10:46",
        "gmt_payment": "2016-07-19 14:10:47",
        "trade_status": "TRADE_SUCCESS",
        "version": "1.0",
        "sign": "kPbQIjX+xQc8F0/A6/AocELIjhhZnGbcBN6G4MM/HmfWL4ZiHM6fWl5NQhzXJusaklZ1LFuMo",
        "gmt_create": "2016-07-19 14:10:44",
        "app_id": "2015102700040153",
        "seller_id": "2088102119685838",
        "notify_id": "4a91b7a78a503640467525113fb7d8bg8e",
    }

    assert notify_sign_content(params) == (
        "app_id=2015102700040153&body=大乐透2.1&buyer_id=2088102116773037&charset=utf-8"
        "&gmt_close=2016-07-19 14:10:46&gmt_create=2016-07-19 14:10:44"
        "&gmt_payment=2016-07-19 14:10:47&notify_id=4a91b7a78a503640467525113fb7d8bg8e"
        "&notify_time=2016-07-19 14:10:49&notify_type=trade_status_sync"
        "&out_trade_no=0719141034-6418&refund_fee=0.00&seller_id=2088102119685838"
        "&subject=大乐透2.1&total_amount=2.00&trade_no=2016071921001003030200089909"
        "&trade_status=TRADE_SUCCESS&version=1.0"
    )


def test_rsa2_round_trip_rejects_a_changed_message_and_another_key(app_key, alipay_key):
    sign = rsa2_sign(app_key, "a=1&b=2")

    assert rsa2_verify(app_key.public_key(), "a=1&b=2", sign)
    assert not rsa2_verify(app_key.public_key(), "a=1&b=3", sign)
    assert not rsa2_verify(alipay_key.public_key(), "a=1&b=2", sign)
    assert not rsa2_verify(app_key.public_key(), "a=1&b=2", "not base64!")


def test_keys_load_from_pem_and_from_alipays_bare_base64(app_key):
    der_private = app_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    der_public = app_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64

    from_bare = load_private_key(base64.b64encode(der_private).decode())
    public_from_bare = load_public_key(base64.b64encode(der_public).decode())

    sign = rsa2_sign(from_bare, "x=1")
    assert rsa2_verify(load_public_key(_pem_public(app_key)), "x=1", sign)
    assert rsa2_verify(public_from_bare, "x=1", sign)


# --- page pay ----------------------------------------------------------------------------------


def test_page_pay_redirect_is_a_signed_alipay_request(
    alipay_settings, app_key, payment_order, make_payment
):
    payment = make_payment(payment_order, provider="alipay")

    url = urlsplit(payment.redirect_url)
    params = dict(parse_qsl(url.query, keep_blank_values=True))

    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://openapi.alipay.example/gateway.do"
    assert {k: params[k] for k in ("app_id", "method", "format", "charset", "sign_type")} == {
        "app_id": APP_ID,
        "method": "alipay.trade.page.pay",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
    }
    assert params["version"] == "1.0"
    assert params["notify_url"] == "https://tianjian.example/payments/notify/alipay/"
    assert params["return_url"] == (f"https://tianjian.example/pay/{payment_order.number}/result/")
    biz = json.loads(params["biz_content"])
    assert biz == {
        "out_trade_no": payment.out_trade_no,
        "total_amount": "129.80",
        "subject": f"田间订单 {payment_order.number}",
        "product_code": "FAST_INSTANT_TRADE_PAY",
        "time_expire": timezone.localtime(payment_order.expires_at).strftime("%Y-%m-%d %H:%M:%S"),
    }
    assert rsa2_verify(app_key.public_key(), request_sign_content(params), params["sign"])
    tampered = {**params, "biz_content": params["biz_content"].replace("129.80", "0.01")}
    assert not rsa2_verify(app_key.public_key(), request_sign_content(tampered), params["sign"])


def test_the_start_page_sends_the_shopper_to_alipay(alipay_settings, client, payment_order):
    client.force_login(payment_order.buyer)

    response = client.post(f"/pay/{payment_order.number}/", {"provider": "alipay"})

    assert response.status_code == 302
    assert response["Location"].startswith("https://openapi.alipay.example/gateway.do?")
    assert Payment.objects.get().provider == "alipay"


def test_alipay_is_off_without_credentials(settings, payment_order, make_payment):
    assert "alipay" not in enabled_providers()
    with pytest.raises(ApplicationError) as refused:
        make_payment(payment_order, provider="alipay")
    assert refused.value.code == "payment_provider_unavailable"
    assert Payment.objects.count() == 0


# --- asynchronous notify -----------------------------------------------------------------------


def test_a_genuine_notify_pays_and_is_answered_success(
    alipay_settings, alipay_key, client, payment_order, make_payment
):
    payment = make_payment(payment_order, provider="alipay")

    response = _post_notify(client, _sign_notify(_notify_params(payment), alipay_key))

    assert response.status_code == 200
    assert response.content == b"success"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert payment.provider_trade_no == "2026010222001400001000000001"
    assert timezone.localtime(payment.paid_at).strftime("%H:%M:%S") == "10:00:05"
    payment_order.refresh_from_db()
    assert payment_order.status == "paid"
    assert PaymentNotification.objects.get().result == "ok"


def test_the_repeated_notify_and_trade_finished_change_nothing_twice(
    alipay_settings, alipay_key, client, payment_order, make_payment
):
    payment = make_payment(payment_order, provider="alipay")
    params = _sign_notify(_notify_params(payment), alipay_key)
    _post_notify(client, params)

    repeated = _post_notify(client, params)
    finished = _post_notify(
        client, _sign_notify(_notify_params(payment, trade_status="TRADE_FINISHED"), alipay_key)
    )

    assert (repeated.content, finished.content) == (b"success", b"success")
    assert payment.events.count() == 2  # created, paid
    assert list(PaymentNotification.objects.order_by("id").values_list("result", flat=True)) == [
        "ok",
        "duplicate",
        "duplicate",
    ]


@pytest.mark.parametrize(
    ("change", "result"),
    [
        ({"total_amount": "0.01"}, "bad_signature"),  # changed after signing
        ({"trade_status": "TRADE_SUCCESS", "out_trade_no": "T-OTHER"}, "bad_signature"),
        ({"sign_type": "RSA"}, "bad_signature"),
    ],
)
def test_a_notify_changed_after_signing_is_refused(
    alipay_settings, alipay_key, client, payment_order, make_payment, change, result
):
    payment = make_payment(payment_order, provider="alipay")
    params = {**_sign_notify(_notify_params(payment), alipay_key), **change}

    response = _post_notify(client, params)

    assert (response.status_code, response.content) == (400, b"fail")
    assert PaymentNotification.objects.get().result == result
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED


def test_a_notify_signed_with_another_key_is_refused(
    alipay_settings, app_key, client, payment_order, make_payment
):
    payment = make_payment(payment_order, provider="alipay")

    response = _post_notify(client, _sign_notify(_notify_params(payment), app_key))

    assert response.status_code == 400
    assert PaymentNotification.objects.get().result == "bad_signature"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED


def test_sign_type_is_not_part_of_the_signed_notify_content(
    alipay_settings, alipay_key, client, payment_order, make_payment
):
    payment = make_payment(payment_order, provider="alipay")
    params = _notify_params(payment)
    # Signed the way requests are (sign_type included): that is not how notifies are signed.
    wrong = {**params, "sign": rsa2_sign(alipay_key, request_sign_content(params))}

    response = _post_notify(client, wrong)

    assert response.status_code == 400
    assert PaymentNotification.objects.get().result == "bad_signature"


def test_a_validly_signed_notify_for_another_app_is_refused(
    alipay_settings, alipay_key, client, payment_order, make_payment
):
    payment = make_payment(payment_order, provider="alipay")
    params = _sign_notify(_notify_params(payment, app_id="2021999999999999"), alipay_key)

    response = _post_notify(client, params)

    assert response.status_code == 400
    assert PaymentNotification.objects.get().result == "invalid"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED


def test_a_validly_signed_notify_with_another_amount_is_refused(
    alipay_settings, alipay_key, client, payment_order, make_payment
):
    payment = make_payment(payment_order, provider="alipay")
    params = _sign_notify(_notify_params(payment, total_amount="1.00"), alipay_key)

    response = _post_notify(client, params)

    assert (response.status_code, response.content) == (400, b"fail")
    assert PaymentNotification.objects.get().result == "amount_mismatch"


@pytest.mark.parametrize(
    ("trade_status", "payment_status"),
    [("TRADE_CLOSED", "closed"), ("WAIT_BUYER_PAY", "created")],
)
def test_closed_and_waiting_notifies(
    alipay_settings, alipay_key, client, payment_order, make_payment, trade_status, payment_status
):
    payment = make_payment(payment_order, provider="alipay")
    params = _sign_notify(_notify_params(payment, trade_status=trade_status), alipay_key)

    response = _post_notify(client, params)

    assert response.content == b"success"
    payment.refresh_from_db()
    assert payment.status == payment_status
    payment_order.refresh_from_db()
    assert payment_order.status == "pending"


# --- refunds -----------------------------------------------------------------------------------


def _signed_response(alipay_key, method: str, body: dict, *, tamper: bool = False) -> bytes:
    key = method.replace(".", "_") + "_response"
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    sign = rsa2_sign(alipay_key, content)
    if tamper:
        content = content.replace('"refund_fee":"', '"refund_fee":"9')
    return f'{{"{key}":{content},"sign":"{sign}"}}'.encode()


def _paid_alipay_payment(payment_order, make_payment, client, alipay_key) -> Payment:
    payment = make_payment(payment_order, provider="alipay")
    _post_notify(client, _sign_notify(_notify_params(payment), alipay_key))
    payment.refresh_from_db()
    return payment


def test_a_refund_is_a_signed_request_and_a_verified_answer(
    alipay_settings, alipay_key, app_key, client, payment_order, make_payment, gateway_calls
):
    payment = _paid_alipay_payment(payment_order, make_payment, client, alipay_key)
    seen = {}

    def gateway(url, body, headers):
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        seen.update(params)
        assert url == "https://openapi.alipay.example/gateway.do"
        assert rsa2_verify(app_key.public_key(), request_sign_content(params), params["sign"])
        answer = {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "csq***@sandbox.com",
            "fund_change": "Y",
            "gmt_refund_pay": "2026-01-03 09:00:00",
            "out_trade_no": payment.out_trade_no,
            "refund_fee": "30.00",
            "trade_no": payment.provider_trade_no,
        }
        return _signed_response(alipay_key, "alipay.trade.refund", answer)

    gateway_calls.append(gateway)

    refund = refund_create(
        payment_order=payment_order,
        amount=Decimal("30.00"),
        reason="坏果包赔",
        reference="test-refund:1",
        actor=None,
    )

    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.provider_refund_id == payment.provider_trade_no
    assert seen["method"] == "alipay.trade.refund"
    assert json.loads(seen["biz_content"]) == {
        "out_trade_no": payment.out_trade_no,
        "trade_no": payment.provider_trade_no,
        "refund_amount": "30.00",
        "out_request_no": refund.out_request_no,
        "refund_reason": "坏果包赔",
    }
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", Decimal("30.00"))


def test_a_refund_answer_that_fails_verification_leaves_the_refund_retryable(
    alipay_settings, alipay_key, client, payment_order, make_payment, gateway_calls
):
    payment = _paid_alipay_payment(payment_order, make_payment, client, alipay_key)
    request_numbers = []

    def answer(tamper):
        def gateway(url, body, headers):
            biz = json.loads(dict(parse_qsl(body.decode()))["biz_content"])
            request_numbers.append(biz["out_request_no"])
            ok = {"code": "10000", "msg": "Success", "refund_fee": "129.80", "trade_no": "1"}
            return _signed_response(alipay_key, "alipay.trade.refund", ok, tamper=tamper)

        return gateway

    gateway_calls.extend([answer(tamper=True), answer(tamper=False)])
    kwargs = {
        "payment_order": payment_order,
        "amount": Decimal("129.80"),
        "reason": "整单退款",
        "reference": "test-refund:2",
        "actor": None,
    }

    first = refund_create(**kwargs)
    payment.refresh_from_db()
    assert (first.status, payment.status) == (Refund.Status.FAILED, "paid")
    assert "signature" in first.error

    second = refund_create(**kwargs)

    assert second.pk == first.pk
    assert second.status == Refund.Status.SUCCEEDED
    assert request_numbers == [first.out_request_no, first.out_request_no]
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", Decimal("129.80"))


def test_a_refund_refused_by_alipay_is_recorded_as_failed(
    alipay_settings, alipay_key, client, payment_order, make_payment, gateway_calls
):
    payment = _paid_alipay_payment(payment_order, make_payment, client, alipay_key)
    business_failure = {
        "code": "40004",
        "msg": "Business Failed",
        "sub_code": "ACQ.TRADE_HAS_FINISHED",
        "sub_msg": "交易已完结",
    }
    gateway_calls.append(
        lambda url, body, headers: _signed_response(
            alipay_key, "alipay.trade.refund", business_failure
        )
    )

    refund = refund_create(
        payment_order=payment_order,
        amount=Decimal("10.00"),
        reason="少发",
        reference="test-refund:3",
        actor=None,
    )

    assert refund.status == Refund.Status.FAILED
    assert refund.error == "40004 ACQ.TRADE_HAS_FINISHED 交易已完结"
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("paid", Decimal("0.00"))


def test_signed_response_content_is_the_exact_text_of_the_response_object():
    raw = (
        '{"sign":"abc=", "alipay_trade_refund_response" : {"code":"10000",'
        '"msg":"Success","note":"a } brace and a \\" quote","nested":{"x":1}}}'
    )

    content, sign = signed_response_content(raw, "alipay.trade.refund")

    assert content == (
        '{"code":"10000","msg":"Success","note":"a } brace and a \\" quote","nested":{"x":1}}'
    )
    assert sign == "abc="


def test_the_provider_needs_an_app_id(app_key, alipay_key):
    with pytest.raises(ValueError, match="app_id"):
        AlipayProvider(
            app_id="",
            app_private_key=_pem_private(app_key),
            alipay_public_key=_pem_public(alipay_key),
        )
    assert get_provider("sandbox").name == "sandbox"
