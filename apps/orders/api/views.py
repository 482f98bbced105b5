"""Orders API: divisions, address book, cart, checkout, my orders and merchant orders.

Every object is fetched through an orders selector that takes the user, so another shopper's
address or order and another store's order are simply not found (404).
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
from apps.orders.api.serializers import (
    AddressInputSerializer,
    AddressSerializer,
    CancelInputSerializer,
    CartLineInputSerializer,
    CartQuantityInputSerializer,
    CartSerializer,
    CheckoutInputSerializer,
    CheckoutPreviewSerializer,
    DivisionSerializer,
    MerchantOrderListSerializer,
    MerchantOrderSerializer,
    OrderDetailSerializer,
    OrderSerializer,
    PaymentOrderSerializer,
    payment_order_answer,
)
from apps.orders.models import Address, Order
from apps.orders.selectors import (
    ORDER_TABS,
    address_get_for_user,
    address_list_for_user,
    cart_quote,
    cart_summary,
    division_children,
    order_get_for_buyer,
    order_get_for_merchant,
    order_list_for_buyer,
    order_list_for_merchant,
    payment_order_get_for_buyer,
    payment_order_with_orders,
)
from apps.orders.services.addresses import address_delete, address_save, address_set_default
from apps.orders.services.cart import (
    cart_add,
    cart_get,
    cart_get_or_create,
    cart_line_remove,
    cart_line_set_quantity,
)
from apps.orders.services.checkout import log_ignored_price_fields, order_place
from apps.orders.services.lifecycle import order_cancel, order_confirm_receipt
from apps.stores.api.permissions import IsStoreMemberOrStaff
from apps.wholesale.selectors import verified_organisation_for_user

TAG_ADDRESS = _("收货地址")
TAG_CART = _("购物车与结算")
TAG_ORDERS = _("我的订单")
TAG_MERCHANT = _("商家：订单")
# This API's wording of some error statuses (the rest: apps.core.api.ERROR_DESCRIPTIONS).
ERROR_TEXTS = {409: _("库存不足或状态不允许")}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, texts=ERROR_TEXTS)


class ShopperApi(APIView):
    # Token first, so an anonymous caller gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated]


# --- Divisions ----------------------------------------------------------------------------


@extend_schema(tags=[TAG_ADDRESS])
class DivisionListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary=_("行政区划：省份列表，或某一区划的下级（联动选择用）"),
        parameters=[
            OpenApiParameter(
                "parent", OpenApiTypes.STR, description=_("上级代码；不传返回全部省份")
            )
        ],
        responses={200: DivisionSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        parent = (request.query_params.get("parent") or "").strip()[:12]
        response = Response(
            DivisionSerializer(division_children(parent_code=parent), many=True).data
        )
        # Official codes change once a year at most.
        response["Cache-Control"] = "public, max-age=86400"
        return response


# --- Addresses ----------------------------------------------------------------------------


def _address_kwargs(data: dict) -> dict:
    return {
        "contact_name": data["contact_name"],
        "contact_phone": data["contact_phone"],
        "province": data["province"],
        "city": data.get("city") or None,
        "county": data["county"],
        "township": data.get("township") or None,
        "detail": data["detail"],
        "is_default": data.get("is_default", False),
    }


@extend_schema(tags=[TAG_ADDRESS])
class AddressListCreateApi(ShopperApi):
    @extend_schema(summary=_("我的收货地址"), responses={200: AddressSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(AddressSerializer(address_list_for_user(user=request.user), many=True).data)

    @extend_schema(
        summary=_("新增收货地址（第一个地址自动成为默认）"),
        request=AddressInputSerializer,
        responses={201: AddressSerializer, **_errors(400, 401)},
    )
    def post(self, request: Request) -> Response:
        serializer = AddressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = address_save(user=request.user, **_address_kwargs(serializer.validated_data))
        address = address_get_for_user(user=request.user, pk=address.pk)
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressMixin:
    def own_address(self, request: Request, pk: int) -> Address:
        address = address_get_for_user(user=request.user, pk=pk)
        if address is None:
            raise NotFound(_("地址不存在。"))
        return address


@extend_schema(tags=[TAG_ADDRESS])
class AddressDetailApi(AddressMixin, ShopperApi):
    @extend_schema(
        summary=_("收货地址详情"), responses={200: AddressSerializer, **_errors(401, 404)}
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(AddressSerializer(self.own_address(request, pk)).data)

    @extend_schema(
        summary=_("修改收货地址（整条提交）"),
        request=AddressInputSerializer,
        responses={200: AddressSerializer, **_errors(400, 401, 404)},
    )
    def put(self, request: Request, pk: int) -> Response:
        address = self.own_address(request, pk)
        serializer = AddressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kwargs = _address_kwargs(serializer.validated_data)
        kwargs["is_default"] = serializer.validated_data.get("is_default") or address.is_default
        address_save(user=request.user, address=address, **kwargs)
        return Response(AddressSerializer(self.own_address(request, pk)).data)

    @extend_schema(summary=_("删除收货地址"), responses={204: None, **_errors(401, 404)})
    def delete(self, request: Request, pk: int) -> Response:
        address_delete(user=request.user, address=self.own_address(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=[TAG_ADDRESS])
class AddressDefaultApi(AddressMixin, ShopperApi):
    @extend_schema(
        summary=_("设为默认地址"),
        request=None,
        responses={200: AddressSerializer, **_errors(401, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        address_set_default(user=request.user, address=self.own_address(request, pk))
        return Response(AddressSerializer(self.own_address(request, pk)).data)


# --- Cart ---------------------------------------------------------------------------------


def coupon_ids_param(request: Request) -> list[int] | None:
    """`?coupons=1,2` (the shopper's pick; empty: none) or absent (the best combination)."""
    raw = request.query_params.get("coupons")
    if raw is None:
        return None
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]


