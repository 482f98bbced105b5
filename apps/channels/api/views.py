"""Channels API: channels, the merchant's listings, the product feed per channel (JSON and
CSV), channel orders in, and sales by channel.

Every view names its `required_scopes` (by HTTP method) for open-platform app tokens; with a
user's session or token the merchant's own store is the limit (stores.selectors), and another
store's objects are not found.
"""

import csv
import io
from datetime import datetime, time

from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.channels.api.serializers import (
    ChannelListingInputSerializer,
    ChannelListingSerializer,
    ChannelListingUpdateSerializer,
    ChannelOrderInputSerializer,
    ChannelOrderSerializer,
    ChannelSalesSerializer,
    ChannelSerializer,
    FeedSerializer,
)
from apps.channels.models import ChannelListing, ChannelOrder
from apps.channels.selectors import (
    FEED_COLUMNS,
    channel_feed,
    channel_get,
    channel_list,
    channel_order_list_for_user,
    channel_sales_report,
    listing_list_for_user,
    store_for_user,
)
from apps.channels.services import channel_order_place, listing_delete, listing_save
from apps.core.api import error_responses, token_first_authentication
from apps.stores.api.permissions import IsStoreMemberOrStaff

TAG = _("商家：渠道销售")
STORE_PARAMETER = OpenApiParameter(
    "store", OpenApiTypes.INT, description=_("店铺 id（只有一个店铺时可省略）")
)


class IsMerchantOrPlatformStaff(IsStoreMemberOrStaff):
    message = _("只有店铺成员或平台运营人员可以管理渠道商品和渠道订单。")


class ChannelApi(APIView):
    # Token first, so an anonymous caller gets 401 with `WWW-Authenticate: Token`.
    # DRF tokens, the session, and open-platform app tokens (their scope is enforced by the
    # app-token authenticator against `required_scopes`).
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated, IsMerchantOrPlatformStaff]


