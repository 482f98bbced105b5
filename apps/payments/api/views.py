"""Payments API: start a payment, read its status, and the providers' notify endpoint."""

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import error_responses
from apps.core.errors import NotFoundError
from apps.core.http import client_ip
from apps.core.throttling import ScopedIpRateThrottle
from apps.payments import selectors, services
from apps.payments.api.serializers import (
    AlipayNotificationSerializer,
    NotificationAckSerializer,
    PaymentSerializer,
    PaymentStartInputSerializer,
    SandboxNotificationSerializer,
)
from apps.payments.errors import PaymentErrorCode
from apps.payments.providers import enabled_providers

TAG_PAYMENTS = "支付"


class PaymentStartApi(APIView):
    """Start paying a pending payment order; send the buyer to `redirect_url`."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG_PAYMENTS],
        request=PaymentStartInputSerializer,
        responses={201: PaymentSerializer, **error_responses(404)},
    )
    def post(self, request: Request) -> Response:
        data = PaymentStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment_order = selectors.payment_order_get_for_buyer(
            number=data.validated_data["payment_order"], user=request.user
        )
        if payment_order is None:
            raise NotFoundError("找不到这笔支付单。", code=PaymentErrorCode.NOT_FOUND)
        payment = services.payment_start(
            payment_order=payment_order,
            provider=data.validated_data["provider"],
            actor=request.user,
        )
        return Response(PaymentSerializer(payment, context={"request": request}).data, status=201)


class PaymentDetailApi(APIView):
    """A payment's status (poll it after sending the buyer to the provider)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=[TAG_PAYMENTS], responses={200: PaymentSerializer})
    def get(self, request: Request, out_trade_no: str) -> Response:
        payment = selectors.payment_get_for_buyer(out_trade_no=out_trade_no, user=request.user)
        if payment is None:
            raise NotFoundError("找不到这笔支付。", code=PaymentErrorCode.NOT_FOUND)
        return Response(PaymentSerializer(payment, context={"request": request}).data)


class PaymentNotifyApi(APIView):
    """Asynchronous payment notifications, called by the payment providers (not by people).

    Every call to an enabled provider is stored (at most PAYMENT_NOTIFY_MAX_BYTES of it) with
    its verification result and the trade number it names; a call for a provider that does not
    exist is refused before anything is stored. Sandbox: canonical JSON signed with
    HMAC-SHA256 in X-Sandbox-Timestamp / X-Sandbox-Nonce / X-Sandbox-Signature. Alipay: the
    signed form Alipay posts (RSA2); answered with the text `success` once taken.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Providers call from a few addresses, often: only the notify's own per-address limit.
    throttle_classes = [ScopedIpRateThrottle]
    throttle_scope = "payment_notify"

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # A provider's Accept header must never turn its notification into a 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=[TAG_PAYMENTS],
        operation_id="payments_notify",
        auth=[],
        parameters=[
            OpenApiParameter(
                "provider",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=["sandbox", "alipay"],
                description="支付渠道",
            ),
            *[
                OpenApiParameter(
                    name,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=text,
                )
                for name, text in (
                    ("X-Sandbox-Timestamp", "sandbox: Unix seconds when signed"),
                    ("X-Sandbox-Nonce", "sandbox: one-time random hex"),
                    ("X-Sandbox-Signature", "sandbox: hex HMAC-SHA256 of ts\\nnonce\\nbody"),
                )
            ],
        ],
        request={
            "application/json": SandboxNotificationSerializer,
            "application/x-www-form-urlencoded": AlipayNotificationSerializer,
        },
        responses={
            (200, "application/json"): OpenApiResponse(
                NotificationAckSerializer, description="sandbox: taken (or already taken)"
            ),
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="alipay: `success`"),
            (400, "application/json"): OpenApiResponse(
                NotificationAckSerializer,
                description="refused: bad signature, replay, unknown trade, amount mismatch",
            ),
            (400, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="alipay: `fail`"),
            **error_responses(404, 429, texts={404: _("支付渠道不存在或未启用（不保存）")}),
        },
    )
    def post(self, request: Request, provider: str) -> HttpResponse:
        notification = services.payment_handle_notification(
            provider=provider,
            raw=request.body,
            headers=dict(request.headers),
            remote_addr=client_ip(request),
        )
        return enabled_providers()[provider].acknowledge(notification)
