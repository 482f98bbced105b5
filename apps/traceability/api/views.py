"""Traceability API: the public JSON of a trace code and the anchors, and the merchant's
records (parties, locations, lots, farm records, tests, certificates, events).

Merchant endpoints read through the scoped selectors (another store's id is a 404) and write
only through apps.traceability.services.
"""

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import error_responses, token_first_authentication
from apps.stores.api.permissions import IsStoreMemberOrStaff
from apps.stores.models import Store
from apps.stores.selectors import store_ids_for_user, user_can_manage_all_stores
from apps.traceability import selectors
from apps.traceability.api import serializers as s
from apps.traceability.chain import chain_verify
from apps.traceability.models import ChainAnchor, Lot, Party, TraceEvent
from apps.traceability.services.certificates import certificate_issue
from apps.traceability.services.codes import trace_codes_generate
from apps.traceability.services.events import (
    EventLotInput,
    trace_event_correct,
    trace_event_record,
)
from apps.traceability.services.inspections import ItemInput, inspection_record
from apps.traceability.services.lots import (
    TransformInput,
    lot_create,
    lot_hold,
    lot_recall,
    lot_release,
    lot_transform,
    lot_update,
)
from apps.traceability.services.records import input_application_record, location_save, party_save
from apps.traceability.throttling import trace_lookup_allowed, trace_lookup_missed

TAG_PUBLIC = _("质量追溯：公开查询")
TAG_MERCHANT = _("商家：质量追溯")
# This API's wording of some error statuses (the rest: apps.core.api.ERROR_DESCRIPTIONS).
ERROR_TEXTS = {
    403: _("不是商家，或不能操作该店铺"),
    404: _("不存在，或不属于您的店铺"),
    409: _("当前状态不允许该操作"),
    429: _("查询过于频繁"),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, texts=ERROR_TEXTS)


# --- Public --------------------------------------------------------------------------------


@extend_schema(tags=[TAG_PUBLIC])
class TraceCodePublicApi(APIView):
    """Public JSON of /t/<code>: what the page shows, plus every event with its hashes."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary=_("按追溯码查询批次追溯信息（公开，按 IP 限流）"),
        responses={200: s.TracePublicSerializer, **_errors(404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        if not trace_lookup_allowed(request):
            raise Throttled(detail=_("查询过于频繁，请稍后再试。"))
        trace_code = selectors.trace_code_get(code=code)
        if trace_code is None:
            trace_lookup_missed(request)
            raise NotFound(_("没有找到这个追溯码。"))
        page = selectors.trace_page_build(trace_code=trace_code)
        return Response(s.TracePublicSerializer(page, context={"request": request}).data)


@extend_schema_view(list=extend_schema(summary=_("每日公开锚点（各店铺链尾哈希与全平台哈希）")))
@extend_schema(tags=[TAG_PUBLIC])
class AnchorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = "trace:read"
    permission_classes = [AllowAny]
    serializer_class = s.ChainAnchorSerializer
    queryset = ChainAnchor.objects.select_related("store").order_by("-anchor_date", "store_id")


# --- Merchant ------------------------------------------------------------------------------


class IsMerchantOrPlatformStaff(IsStoreMemberOrStaff):
    message = _("只有店铺成员或平台运营人员可以管理追溯数据。")


class MerchantViewSet(viewsets.GenericViewSet):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = {"GET": "trace:read"}
    # Token first, so an anonymous caller gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated, IsMerchantOrPlatformStaff]
    lookup_value_regex = r"\d+"

    def input(self, serializer_class, **kwargs):
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def acting_store(self, data: dict) -> Store:
        """The store named in the input, or the merchant's only store."""
        store = data.get("store")
        if store is not None:
            return store
        ids = store_ids_for_user(self.request.user)
        if len(ids) == 1 and not user_can_manage_all_stores(self.request.user):
            return Store.objects.get(pk=ids[0])
        raise ValidationError({"store": [_("请指定店铺。")]})

    def output(self, obj, status_code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(obj).data, status=status_code)

    def fresh(self, pk: int):
        return self.get_queryset().get(pk=pk)


