"""Promotions API: the coupon centre, claiming, redeeming a code, my coupons. Checking coupons
against a cart is the cart / checkout preview with `?coupons=` (orders API)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import error_responses, query_choice, token_first_authentication
from apps.promotions.api.serializers import (
    CouponSerializer,
    RedeemInputSerializer,
    UserCouponSerializer,
)
from apps.promotions.models import UserCoupon
from apps.promotions.selectors import COUPON_TABS, coupons_claimable, user_coupons_for_user
from apps.promotions.services import coupon_claim_by_id, coupon_redeem_code

TAG = _("优惠券")


class ShopperApi(APIView):
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated]


@extend_schema(tags=[TAG])
class CouponCenterApi(GenericAPIView):
    serializer_class = CouponSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return coupons_claimable()

    @extend_schema(
        summary=_("领券中心：可领取的优惠券"), responses={200: CouponSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CouponSerializer(page, many=True).data)


@extend_schema(tags=[TAG])
class CouponClaimApi(ShopperApi):
    @extend_schema(
        summary=_("领取优惠券（每人限领、总量有限，领完即止）"),
        request=None,
        responses={201: UserCouponSerializer, **error_responses(401, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        holding = coupon_claim_by_id(coupon_id=pk, user=request.user)
        return Response(UserCouponSerializer(holding).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class CouponRedeemApi(ShopperApi):
    @extend_schema(
        summary=_("兑换码领券"),
        request=RedeemInputSerializer,
        responses={201: UserCouponSerializer, **error_responses(400, 401, 409)},
    )
    def post(self, request: Request) -> Response:
        serializer = RedeemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        holding = coupon_redeem_code(code=serializer.validated_data["code"], user=request.user)
        return Response(UserCouponSerializer(holding).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class MyCouponListApi(ShopperApi, GenericAPIView):
    serializer_class = UserCouponSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return UserCoupon.objects.none()
        tab = query_choice(self.request, "tab", [t.key for t in COUPON_TABS]) or "available"
        return user_coupons_for_user(user=self.request.user, tab=tab)

    @extend_schema(
        summary=_("我的优惠券"),
        parameters=[
            OpenApiParameter(
                "tab",
                OpenApiTypes.STR,
                enum=[t.key for t in COUPON_TABS],
                description=_("available 未使用 / used 已使用 / expired 已过期"),
            )
        ],
        responses={200: UserCouponSerializer(many=True), **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(UserCouponSerializer(page, many=True).data)