COUPONS_PARAMETER = OpenApiParameter(
    "coupons",
    OpenApiTypes.STR,
    description=_("所选用户优惠券 id，逗号分隔；不传为最优组合，传空为不用券"),
)


class CartMixin:
    def summary(self, request: Request):
        organisation = verified_organisation_for_user(user=request.user)
        return cart_summary(
            cart=cart_get(user=request.user),
            organisation=organisation,
            coupon_ids=coupon_ids_param(request),
        )


@extend_schema(tags=[TAG_CART])
class CartApi(CartMixin, ShopperApi):
    @extend_schema(
        summary=_("我的购物车：按店铺分组，逐行标出不能购买的原因，含优惠"),
        parameters=[COUPONS_PARAMETER],
        responses={200: CartSerializer, **_errors(401)},
    )
    def get(self, request: Request) -> Response:
        return Response(CartSerializer(self.summary(request)).data)


@extend_schema(tags=[TAG_CART])
class CartLineCreateApi(CartMixin, ShopperApi):
    @extend_schema(
        summary=_("加入购物车（已有则累加数量）"),
        request=CartLineInputSerializer,
        responses={201: CartSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        serializer = CartLineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart_add(
            cart=cart_get_or_create(user=request.user),
            sku_id=serializer.validated_data["sku_id"],
            quantity=serializer.validated_data["quantity"],
        )
        return Response(CartSerializer(self.summary(request)).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG_CART])
class CartLineDetailApi(CartMixin, ShopperApi):
    def own_cart(self, request: Request):
        cart = cart_get(user=request.user)
        if cart is None:
            raise NotFound(_("购物车中没有这件商品。"))
        return cart

    @extend_schema(
        summary=_("修改数量"),
        request=CartQuantityInputSerializer,
        responses={200: CartSerializer, **_errors(400, 401, 404, 409)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        serializer = CartQuantityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart_line_set_quantity(
            cart=self.own_cart(request), line_id=pk, quantity=serializer.validated_data["quantity"]
        )
        return Response(CartSerializer(self.summary(request)).data)

    @extend_schema(summary=_("从购物车删除"), responses={200: CartSerializer, **_errors(401, 404)})
    def delete(self, request: Request, pk: int) -> Response:
        cart_line_remove(cart=self.own_cart(request), line_id=pk)
        return Response(CartSerializer(self.summary(request)).data)


# --- Checkout -----------------------------------------------------------------------------


@extend_schema(tags=[TAG_CART])
class CheckoutPreviewApi(CartMixin, ShopperApi):
    @extend_schema(
        summary=_("结算预览：每个店铺可选的配送方式及费用、默认方式的运费和合计（不下单）"),
        parameters=[
            OpenApiParameter(
                "address", OpenApiTypes.INT, description=_("收货地址 id；不传用默认地址")
            ),
            COUPONS_PARAMETER,
        ],
        responses={200: CheckoutPreviewSerializer, **_errors(401, 404)},
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("address")
        if raw:
            address = address_get_for_user(user=request.user, pk=raw)
            if address is None:
                raise NotFound(_("地址不存在。"))
        else:
            address = address_list_for_user(user=request.user).order_by("-is_default").first()
        summary = cart_quote(summary=self.summary(request), address=address)
        summary.address = address
        return Response(CheckoutPreviewSerializer(summary).data)


@extend_schema(tags=[TAG_CART])
class CheckoutApi(ShopperApi):
    throttle_scope = "checkout"

    @extend_schema(
        summary=_("提交订单：整车结算，按店铺拆单；同一 Idempotency-Key 重复提交返回同一支付单"),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=True,
                description=_("客户端生成的唯一键（8–64 位字母、数字或 _.:-），重试时保持不变"),
            )
        ],
        request=CheckoutInputSerializer,
        responses={
            201: OpenApiResponse(PaymentOrderSerializer, description=_("已下单")),
            200: OpenApiResponse(PaymentOrderSerializer, description=_("重复提交：原支付单")),
            **_errors(400, 401, 409),
        },
    )
    def post(self, request: Request) -> Response:
        log_ignored_price_fields(request.data, user=request.user)
        serializer = CheckoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment_order = order_place(
            buyer=request.user,
            cart=cart_get(user=request.user),
            address=address_get_for_user(user=request.user, pk=data["address_id"]),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            method=data["method"],
            buyer_note=data.get("buyer_note", ""),
            deliveries=data.get("deliveries") or {},
            coupon_ids=data.get("coupons"),
        )
        code = status.HTTP_200_OK if payment_order.is_replay else status.HTTP_201_CREATED
        payment_order = payment_order_with_orders(user=request.user, payment_order=payment_order)
        return Response(payment_order_answer(payment_order), status=code)


# --- My orders ----------------------------------------------------------------------------


@extend_schema(tags=[TAG_ORDERS])
class PaymentOrderDetailApi(ShopperApi):
    @extend_schema(
        summary=_("支付单（一次结算）及其各店铺订单"),
        responses={200: PaymentOrderSerializer, **_errors(401, 404)},
    )
    def get(self, request: Request, number: str) -> Response:
        payment_order = payment_order_get_for_buyer(user=request.user, number=number)
        if payment_order is None:
            raise NotFound(_("支付单不存在。"))
        return Response(PaymentOrderSerializer(payment_order).data)


@extend_schema(tags=[TAG_ORDERS])
class OrderListApi(ShopperApi, GenericAPIView):
    serializer_class = OrderSerializer

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        tab = query_choice(self.request, "tab", [t.key for t in ORDER_TABS if t.key])
        return order_list_for_buyer(user=self.request.user, tab=tab)

    @extend_schema(
        summary=_("我的订单"),
        parameters=[
            OpenApiParameter(
                "tab",
                OpenApiTypes.STR,
                enum=[t.key for t in ORDER_TABS if t.key],
                description=_(
                    "待付款 pending_payment / 待发货 paid / 已发货 shipped / "
                    "已完成 completed / 已取消 cancelled；不传为全部"
                ),
            )
        ],
        responses={200: OrderSerializer(many=True), **_errors(401)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class BuyerOrderMixin:
    def own_order(self, request: Request, number: str) -> Order:
        order = order_get_for_buyer(user=request.user, number=number)
        if order is None:
            raise NotFound(_("订单不存在。"))
        return order

    def detail(self, request: Request, number: str) -> Response:
        return Response(OrderDetailSerializer(self.own_order(request, number)).data)


@extend_schema(tags=[TAG_ORDERS])
class OrderDetailApi(BuyerOrderMixin, ShopperApi):
    @extend_schema(
        summary=_("订单详情（含商品、地址、时间线）"),
        responses={200: OrderDetailSerializer, **_errors(401, 404)},
    )
    def get(self, request: Request, number: str) -> Response:
        return self.detail(request, number)


@extend_schema(tags=[TAG_ORDERS])
class OrderCancelApi(BuyerOrderMixin, ShopperApi):
    @extend_schema(
        summary=_("取消待付款订单（同一次结算的订单一并取消，释放库存）"),
        request=CancelInputSerializer,
        responses={200: OrderDetailSerializer, **_errors(401, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        serializer = CancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_cancel(
            order=self.own_order(request, number),
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
        )
        return self.detail(request, number)


@extend_schema(tags=[TAG_ORDERS])
class OrderConfirmReceiptApi(BuyerOrderMixin, ShopperApi):
    @extend_schema(
        summary=_("确认收货（订单完成）"),
        request=None,
        responses={200: OrderDetailSerializer, **_errors(401, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        order_confirm_receipt(order=self.own_order(request, number), actor=request.user)
        return self.detail(request, number)


# --- Merchant -----------------------------------------------------------------------------


class IsMerchantOrPlatformStaff(IsStoreMemberOrStaff):
    message = _("只有店铺成员或平台运营人员可以查看店铺订单。")


class MerchantApi(ShopperApi):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = {"GET": "orders:read", "POST": "orders:write", "PATCH": "orders:write"}
    permission_classes = [IsAuthenticated, IsMerchantOrPlatformStaff]

    def store_order(self, request: Request, number: str) -> Order:
        order = order_get_for_merchant(user=request.user, number=number)
        if order is None:
            raise NotFound(_("订单不存在。"))
        return order


@extend_schema(tags=[TAG_MERCHANT])
class MerchantOrderListApi(MerchantApi, GenericAPIView):
    serializer_class = MerchantOrderListSerializer

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        wanted = query_choice(self.request, "status", Order.Status.values)
        return order_list_for_merchant(user=self.request.user, status=wanted)

    @extend_schema(
        summary=_("本店订单"),
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=list(Order.Status.values))],
        responses={200: MerchantOrderListSerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=[TAG_MERCHANT])
class MerchantOrderDetailApi(MerchantApi):
    @extend_schema(
        summary=_("本店订单详情"),
        responses={200: MerchantOrderSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(MerchantOrderSerializer(self.store_order(request, number)).data)
