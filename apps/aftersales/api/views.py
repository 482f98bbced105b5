"""After-sale and review API. Buyers reach their own rows, merchants their stores' (404 for
anything else), the public reads visible reviews; every write is one service call."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.aftersales import selectors
from apps.aftersales.api.serializers import (
    AfterSaleCreateInputSerializer,
    AfterSaleDetailSerializer,
    AfterSaleSerializer,
    ApproveInputSerializer,
    MerchantAfterSaleSerializer,
    MerchantReviewSerializer,
    MyReviewSerializer,
    PhotoInputSerializer,
    PhotoSerializer,
    RatingSerializer,
    ReasonInputSerializer,
    ReplyInputSerializer,
    ReviewCreateInputSerializer,
    ReviewPhotoSerializer,
    ReviewSerializer,
    ShipBackInputSerializer,
)
from apps.aftersales.errors import AfterSaleErrorCode, ReviewErrorCode
from apps.aftersales.models import AfterSale, Review
from apps.aftersales.services import (
    aftersale_approve,
    aftersale_create,
    aftersale_escalate,
    aftersale_mark_received,
    aftersale_photo_add,
    aftersale_reject,
    aftersale_ship_back,
    aftersale_withdraw,
    review_create,
    review_photo_add,
    review_reply,
)
from apps.catalog.selectors import products_sellable
from apps.core.api import error_responses, query_bool, query_choice, token_first_authentication
from apps.core.errors import NotFoundError
from apps.stores.api.permissions import IsStoreMemberOrStaff

TAG_AFTERSALES = _("售后")
TAG_MERCHANT = _("商家：售后与评价")
TAG_REVIEWS = _("商品评价")

# This API's wording of some error statuses (the rest: apps.core.api.ERROR_DESCRIPTIONS).
ERROR_TEXTS = {400: _("输入有误：fields 给出各字段的错误"), 403: _("没有权限")}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, texts=ERROR_TEXTS)


STATUS_PARAMETER = OpenApiParameter(
    "status", OpenApiTypes.STR, enum=AfterSale.Status.values, description=_("按状态筛选")
)


class IsMerchantOrPlatformStaff(IsStoreMemberOrStaff):
    message = _("只有店铺成员或平台运营人员可以处理售后。")


class SignedInApi(APIView):
    # Token first, so an anonymous caller gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated]


def _status_filter(request: Request) -> str | None:
    return query_choice(request, "status", AfterSale.Status.values)


# --- shopper: after-sales -------------------------------------------------------------------


class BuyerAfterSaleApi(SignedInApi):
    def own(self, number: str) -> AfterSale:
        aftersale = selectors.aftersale_get_for_buyer(user=self.request.user, number=number)
        if aftersale is None:
            raise NotFoundError(_("售后单不存在。"), code=AfterSaleErrorCode.NOT_FOUND)
        return aftersale

    def detail_response(self, number: str, code: int = status.HTTP_200_OK) -> Response:
        data = AfterSaleDetailSerializer(self.own(number), context={"request": self.request}).data
        return Response(data, status=code)


@extend_schema(tags=[TAG_AFTERSALES])
@extend_schema_view(get=extend_schema(summary=_("我的售后"), parameters=[STATUS_PARAMETER]))
class AfterSaleListCreateApi(BuyerAfterSaleApi, ListAPIView):
    serializer_class = AfterSaleSerializer

    def get_queryset(self) -> QuerySet[AfterSale]:
        return selectors.aftersale_list_for_buyer(
            user=self.request.user, status=_status_filter(self.request)
        )

    @extend_schema(
        summary=_("申请售后（仅退款 / 退货退款）；凭证图片另行上传"),
        request=AfterSaleCreateInputSerializer,
        responses={201: AfterSaleDetailSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        data = AfterSaleCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = selectors.order_get_for_aftersale(user=request.user, number=values["order"])
        if order is None:
            raise NotFoundError(_("订单不存在。"), code=AfterSaleErrorCode.NOT_FOUND)
        aftersale = aftersale_create(
            buyer=request.user,
            order=order,
            type=values["type"],
            reason=values["reason"],
            reason_text=values.get("reason_text", ""),
            lines=values["lines"],
            amount=values.get("amount"),
        )
        return self.detail_response(aftersale.number, status.HTTP_201_CREATED)


@extend_schema(tags=[TAG_AFTERSALES])
class AfterSaleDetailApi(BuyerAfterSaleApi):
    @extend_schema(
        summary=_("售后详情（含处理进度）"),
        responses={200: AfterSaleDetailSerializer, **_errors(401, 404)},
    )
    def get(self, request: Request, number: str) -> Response:
        return self.detail_response(number)


@extend_schema(tags=[TAG_AFTERSALES])
class AfterSalePhotoApi(BuyerAfterSaleApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary=_("上传售后凭证图片（最多 6 张）"),
        request={"multipart/form-data": PhotoInputSerializer},
        responses={201: PhotoSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        data = PhotoInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photo = aftersale_photo_add(
            aftersale=self.own(number), actor=request.user, upload=data.validated_data["image"]
        )
        return Response(
            PhotoSerializer(photo, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=[TAG_AFTERSALES])
class AfterSaleShipBackApi(BuyerAfterSaleApi):
    @extend_schema(
        summary=_("填写退货物流（商家同意退货后）"),
        request=ShipBackInputSerializer,
        responses={200: AfterSaleDetailSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        data = ShipBackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        aftersale_ship_back(aftersale=self.own(number), actor=request.user, **data.validated_data)
        return self.detail_response(number)


@extend_schema(tags=[TAG_AFTERSALES])
class AfterSaleEscalateApi(BuyerAfterSaleApi):
    @extend_schema(
        summary=_("申请平台介入（商家拒绝后）"),
        request=ReasonInputSerializer,
        responses={200: AfterSaleDetailSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        aftersale_escalate(
            aftersale=self.own(number), actor=request.user, reason=data.validated_data["reason"]
        )
        return self.detail_response(number)


@extend_schema(tags=[TAG_AFTERSALES])
class AfterSaleWithdrawApi(BuyerAfterSaleApi):
    @extend_schema(
        summary=_("撤销售后申请"),
        request=None,
        responses={200: AfterSaleDetailSerializer, **_errors(401, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        aftersale_withdraw(aftersale=self.own(number), actor=request.user)
        return self.detail_response(number)


# --- merchant: after-sales ------------------------------------------------------------------


class MerchantApi(SignedInApi):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    permission_classes = [IsAuthenticated, IsMerchantOrPlatformStaff]

    def merchant_aftersale(self, number: str) -> AfterSale:
        """The one way these endpoints fetch an after-sale: another store's is a 404."""
        aftersale = selectors.aftersale_get_for_merchant(user=self.request.user, number=number)
        if aftersale is None:
            raise NotFoundError(_("售后单不存在。"), code=AfterSaleErrorCode.NOT_FOUND)
        return aftersale

    def detail_response(self, number: str) -> Response:
        aftersale = self.merchant_aftersale(number)
        return Response(
            MerchantAfterSaleSerializer(aftersale, context={"request": self.request}).data
        )


