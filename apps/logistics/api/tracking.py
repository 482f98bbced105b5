"""Tracking API: a parcel's scans and temperature readings (merchant), the carriers' push
webhook (signature only, no log-in) and the public lookup by waybill number + phone tail.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import ErrorSerializer, error_responses
from apps.core.errors import ApplicationError
from apps.core.throttling import ScopedIpRateThrottle
from apps.logistics.api.serializers import TemperatureReadingSerializer, TrackingEventSerializer
from apps.logistics.api.views import MerchantApi
from apps.logistics.models import Shipment, TrackingEvent, TrackingFeed
from apps.logistics.services.temperature import reading_input_clean, temperature_readings_record
from apps.logistics.services.tracking import tracking_event_record
from apps.logistics.services.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    generic_receive,
    kuaidi100_receive,
    tracking_feed_get,
)
from apps.logistics.throttling import track_lookup_allowed, track_lookup_missed
from apps.logistics.tracking_selectors import shipment_timeline, track_lookup

TAG_MERCHANT = _("商家：物流轨迹与冷链温度")
TAG_WEBHOOK = _("承运商推送")
TAG_PUBLIC = _("公开：查物流")
NOT_FOUND_MESSAGE = _("没有找到这个包裹，请核对运单号和手机号后 4 位。")
# How the merchant endpoints word their error statuses in the OpenAPI schema.
MERCHANT_ERROR_TEXTS = {403: _("不是商家"), 404: _("包裹不存在，或不属于您的店铺")}


def _merchant_errors(*codes: int, texts: dict | None = None) -> dict:
    return error_responses(*codes, texts={**MERCHANT_ERROR_TEXTS, **(texts or {})})


# --- Serializers -----------------------------------------------------------------------------


class TrackingEventInputSerializer(serializers.Serializer):
    time = serializers.DateTimeField(help_text=_("ISO 8601，带时区；不带时区按北京时间"))
    status = serializers.ChoiceField(choices=TrackingEvent.Status.choices)
    location = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    text = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class TrackingEventCreatedSerializer(TrackingEventSerializer):
    id = serializers.IntegerField(read_only=True)
    created = serializers.BooleanField(
        read_only=True, help_text=_("false：同一条轨迹已存在，未重复保存")
    )

    class Meta(TrackingEventSerializer.Meta):
        fields = ["id", *TrackingEventSerializer.Meta.fields, "created"]
        read_only_fields = fields


class ReadingInputSerializer(serializers.Serializer):
    time = serializers.DateTimeField()
    celsius = serializers.DecimalField(max_digits=5, decimal_places=1)


class ReadingsInputSerializer(serializers.Serializer):
    readings = ReadingInputSerializer(many=True, allow_empty=False, max_length=5000)


class TemperatureRangeSerializer(serializers.Serializer):
    min = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    max = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class ReadingsResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    out_of_range = serializers.IntegerField()
    range = TemperatureRangeSerializer(
        allow_null=True, help_text=_("包裹要求的温度范围（°C）；null 表示无要求")
    )
    has_temperature_alert = serializers.BooleanField()


class GenericPushEventSerializer(serializers.Serializer):
    carrier = serializers.CharField(help_text=_("承运商代码，如 sf、zto"))
    tracking_number = serializers.CharField()
    time = serializers.DateTimeField(help_text=_("ISO 8601，必须带时区偏移"))
    status = serializers.ChoiceField(choices=TrackingEvent.Status.choices)
    location = serializers.CharField(required=False)
    text = serializers.CharField(required=False)
    id = serializers.CharField(required=False, help_text=_("来源的轨迹编号；有则按它去重"))


class GenericPushSerializer(serializers.Serializer):
    events = GenericPushEventSerializer(many=True)


class Kuaidi100PushSerializer(serializers.Serializer):
    param = serializers.CharField(help_text=_("JSON：{status, lastResult: {state, com, nu, data}}"))
    sign = serializers.CharField(help_text=_("大写 MD5(param + 密钥)"))


class PushItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    result = serializers.ChoiceField(choices=["created", "duplicate", "not_found", "invalid"])
    message = serializers.CharField()


class PushResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField(help_text=_("包裹不存在或格式错误的条数（见 results）"))
    results = PushItemResultSerializer(many=True)


class Kuaidi100AnswerSerializer(serializers.Serializer):
    """What a Kuaidi100 form push is answered when refused (Kuaidi100 reads only this)."""

    result = serializers.BooleanField()
    returnCode = serializers.CharField()
    message = serializers.CharField()


def _webhook_error(description: str) -> OpenApiResponse:
    return OpenApiResponse(
        PolymorphicProxySerializer(
            component_name="WebhookError",
            serializers=[ErrorSerializer, Kuaidi100AnswerSerializer],
            resource_type_field_name=None,
        ),
        description=description,
    )


class TrackLookupInputSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=40)
    phone_tail = serializers.RegexField(r"^\d{4}$", help_text=_("收货手机号后 4 位"))


class TimelineEntrySerializer(serializers.Serializer):
    time = serializers.DateTimeField(source="at")
    kind = serializers.ChoiceField(choices=["tracking", "pickup", "temperature"])
    title = serializers.CharField()
    location = serializers.CharField()
    text = serializers.CharField()
    is_alert = serializers.BooleanField()


class PublicShipmentSerializer(serializers.Serializer):
    carrier = serializers.CharField(source="carrier.name")
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Shipment.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    store = serializers.CharField(source="store.name")
    delivered_at = serializers.DateTimeField(allow_null=True)
    has_exception = serializers.BooleanField()
    has_temperature_alert = serializers.BooleanField()
    timeline = serializers.SerializerMethodField()

    def get_timeline(self, shipment) -> list[dict]:
        return TimelineEntrySerializer(shipment_timeline(shipment=shipment), many=True).data


# --- Merchant --------------------------------------------------------------------------------


@extend_schema(tags=[TAG_MERCHANT])
class ShipmentTrackingApi(MerchantApi):
    @extend_schema(
        summary=_("包裹的物流轨迹（按发生时间从早到晚）"),
        responses={
            200: TrackingEventSerializer(many=True),
            **_merchant_errors(401, 403, 404),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        # shipment_get_for_user prefetched the scans, oldest first.
        events = self.shipment(pk).tracking.all()
        return Response(TrackingEventSerializer(events, many=True).data)

    @extend_schema(
        summary=_("手工录入一条轨迹（同一条重复提交不会重复保存）"),
        request=TrackingEventInputSerializer,
        responses={
            201: TrackingEventCreatedSerializer,
            200: TrackingEventCreatedSerializer,
            **_merchant_errors(400, 401, 403, 404, texts={400: _("时间、状态等有误")}),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        shipment = self.shipment(pk)
        data = TrackingEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        event, created = tracking_event_record(
            shipment=shipment,
            occurred_at=values["time"],
            status=values["status"],
            location=values["location"],
            text=values["text"],
            source=TrackingEvent.Source.MANUAL,
            actor=request.user,
        )
        event.created = created
        return Response(
            TrackingEventCreatedSerializer(event).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(tags=[TAG_MERCHANT])
class ShipmentTemperatureApi(MerchantApi):
    @extend_schema(
        summary=_("包裹的冷链温度记录"),
        responses={
            200: TemperatureReadingSerializer(many=True),
            **_merchant_errors(401, 403, 404),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        readings = self.shipment(pk).temperature_readings.all()  # prefetched, oldest first
        return Response(TemperatureReadingSerializer(readings, many=True).data)

    @extend_schema(
        summary=_("上传温度记录（同一时间的记录只保存一次；超出商品温度范围即标记温度超标）"),
        request=ReadingsInputSerializer,
        responses={
            200: ReadingsResultSerializer,
            **_merchant_errors(
                400,
                401,
                403,
                404,
                texts={400: _("某条记录的时间或温度无效（fields 指出第几条），全部未保存")},
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        shipment = self.shipment(pk)
        data = ReadingsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        readings = []
        for index, raw in enumerate(data.validated_data["readings"]):
            try:
                readings.append(
                    reading_input_clean(measured_at=raw["time"], celsius=raw["celsius"])
                )
            except ApplicationError as exc:
                exc.fields = {f"readings[{index}]": exc.message}
                raise
        outcome = temperature_readings_record(
            shipment=shipment, readings=readings, source="api", actor=request.user
        )
        shipment.refresh_from_db(fields=["has_temperature_alert"])
        outcome["has_temperature_alert"] = shipment.has_temperature_alert
        return Response(ReadingsResultSerializer(outcome).data)


# --- Webhook ---------------------------------------------------------------------------------


def _summary(results) -> dict:
    counts = {"created": 0, "duplicate": 0}
    for result in results:
        counts[result.result] = counts.get(result.result, 0) + 1
    return {
        "received": len(results),
        "created": counts["created"],
        "duplicates": counts["duplicate"],
        "rejected": len(results) - counts["created"] - counts["duplicate"],
        "results": [result.as_dict() for result in results],
    }


@extend_schema(tags=[TAG_WEBHOOK])
class TrackingWebhookApi(APIView):
    """A carrier or aggregator pushes scans; authenticated by the feed's signature only."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Carriers push from a few addresses, often: only the webhook's own per-address limit.
    throttle_classes = [ScopedIpRateThrottle]
    throttle_scope = "webhook"
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary=_("接收承运商推送的物流轨迹（通用 JSON 或快递100 格式，按推送来源配置）"),
        description=_(
            "通用格式：请求头 X-Tianjian-Timestamp（Unix 秒）与 X-Tianjian-Signature: "
            "sha256=<HMAC-SHA256(密钥, 时间戳 + '.' + 原始请求体) 的十六进制>，"
            "时间戳须在 5 分钟内。"
            "快递100：表单字段 param 与 sign（大写 MD5(param + 密钥)），"
            "应答 {result, returnCode, message}。"
            "包裹不存在的轨迹逐条报告（result=not_found），不影响其他轨迹。"
        ),
        request={
            "application/json": GenericPushSerializer,
            "application/x-www-form-urlencoded": Kuaidi100PushSerializer,
        },
        # A Kuaidi100 form push is answered in Kuaidi100's shape, errors included.
        responses={
            200: PushResultSerializer,
            400: _webhook_error(_("请求体格式错误")),
            401: _webhook_error(_("签名错误、缺少签名或时间戳过期")),
            404: _webhook_error(_("推送来源不存在或已停用")),
        },
    )
    def post(self, request: Request, feed_code: str) -> Response:
        # The signature covers the exact bytes received: read them before anything parses them.
        body = request.body
        try:
            feed = tracking_feed_get(code=feed_code)
        except ApplicationError as exc:
            if _is_kuaidi100_form(request):
                return _kuaidi100_answer(exc)
            raise
        if feed.adapter == TrackingFeed.Adapter.KUAIDI100:
            try:
                results = kuaidi100_receive(
                    feed=feed,
                    param=request.POST.get("param", ""),
                    sign=request.POST.get("sign", ""),
                )
            except ApplicationError as exc:
                return _kuaidi100_answer(exc)
            return Response(
                {"result": True, "returnCode": "200", "message": "成功", **_summary(results)}
            )
        results = generic_receive(
            feed=feed,
            body=body,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
        )
        return Response(_summary(results))


