"""Logistics API: carriers, and the merchant's parcels (list, detail, ship).

Parcels are fetched through selectors that take the user, so another store's parcel or order
is simply not found (404).
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import error_responses, query_choice, token_first_authentication
from apps.logistics.api.serializers import (
    CarrierSerializer,
    ShipmentDetailSerializer,
    ShipmentInputSerializer,
    ShipmentSerializer,
)
from apps.logistics.models import Shipment
from apps.logistics.selectors import carrier_list, shipment_get_for_user, shipment_list_for_user
from apps.logistics.services.shipments import shipment_create
from apps.orders.selectors import order_get_for_merchant
from apps.stores.api.permissions import IsStoreMemberOrStaff

TAG = _("商家：发货与包裹")
# This API's wording of some error statuses (the rest: apps.core.api.ERROR_DESCRIPTIONS).
ERROR_TEXTS = {409: _("运单号重复或订单状态不允许")}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, texts=ERROR_TEXTS)


class IsMerchantOrPlatformStaff(IsStoreMemberOrStaff):
    message = _("只有店铺成员或平台运营人员可以管理包裹和物流轨迹。")


class MerchantApi(APIView):
    """Base of the merchant's parcel endpoints (these and api/tracking.py's)."""

    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = {"GET": "orders:read", "POST": "logistics:write"}

    # Token first, so an anonymous caller gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated, IsMerchantOrPlatformStaff]

    def shipment(self, pk: int) -> Shipment:
        """The user's parcel, with its lines, scans and readings; another store's is a 404."""
        shipment = shipment_get_for_user(user=self.request.user, pk=pk)
        if shipment is None:
            raise NotFound(_("包裹不存在。"))
        return shipment


@extend_schema(tags=[TAG])
class CarrierListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary=_("承运商列表（代码、名称、运单号格式、是否冷链）"),
        responses={200: CarrierSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(CarrierSerializer(carrier_list(), many=True).data)


@extend_schema(tags=[TAG])
class ShipmentListCreateApi(MerchantApi, GenericAPIView):
    serializer_class = ShipmentSerializer

    def get_queryset(self) -> QuerySet[Shipment]:
        if getattr(self, "swagger_fake_view", False):
            return Shipment.objects.none()
        wanted = query_choice(self.request, "status", Shipment.Status.values)
        order = (self.request.query_params.get("order") or "").strip()[:32] or None
        return shipment_list_for_user(user=self.request.user, status=wanted, order_number=order)

    @extend_schema(
        summary=_("本店包裹"),
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(Shipment.Status.values)),
            OpenApiParameter("order", OpenApiTypes.STR, description=_("订单号")),
        ],
        responses={200: ShipmentSerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ShipmentSerializer(page, many=True).data)

    @extend_schema(
        summary=_("发货：把订单的（部分）商品装入一个包裹"),
        description=_(
            "承运商须启用；运单号须符合该承运商的格式且未被使用；冷链订单须用冷链承运商；"
            "县域配送和自提订单须用平台县域配送（运单号可留空自动生成）。"
            "订单的全部商品发出后，订单变为已发货。"
        ),
        request=ShipmentInputSerializer,
        responses={201: ShipmentDetailSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        serializer = ShipmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_get_for_merchant(user=request.user, number=serializer.validated_data["order"])
        if order is None:
            raise NotFound(_("订单不存在。"))
        shipment = shipment_create(order=order, actor=request.user, **serializer.service_kwargs())
        shipment = shipment_get_for_user(user=request.user, pk=shipment.pk)
        return Response(ShipmentDetailSerializer(shipment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class ShipmentDetailApi(MerchantApi):
    @extend_schema(
        summary=_("包裹详情（含物流轨迹和温度记录）"),
        responses={200: ShipmentDetailSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ShipmentDetailSerializer(self.shipment(pk)).data)