def _list_retrieve(noun: str, serializer):
    return extend_schema_view(
        list=extend_schema(
            summary=_("我的%(noun)s") % {"noun": noun},
            responses={200: serializer(many=True), **_errors(401, 403)},
        ),
        retrieve=extend_schema(
            summary=_("%(noun)s详情") % {"noun": noun},
            responses={200: serializer, **_errors(401, 403, 404)},
        ),
    )


@_list_retrieve(str(_("追溯主体")), s.PartySerializer)
@extend_schema(tags=[TAG_MERCHANT])
class PartyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    serializer_class = s.PartySerializer

    def get_queryset(self) -> QuerySet:
        return selectors.parties_for_user(user=self.request.user).order_by("id")

    @extend_schema(
        summary=_("新建追溯主体（生产者、合作社、收购者）"),
        request=s.PartyInputSerializer,
        responses={201: s.PartySerializer, **_errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = self.input(s.PartyInputSerializer)
        data["store"] = self.acting_store(data)
        party = party_save(party=Party(**data), actor=request.user)
        return self.output(party, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("修改追溯主体"),
        request=s.PartyInputSerializer,
        responses={200: s.PartySerializer, **_errors(400, 401, 403, 404)},
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        party = self.get_object()
        data = self.input(s.PartyInputSerializer, partial=True)
        data.pop("store", None)
        for field, value in data.items():
            setattr(party, field, value)
        return self.output(party_save(party=party, actor=request.user))


@_list_retrieve(str(_("地点")), s.LocationSerializer)
@extend_schema(tags=[TAG_MERCHANT])
class LocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    serializer_class = s.LocationSerializer

    def get_queryset(self) -> QuerySet:
        return selectors.locations_for_user(user=self.request.user).order_by("id")

    @extend_schema(
        summary=_("新建地点（基地、地块、车间、仓库、市场）"),
        request=s.LocationInputSerializer,
        responses={201: s.LocationSerializer, **_errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        from apps.traceability.models import Location

        data = self.input(s.LocationInputSerializer)
        data["store"] = self.acting_store(data)
        location = location_save(location=Location(**data), actor=request.user)
        return self.output(location, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("修改地点"),
        request=s.LocationInputSerializer,
        responses={200: s.LocationSerializer, **_errors(400, 401, 403, 404)},
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        location = self.get_object()
        data = self.input(s.LocationInputSerializer, partial=True)
        data.pop("store", None)
        for field, value in data.items():
            setattr(location, field, value)
        return self.output(location_save(location=location, actor=request.user))


class LotFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Lot.Status.choices)
    product = filters.NumberFilter(field_name="product_id")
    sku = filters.NumberFilter(field_name="skus")

    class Meta:
        model = Lot
        fields = ["status", "product", "sku"]


@_list_retrieve(str(_("批次")), s.LotSerializer)
@extend_schema(tags=[TAG_MERCHANT])
class LotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    serializer_class = s.LotSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = LotFilter

    def get_queryset(self) -> QuerySet:
        return selectors.lots_for_user(user=self.request.user).order_by("-harvest_date", "-id")

    @extend_schema(
        summary=_("登记采收批次（记录采收事件并生成批次追溯码）"),
        request=s.LotCreateInputSerializer,
        responses={201: s.LotSerializer, **_errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = self.input(s.LotCreateInputSerializer)
        data["store"] = self.acting_store(data)
        lot = lot_create(actor=request.user, **data)
        return self.output(self.fresh(lot.pk), status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("修改批次供货规格或保质期"),
        request=s.LotUpdateInputSerializer,
        responses={200: s.LotSerializer, **_errors(400, 401, 403, 404)},
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        lot = self.get_object()
        data = self.input(s.LotUpdateInputSerializer, partial=True)
        lot_update(lot=lot, actor=request.user, **data)
        return self.output(self.fresh(lot.pk))

    def _reason_action(self, service, request: Request) -> Response:
        lot = self.get_object()
        data = self.input(s.LotReasonInputSerializer)
        service(lot=lot, actor=request.user, reason=data["reason"])
        return self.output(self.fresh(lot.pk))

    @extend_schema(
        summary=_("暂停销售批次"),
        request=s.LotReasonInputSerializer,
        responses={200: s.LotSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: int) -> Response:
        return self._reason_action(lot_hold, request)

    @extend_schema(
        summary=_("恢复销售批次"),
        request=s.LotReasonInputSerializer,
        responses={200: s.LotSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: int) -> Response:
        return self._reason_action(lot_release, request)

    @extend_schema(
        summary=_("召回批次（由它混合/分装的批次一并召回，相关规格停售）"),
        request=s.LotReasonInputSerializer,
        responses={200: s.LotSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def recall(self, request: Request, pk: int) -> Response:
        return self._reason_action(lot_recall, request)

    @extend_schema(
        summary=_("批量生成包装追溯码"),
        request=s.TraceCodeBatchInputSerializer,
        responses={201: s.TraceCodeBatchSerializer, **_errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def codes(self, request: Request, pk: int) -> Response:
        lot = self.get_object()
        data = self.input(s.TraceCodeBatchInputSerializer)
        batch = trace_codes_generate(lot=lot, quantity=data["quantity"], actor=request.user)
        batch.sheet_url = request.build_absolute_uri(
            reverse("traceability:code_batch_sheet", args=[batch.pk])
        )
        batch.csv_url = request.build_absolute_uri(
            reverse("traceability:code_batch_csv", args=[batch.pk])
        )
        return Response(s.TraceCodeBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("混合或分装批次（记录转换事件，新批次须另开合格证）"),
        request=s.LotTransformInputSerializer,
        responses={201: s.LotSerializer, **_errors(400, 401, 403)},
    )
    @action(detail=False, methods=["post"])
    def transform(self, request: Request) -> Response:
        data = self.input(s.LotTransformInputSerializer)
        store = self.acting_store(data)
        data.pop("store", None)
        inputs = [TransformInput(lot=i["lot"], quantity=i["quantity"]) for i in data.pop("inputs")]
        lot = lot_transform(store=store, inputs=inputs, actor=request.user, **data)
        return self.output(self.fresh(lot.pk), status.HTTP_201_CREATED)


@_list_retrieve(str(_("农事记录")), s.InputApplicationSerializer)
@extend_schema(tags=[TAG_MERCHANT])
class InputApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    serializer_class = s.InputApplicationSerializer

    def get_queryset(self) -> QuerySet:
        return selectors.input_applications_for_user(user=self.request.user).order_by(
            "-applied_on", "-id"
        )

    @extend_schema(
        summary=_("记录农事（农药、肥料、兽药的使用）"),
        request=s.InputApplicationInputSerializer,
        responses={201: s.InputApplicationSerializer, **_errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = self.input(s.InputApplicationInputSerializer)
        data["store"] = self.acting_store(data)
        application = input_application_record(actor=request.user, **data)
        return self.output(application, status.HTTP_201_CREATED)


@_list_retrieve(str(_("检测记录")), s.InspectionSerializer)
@extend_schema(tags=[TAG_MERCHANT])
class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    serializer_class = s.InspectionSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet:
        return selectors.inspections_for_user(user=self.request.user).order_by(
            "-inspected_on", "-id"
        )

    @extend_schema(
        summary=_("录入检测结果（可附 PDF 或图片报告；multipart 时 items 为 JSON 字符串）"),
        request={
            "application/json": s.InspectionInputSerializer,
            "multipart/form-data": s.InspectionInputSerializer,
        },
        responses={201: s.InspectionSerializer, **_errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = self.input(s.InspectionInputSerializer)
        inspection = inspection_record(
            lot=data["lot"],
            kind=data["kind"],
            inspected_on=data["inspected_on"],
            lab_name=data.get("lab_name", ""),
            report_number=data.get("report_number", ""),
            report_file=data.get("report_file"),
            items=[ItemInput(**item) for item in data["items"]],
            actor=request.user,
        )
        return self.output(self.fresh(inspection.pk), status.HTTP_201_CREATED)


@_list_retrieve(str(_("合格证")), s.CertificateSerializer)
@extend_schema(tags=[TAG_MERCHANT])
class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    serializer_class = s.CertificateSerializer

    def get_queryset(self) -> QuerySet:
        return selectors.certificates_for_user(user=self.request.user).order_by("-issued_on", "-id")

    @extend_schema(
        summary=_("开具承诺达标合格证（不满足安全间隔期或检测依据时拒绝并说明原因）"),
        request=s.CertificateInputSerializer,
        responses={201: s.CertificateSerializer, **_errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = self.input(s.CertificateInputSerializer)
        certificate = certificate_issue(
            lot=data["lot"],
            basis=data["basis"],
            scope=data["scope"],
            quantity=data.get("quantity"),
            source_certificates=data.get("source_certificates") or None,
            actor=request.user,
        )
        return self.output(self.fresh(certificate.pk), status.HTTP_201_CREATED)


class EventFilter(filters.FilterSet):
    lot = filters.NumberFilter(field_name="event_lots__lot")
    business_step = filters.ChoiceFilter(choices=TraceEvent.BusinessStep.choices)

    class Meta:
        model = TraceEvent
        fields = ["lot", "business_step"]


@_list_retrieve(str(_("追溯事件")), s.TraceEventSerializer)
@extend_schema(tags=[TAG_MERCHANT])
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    serializer_class = s.TraceEventSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = EventFilter

    def get_queryset(self) -> QuerySet:
        return selectors.events_for_user(user=self.request.user).order_by("-recorded_at", "-id")

    @extend_schema(
        summary=_("记录追溯事件（包装、入库、运输、收货、零售、销毁、查验）"),
        request=s.TraceEventInputSerializer,
        responses={201: s.TraceEventSerializer, **_errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = self.input(s.TraceEventInputSerializer)
        event = trace_event_record(
            store=self.acting_store(data),
            business_step=data["business_step"],
            disposition=data.get("disposition"),
            event_time=data.get("event_time"),
            location=data.get("location"),
            lots=[
                EventLotInput(lot=item["lot"], quantity=item.get("quantity"))
                for item in data["lots"]
            ],
            extra=data.get("extra"),
            actor=request.user,
        )
        return self.output(self.fresh(event.pk), status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("更正事件：追加一条指向原事件的新事件，原事件不变"),
        request=s.TraceEventCorrectInputSerializer,
        responses={201: s.TraceEventSerializer, **_errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: int) -> Response:
        event = self.get_object()
        data = self.input(s.TraceEventCorrectInputSerializer)
        correction = trace_event_correct(event=event, actor=request.user, **data)
        return self.output(self.fresh(correction.pk), status.HTTP_201_CREATED)


@extend_schema(tags=[TAG_MERCHANT])
class ChainVerifyApi(APIView):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = "trace:read"
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated, IsMerchantOrPlatformStaff]

    @extend_schema(
        summary=_("校验我的店铺的事件链（重算每条事件哈希，报告第一处断链）"),
        responses={200: s.ChainReportSerializer(many=True), **_errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        ids = (
            list(Store.objects.values_list("pk", flat=True).order_by("pk"))
            if user_can_manage_all_stores(request.user)
            else store_ids_for_user(request.user)
        )
        reports = [chain_verify(store_id=store_id) for store_id in sorted(ids)]
        return Response(s.ChainReportSerializer(reports, many=True).data)