@extend_schema(tags=[TAG_MERCHANT])
@extend_schema_view(get=extend_schema(summary=_("本店售后"), parameters=[STATUS_PARAMETER]))
class MerchantAfterSaleListApi(MerchantApi, ListAPIView):
    serializer_class = MerchantAfterSaleSerializer

    def get_queryset(self) -> QuerySet[AfterSale]:
        return selectors.aftersale_list_for_merchant(
            user=self.request.user, status=_status_filter(self.request)
        ).prefetch_related("photos", "events")


@extend_schema(tags=[TAG_MERCHANT])
class MerchantAfterSaleDetailApi(MerchantApi):
    @extend_schema(
        summary=_("售后详情"),
        responses={200: MerchantAfterSaleSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, number: str) -> Response:
        return self.detail_response(number)


@extend_schema(tags=[TAG_MERCHANT])
class MerchantAfterSaleApproveApi(MerchantApi):
    @extend_schema(
        summary=_("同意售后（仅退款立即原路退款；退货退款等待买家寄回）"),
        request=ApproveInputSerializer,
        responses={200: MerchantAfterSaleSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        data = ApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        aftersale_approve(
            aftersale=self.merchant_aftersale(number),
            actor=request.user,
            amount=data.validated_data.get("amount"),
            note=data.validated_data.get("note", ""),
        )
        return self.detail_response(number)


@extend_schema(tags=[TAG_MERCHANT])
class MerchantAfterSaleRejectApi(MerchantApi):
    @extend_schema(
        summary=_("拒绝售后（必须填写原因）"),
        request=ReasonInputSerializer,
        responses={200: MerchantAfterSaleSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        aftersale_reject(
            aftersale=self.merchant_aftersale(number),
            actor=request.user,
            reason=data.validated_data["reason"],
        )
        return self.detail_response(number)


@extend_schema(tags=[TAG_MERCHANT])
class MerchantAfterSaleReceivedApi(MerchantApi):
    @extend_schema(
        summary=_("确认收到退货并退款（商品回库）"),
        request=None,
        responses={200: MerchantAfterSaleSerializer, **_errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        aftersale_mark_received(aftersale=self.merchant_aftersale(number), actor=request.user)
        return self.detail_response(number)


# --- reviews --------------------------------------------------------------------------------


def _sellable_product_id(pk: int) -> int:
    if not products_sellable().filter(pk=pk).exists():
        raise NotFoundError(_("商品不存在。"), code=ReviewErrorCode.NOT_FOUND)
    return pk


@extend_schema(tags=[TAG_REVIEWS])
@extend_schema_view(
    get=extend_schema(
        summary=_("商品的评价（最新在前，公开）"),
        responses={200: ReviewSerializer(many=True), **_errors(404)},
    )
)
class ProductReviewListApi(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ReviewSerializer

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return selectors.review_list_for_product(product_id=_sellable_product_id(self.kwargs["pk"]))


@extend_schema(tags=[TAG_REVIEWS])
class ProductRatingApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("商品评分：平均分与评价数"),
        responses={200: RatingSerializer, **_errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        rating = selectors.product_rating(product_id=_sellable_product_id(pk))
        return Response(RatingSerializer(rating).data)


@extend_schema(tags=[TAG_REVIEWS])
@extend_schema_view(get=extend_schema(summary=_("我的评价")))
class ReviewListCreateApi(SignedInApi, ListAPIView):
    serializer_class = MyReviewSerializer

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.review_list_for_buyer(user=self.request.user)

    @extend_schema(
        summary=_("评价已完成订单的一件商品（每件一次）；图片另行上传"),
        request=ReviewCreateInputSerializer,
        responses={201: MyReviewSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        data = ReviewCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        line = selectors.order_line_get_for_buyer(user=request.user, pk=values["order_line"])
        if line is None:
            raise NotFoundError(_("订单商品不存在。"), code=ReviewErrorCode.NOT_FOUND)
        review = review_create(
            buyer=request.user,
            order_line=line,
            rating=values["rating"],
            text=values.get("text", ""),
        )
        return Response(
            MyReviewSerializer(review, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=[TAG_REVIEWS])
class ReviewPhotoApi(SignedInApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary=_("为我的评价上传图片（最多 6 张）"),
        request={"multipart/form-data": PhotoInputSerializer},
        responses={201: ReviewPhotoSerializer, **_errors(400, 401, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = PhotoInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = selectors.review_list_for_buyer(user=request.user).filter(pk=pk).first()
        if review is None:
            raise NotFoundError(_("评价不存在。"), code=ReviewErrorCode.NOT_FOUND)
        photo = review_photo_add(
            review=review, actor=request.user, upload=data.validated_data["image"]
        )
        return Response(
            ReviewPhotoSerializer(photo, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=[TAG_MERCHANT])
@extend_schema_view(
    get=extend_schema(
        summary=_("本店商品的评价"),
        parameters=[OpenApiParameter("replied", OpenApiTypes.BOOL, description=_("是否已回复"))],
    )
)
class MerchantReviewListApi(MerchantApi, ListAPIView):
    serializer_class = MerchantReviewSerializer

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.review_list_for_merchant(
            user=self.request.user, has_reply=query_bool(self.request, "replied")
        )


@extend_schema(tags=[TAG_MERCHANT])
class MerchantReviewReplyApi(MerchantApi):
    @extend_schema(
        summary=_("回复评价（每条仅一次，公开显示）"),
        request=ReplyInputSerializer,
        responses={200: MerchantReviewSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = selectors.review_get_for_merchant(user=request.user, pk=pk)
        if review is None:
            raise NotFoundError(_("评价不存在。"), code=ReviewErrorCode.NOT_FOUND)
        review = review_reply(review=review, actor=request.user, text=data.validated_data["text"])
        review = selectors.review_get_for_merchant(user=request.user, pk=review.pk)
        return Response(MerchantReviewSerializer(review, context={"request": request}).data)