def _is_kuaidi100_form(request: Request) -> bool:
    return "param" in request.POST and "sign" in request.POST


def _kuaidi100_answer(exc: ApplicationError) -> Response:
    # Kuaidi100 reads {result, returnCode, message}; a non-200 code makes it retry later.
    return Response(
        {"result": False, "returnCode": str(exc.status_code), "message": exc.message},
        status=exc.status_code,
    )


# --- Public ----------------------------------------------------------------------------------


@extend_schema(tags=[TAG_PUBLIC])
class TrackLookupApi(APIView):
    """Anyone with the waybill number and the last four digits of the receiving phone."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("按运单号和收货手机号后 4 位查询物流（无需登录，按 IP 和运单号限流）"),
        request=TrackLookupInputSerializer,
        responses={
            200: PublicShipmentSerializer(many=True),
            **error_responses(
                400,
                404,
                429,
                texts={
                    400: _("运单号或手机号后 4 位格式错误"),
                    404: _("没有找到（运单号不存在与手机号不符同样回答）"),
                    429: _("查询过于频繁"),
                },
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = TrackLookupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        number = data.validated_data["tracking_number"].strip()
        if not track_lookup_allowed(request, number=number):
            raise Throttled(detail=_("查询过于频繁，请稍后再试。"))
        shipments = track_lookup(
            tracking_number=number, phone_tail=data.validated_data["phone_tail"]
        )
        if not shipments:
            track_lookup_missed(request, number=number)
            raise NotFound(NOT_FOUND_MESSAGE)
        return Response(PublicShipmentSerializer(shipments, many=True).data)
