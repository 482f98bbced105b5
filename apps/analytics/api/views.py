"""Read-only analytics API: the figures (staff: platform, merchant: own stores) and the public
market quotes. Every read goes through apps.analytics.selectors."""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.analytics import selectors
from apps.analytics.api.serializers import (
    AlertFilterSerializer,
    CommoditySerializer,
    DemandFilterSerializer,
    DemandPointSerializer,
    PriceAlertSerializer,
    PriceDailySerializer,
    PriceFilterSerializer,
    QuoteFilterSerializer,
    SalesFilterSerializer,
    SalesPointSerializer,
    TopFilterSerializer,
    TopRowSerializer,
)
from apps.analytics.models import Commodity
from apps.core.api import error_responses, token_first_authentication

FIGURES_TAG = _("数据看板")
MARKET_TAG = _("行情")


def _parse(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CanSeeFigures(BasePermission):
    message = _("只有店铺成员或有数据权限的平台人员可以查看数据看板。")

    def has_permission(self, request: Request, view) -> bool:
        return selectors.user_may_see_figures(request.user)


class FiguresApi(APIView):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = "analytics:read"
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated, CanSeeFigures]


@extend_schema(tags=[FIGURES_TAG])
class SalesSeriesApi(FiguresApi):
    @extend_schema(
        summary=_(
            "成交额、订单、买家、客单价，复购率、推广员销售占比、售后率、退款率"
            "（按日/周/月；商家仅本店）"
        ),
        parameters=[SalesFilterSerializer],
        responses={200: SalesPointSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(SalesFilterSerializer, request.query_params)
        points = selectors.sales_series(user=request.user, **filters)
        return Response(SalesPointSerializer(points, many=True).data)


@extend_schema(tags=[FIGURES_TAG])
class SalesTopApi(FiguresApi):
    @extend_schema(
        summary=_("热销类目/店铺/商品/买家地区（按成交额；商家仅本店）"),
        parameters=[TopFilterSerializer],
        responses={200: TopRowSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(TopFilterSerializer, request.query_params)
        rows = selectors.sales_top(user=request.user, **filters)
        return Response(TopRowSerializer(rows, many=True).data)


@extend_schema(tags=[FIGURES_TAG])
class DemandSeriesApi(FiguresApi):
    @extend_schema(
        summary=_("每日需求：净销量 + 未付款批发需求 + 搜索次数（商家仅本店类目）"),
        parameters=[DemandFilterSerializer],
        responses={200: DemandPointSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(DemandFilterSerializer, request.query_params)
        rows = selectors.demand_series(
            user=request.user,
            date_from=filters["date_from"],
            date_to=filters["date_to"],
            category_id=filters.get("category"),
        )
        return Response(DemandPointSerializer(rows, many=True).data)


@extend_schema(tags=[FIGURES_TAG])
class AlertListApi(FiguresApi):
    @extend_schema(
        summary=_("价格预警（平台：全部；商家：与本店商品相关的品种）"),
        parameters=[AlertFilterSerializer],
        responses={200: PriceAlertSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(AlertFilterSerializer, request.query_params)
        since = filters.get("since") or timezone.localdate() - dt.timedelta(days=29)
        alerts = selectors.alerts_for_user(user=request.user, since=since, limit=200)
        return Response(PriceAlertSerializer(alerts, many=True).data)


@extend_schema(tags=[MARKET_TAG])
class CommodityListApi(ListAPIView):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = "analytics:read"
    permission_classes = [AllowAny]
    serializer_class = CommoditySerializer

    def get_queryset(self):
        return selectors.commodity_list().prefetch_related("aliases")

    @extend_schema(summary=_("品种列表（含别名、分类）"))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=[MARKET_TAG])
class CommodityPriceApi(APIView):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = "analytics:read"
    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("某品种的每日价格（含 MA7、MA30、环比、同比、Z 值）"),
        parameters=[PriceFilterSerializer],
        responses={200: PriceDailySerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        commodity = get_object_or_404(Commodity, pk=pk)
        filters = _parse(PriceFilterSerializer, request.query_params)
        rows = selectors.price_series(commodity=commodity, **filters)
        return Response(PriceDailySerializer(rows, many=True).data)


@extend_schema(tags=[MARKET_TAG])
class QuoteListApi(APIView):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = "analytics:read"
    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("最新行情：某范围内每个品种最近一天的价格"),
        parameters=[QuoteFilterSerializer],
        responses={200: PriceDailySerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(QuoteFilterSerializer, request.query_params)
        return Response(PriceDailySerializer(selectors.quotes_latest(**filters), many=True).data)