@extend_schema(tags=[TAG])
class ChannelListApi(ChannelApi):
    required_scopes = {"GET": "catalog:read"}

    @extend_schema(
        summary=_("销售渠道列表"),
        responses={200: ChannelSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(ChannelSerializer(channel_list(), many=True).data)


@extend_schema(tags=[TAG])
class ChannelListingListCreateApi(ChannelApi, GenericAPIView):
    required_scopes = {"GET": "catalog:read", "POST": "catalog:write"}
    serializer_class = ChannelListingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChannelListing.objects.none()
        code = self.request.query_params.get("channel")
        channel = channel_get(code=code) if code else None
        return listing_list_for_user(user=self.request.user, channel=channel)

    @extend_schema(
        summary=_("本店渠道商品"),
        parameters=[OpenApiParameter("channel", OpenApiTypes.STR, description=_("渠道代码"))],
        responses={200: ChannelListingSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ChannelListingSerializer(page, many=True).data)

    @extend_schema(
        summary=_("上架到渠道：规格 ↔ 渠道商品编号，渠道价"),
        request=ChannelListingInputSerializer,
        responses={201: ChannelListingSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        serializer = ChannelListingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        listing = listing_save(
            store=store_for_user(user=request.user, store_id=data.get("store")),
            channel=channel_get(code=data["channel"]),
            sku_id=data["sku"],
            channel_item_id=data["channel_item_id"],
            channel_price=data["channel_price"],
            is_active=data["is_active"],
        )
        listing = listing_list_for_user(user=request.user).get(pk=listing.pk)
        return Response(ChannelListingSerializer(listing).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class ChannelListingDetailApi(ChannelApi):
    required_scopes = {"GET": "catalog:read", "PATCH": "catalog:write", "DELETE": "catalog:write"}

    def listing(self, pk: int) -> ChannelListing:
        listing = listing_list_for_user(user=self.request.user).filter(pk=pk).first()
        if listing is None:
            raise NotFound(_("渠道商品不存在。"))
        return listing

    @extend_schema(
        summary=_("渠道商品详情"),
        responses={200: ChannelListingSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ChannelListingSerializer(self.listing(pk)).data)

    @extend_schema(
        summary=_("修改渠道商品编号、渠道价或在售状态"),
        request=ChannelListingUpdateSerializer,
        responses={200: ChannelListingSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        listing = self.listing(pk)
        serializer = ChannelListingUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        listing_save(
            store=listing.store,
            channel=listing.channel,
            sku_id=listing.sku_id,
            channel_item_id=data.get("channel_item_id", listing.channel_item_id),
            channel_price=data.get("channel_price", listing.channel_price),
            is_active=data.get("is_active", listing.is_active),
            listing=listing,
        )
        return Response(ChannelListingSerializer(self.listing(pk)).data)

    @extend_schema(
        summary=_("从渠道下架并删除（已有渠道订单不受影响）"),
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        listing_delete(listing=self.listing(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _feed(request: Request, code: str):
    store = store_for_user(user=request.user, store_id=request.query_params.get("store"))
    channel = channel_get(code=code)
    return store, channel, channel_feed(store=store, channel=channel)


@extend_schema(tags=[TAG])
class ChannelFeedJsonApi(ChannelApi):
    required_scopes = {"GET": "catalog:read"}

    @extend_schema(
        summary=_("渠道商品数据（JSON）：标题、规格、渠道价、可售库存、图片、溯源页"),
        parameters=[STORE_PARAMETER],
        responses={200: FeedSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        store, channel, items = _feed(request, code)
        body = {
            "channel": channel.code,
            "store": store.pk,
            "generated_at": timezone.now(),
            "items": [item.as_dict() for item in items],
        }
        return Response(FeedSerializer(body).data)


@extend_schema(tags=[TAG])
class ChannelFeedCsvApi(ChannelApi):
    required_scopes = {"GET": "catalog:read"}

    @extend_schema(
        summary=_("渠道商品数据（CSV，UTF-8 带 BOM；多张图片以空格分隔）"),
        parameters=[STORE_PARAMETER],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        store, channel, items = _feed(request, code)
        out = io.StringIO()
        out.write("\ufeff")  # Excel opens UTF-8 Chinese correctly only with a BOM
        writer = csv.writer(out)
        writer.writerow(FEED_COLUMNS)
        for item in items:
            row = item.as_dict()
            row["images"] = " ".join(row["images"])
            writer.writerow([row[column] for column in FEED_COLUMNS])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="feed-{channel.code}-{store.pk}.csv"'
        )
        return response


@extend_schema(tags=[TAG])
class ChannelOrderListCreateApi(ChannelApi, GenericAPIView):
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    serializer_class = ChannelOrderSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChannelOrder.objects.none()
        code = self.request.query_params.get("channel")
        channel = channel_get(code=code) if code else None
        return channel_order_list_for_user(user=self.request.user, channel=channel)

    @extend_schema(
        summary=_("本店渠道订单"),
        parameters=[OpenApiParameter("channel", OpenApiTypes.STR, description=_("渠道代码"))],
        responses={200: ChannelOrderSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ChannelOrderSerializer(page, many=True).data)

    @extend_schema(
        summary=_("接入渠道订单（已在渠道付款）：预留库存，生成待发货订单"),
        description=_(
            "按（店铺、渠道、渠道订单号）幂等：重复提交返回已生成的订单（200），新订单 201。"
            "商品须是本店在该渠道上架的规格（sku 或 channel_item_id），按渠道价计价；"
            "超出可售库存 409，未知或他店规格 400，均不写入任何数据。"
        ),
        request=ChannelOrderInputSerializer,
        responses={
            200: ChannelOrderSerializer,
            201: ChannelOrderSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ChannelOrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = channel_order_place(
            actor=request.user,
            store=store_for_user(user=request.user, store_id=data.get("store")),
            channel=channel_get(code=data["channel"]),
            channel_order_number=data["channel_order_number"],
            lines=[dict(line) for line in data["lines"]],
            address=dict(data["address"]),
            freight_amount=data["freight_amount"],
            buyer_note=data.get("buyer_note", ""),
        )
        return Response(
            ChannelOrderSerializer(result.channel_order).data,
            status=status.HTTP_201_CREATED if result.is_new else status.HTTP_200_OK,
        )


def _day_start(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    day = parse_date(raw) if len(raw) == 10 else None
    if day is None:
        raise ValidationError({name: [_("日期格式为 YYYY-MM-DD。")]})
    return timezone.make_aware(datetime.combine(day, time.min))


@extend_schema(tags=[TAG])
class ChannelSalesReportApi(ChannelApi):
    required_scopes = {"GET": "analytics:read"}

    @extend_schema(
        summary=_("按渠道统计已付款渠道订单（单数、商品金额、实付金额）"),
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE, description=_("起始日（含）")),
            OpenApiParameter("until", OpenApiTypes.DATE, description=_("截止日（不含）")),
        ],
        responses={200: ChannelSalesSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        rows = channel_sales_report(
            user=request.user,
            since=_day_start(request, "since"),
            until=_day_start(request, "until"),
        )
        return Response(ChannelSalesSerializer(rows, many=True).data)
