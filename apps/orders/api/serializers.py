"""Shapes of the orders API. Output serializers render what selectors fetched; input
serializers only parse, the views hand their data to apps.orders.services."""

import copy

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.orders.links import payment_start_url
from apps.orders.models import (
    Address,
    DeliveryMethod,
    Division,
    Order,
    OrderEvent,
    OrderLine,
    PaymentOrder,
)
from apps.orders.rules import MAX_LINE_QUANTITY
from apps.promotions.models import Coupon

INT_MAX = 2_147_483_647
MONEY = {"max_digits": 12, "decimal_places": 2, "read_only": True}

# --- Divisions and addresses --------------------------------------------------------------


class FieldsOnce:
    """A ModelSerializer whose fields are worked out from the model once per class, then
    copied for each instance (DRF introspects the model on every instance otherwise: most
    of the CPU of answering a checkout)."""

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fields_prototype = prototype
        return copy.deepcopy(prototype)


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["code", "name", "level"]


class DivisionRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class AddressSerializer(serializers.ModelSerializer):
    province = DivisionRefSerializer(read_only=True)
    city = DivisionRefSerializer(read_only=True, allow_null=True)
    county = DivisionRefSerializer(read_only=True)
    township = DivisionRefSerializer(read_only=True, allow_null=True)
    full_text = serializers.CharField(read_only=True)

    class Meta:
        model = Address
        fields = [
            "id",
            "contact_name",
            "contact_phone",
            "province",
            "city",
            "county",
            "township",
            "detail",
            "full_text",
            "is_default",
        ]
        read_only_fields = fields


class AddressInputSerializer(serializers.Serializer):
    contact_name = serializers.CharField(max_length=30)
    contact_phone = serializers.CharField(max_length=20, help_text=_("中国大陆手机号"))
    province = serializers.CharField(max_length=12, help_text=_("省级代码（2 位）"))
    city = serializers.CharField(
        max_length=12, required=False, allow_blank=True, help_text=_("市级代码（4 位）")
    )
    county = serializers.CharField(max_length=12, help_text=_("区县代码（6 位）"))
    township = serializers.CharField(
        max_length=12, required=False, allow_blank=True, help_text=_("乡镇/街道代码（9 位）")
    )
    detail = serializers.CharField(max_length=120)
    is_default = serializers.BooleanField(required=False, default=False)


# --- Cart ---------------------------------------------------------------------------------


class StoreRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class CartItemSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(source="line.pk")
    sku_id = serializers.IntegerField(source="sku.pk")
    product_id = serializers.IntegerField(source="sku.product_id")
    title = serializers.CharField(source="sku.product.title")
    spec = serializers.CharField(source="sku.spec")
    image = serializers.CharField(help_text=_("缩略图存储路径（MEDIA_URL 之后）"))
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(**MONEY)
    line_amount = serializers.DecimalField(**MONEY)
    discount_amount = serializers.DecimalField(**MONEY, help_text=_("分摊到本行的优惠"))
    paid_amount = serializers.DecimalField(**MONEY, help_text=_("本行实付（金额 − 优惠）"))
    available = serializers.IntegerField(source="sku.available")
    min_quantity = serializers.IntegerField()
    problem = serializers.CharField(help_text=_("不能购买的原因；空表示可以购买"))


class CartGroupSerializer(serializers.Serializer):
    store = StoreRefSerializer()
    items = CartItemSerializer(many=True)
    goods_amount = serializers.DecimalField(**MONEY)
    discount_amount = serializers.DecimalField(**MONEY)
    freight = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("结算预览时给出"))
    freight_error = serializers.CharField(help_text=_("不配送到该地址时的说明"))
    freight_discount_amount = serializers.DecimalField(
        **MONEY, help_text=_("免运费券减免的运费（运费报价后给出）")
    )
    total_amount = serializers.DecimalField(
        **MONEY, help_text=_("商品金额 − 优惠 + 运费 − 运费减免")
    )


class DiscountSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("如 coupon:42、promotion:7、flash:3"))
    label = serializers.CharField()
    kind = serializers.CharField(help_text=_("flash 限时价 / promotion 满减活动 / coupon 优惠券"))
    funder = serializers.CharField(help_text=_("出资方：platform 平台，store:<id> 店铺"))
    amount = serializers.DecimalField(**MONEY)
    user_coupon_id = serializers.IntegerField(allow_null=True)


class CouponOptionSerializer(serializers.Serializer):
    user_coupon_id = serializers.IntegerField(source="terms.user_coupon_id")
    name = serializers.CharField(source="terms.name")
    kind = serializers.CharField(
        source="terms.kind", help_text=_("fixed 满减券 / percent 折扣券 / shipping 免运费券")
    )
    kind_display = serializers.SerializerMethodField(help_text=_("券种名称"))
    store_id = serializers.IntegerField(source="terms.store_id", allow_null=True)
    funder = serializers.CharField(source="terms.funder")
    valid_until = serializers.DateTimeField(source="terms.valid_until")
    amount = serializers.DecimalField(
        **MONEY, help_text=_("用于本单可减（免运费券为 0：减免额见运费减免）")
    )
    reason = serializers.CharField(help_text=_("不可用的原因；空表示可用"))
    is_chosen = serializers.BooleanField()

    def get_kind_display(self, option) -> str:
        return str(Coupon.Kind(option.terms.kind).label)


class ShippingWaiverSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("如 coupon:42"))
    label = serializers.CharField()
    funder = serializers.CharField(help_text=_("出资方：platform 平台，store:<id> 店铺"))
    user_coupon_id = serializers.IntegerField()
    store_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("减免这些店铺的运费")
    )
    cap = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("最多减免；空为全免"))


class DiscountPlanSerializer(serializers.Serializer):
    discounts = DiscountSerializer(many=True, help_text=_("依次应用的优惠"))
    shipping = ShippingWaiverSerializer(
        allow_null=True,
        help_text=_("本单使用的免运费券（每单一张）；金额见 freight_discount_amount"),
    )
    coupon_options = CouponOptionSerializer(many=True, help_text=_("选券：持有的每张可用券"))
    errors = serializers.ListField(child=serializers.CharField(), help_text=_("所选券不可用原因"))
    is_auto = serializers.BooleanField(help_text=_("是否为系统推荐的最优组合"))


class CartSerializer(serializers.Serializer):
    groups = CartGroupSerializer(many=True)
    piece_count = serializers.IntegerField()
    goods_amount = serializers.DecimalField(**MONEY)
    discount_amount = serializers.DecimalField(**MONEY)
    freight_amount = serializers.DecimalField(**MONEY)
    freight_discount_amount = serializers.DecimalField(**MONEY, help_text=_("免运费券减免的运费"))
    total_amount = serializers.DecimalField(**MONEY)
    can_checkout = serializers.BooleanField()
    promotions = DiscountPlanSerializer(source="discount_plan")


class CartLineInputSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(min_value=1, max_value=INT_MAX)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, default=1)


class CartQuantityInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


# --- Checkout and orders ------------------------------------------------------------------


class PickupPointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    shop_name = serializers.CharField()
    address = serializers.CharField()
    opening_hours = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    has_cold_storage = serializers.BooleanField()


class DeliverySlotOfferSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="slot.pk")
    text = serializers.CharField(source="slot", help_text=_("如 09:00–12:00"))
    delivery_date = serializers.DateField(help_text=_("截单前下单当日送达，之后次日"))


class DeliveryOfferSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    label = serializers.CharField()
    is_cold_chain = serializers.BooleanField()
    fee = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("该方式的配送费"))
    error = serializers.CharField(help_text=_("不能使用该方式的原因；空表示可用"))
    slots = DeliverySlotOfferSerializer(many=True, help_text=_("县域配送的送达时段"))
    pickup_points = PickupPointSerializer(many=True, help_text=_("可选自提点"))


class CheckoutGroupSerializer(CartGroupSerializer):
    delivery_offers = DeliveryOfferSerializer(many=True)
    delivery_method = serializers.CharField(
        source="delivery.method",
        default=None,
        allow_null=True,
        help_text=_("所选（默认）配送方式；尚不能配送（如未选送达时段）时为空"),
    )


class CheckoutPreviewSerializer(CartSerializer):
    groups = CheckoutGroupSerializer(many=True)
    address = AddressSerializer(allow_null=True)


class DeliveryInputSerializer(serializers.Serializer):
    store = serializers.IntegerField(min_value=1, max_value=INT_MAX)
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    slot = serializers.IntegerField(
        min_value=1,
        max_value=INT_MAX,
        required=False,
        allow_null=True,
        help_text=_("县域配送时段 id"),
    )
    pickup_point = serializers.IntegerField(
        min_value=1, max_value=INT_MAX, required=False, allow_null=True, help_text=_("自提点 id")
    )


class CheckoutInputSerializer(serializers.Serializer):
    address_id = serializers.IntegerField(min_value=1, max_value=INT_MAX)
    method = serializers.ChoiceField(
        choices=PaymentOrder.Method.choices, default=PaymentOrder.Method.ONLINE
    )
    buyer_note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    deliveries = DeliveryInputSerializer(
        many=True, required=False, help_text=_("各店铺的配送方式；不传的店铺默认快递")
    )
    coupons = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=INT_MAX),
        required=False,
        allow_null=True,
        max_length=20,
        help_text=_("所选用户优惠券 id；不传为系统推荐的最优组合，空列表为不用券"),
    )

    def validate_deliveries(self, value: list[dict]) -> dict[int, dict]:
        # The service wants {store id: choice}; one entry per store.
        by_store = {item["store"]: item for item in value}
        if len(by_store) != len(value):
            raise serializers.ValidationError(_("每个店铺只能选择一种配送方式。"))
        return by_store


class OrderLineSerializer(FieldsOnce, serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "id",
            "sku_id",
            "product_id",
            "title",
            "spec",
            "image",
            "unit_price",
            "quantity",
            "line_amount",
            "discount_amount",
            "paid_amount",
            "refunded_quantity",
            "refunded_amount",
        ]
        read_only_fields = fields


class OrderEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["kind", "from_status", "to_status", "reason", "actor_name", "created_at"]
        read_only_fields = fields

    def get_actor_name(self, event: OrderEvent) -> str:
        return event.actor.name if event.actor else ""


class OrderSerializer(FieldsOnce, serializers.ModelSerializer):
    store = StoreRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    payment_order_number = serializers.CharField(source="payment_order.number", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "payment_order_number",
            "store",
            "status",
            "status_display",
            "goods_amount",
            "freight_amount",
            "freight_discount_amount",
            "freight_discount_funder",
            "discount_amount",
            "total_amount",
            "refunded_amount",
            "is_wholesale",
            "delivery_method",
            "delivery_date",
            "delivery_slot",
            "is_cold_chain",
            "lines",
            "created_at",
            "paid_at",
            "shipped_at",
            "completed_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class OrderAddressSerializer(serializers.Serializer):
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    full_text = serializers.CharField()
    province_code = serializers.CharField()
    city_code = serializers.CharField()
    county_code = serializers.CharField()
    township_code = serializers.CharField()
    detail = serializers.CharField()


class OrderDetailSerializer(OrderSerializer):
    address = OrderAddressSerializer(read_only=True)
    pickup_point = PickupPointSerializer(read_only=True, allow_null=True)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [
            *OrderSerializer.Meta.fields,
            "address",
            "pickup_point",
            "buyer_note",
            "carrier_name",
            "tracking_number",
            "delivered_at",
            "events",
        ]
        read_only_fields = fields


class MerchantOrderSerializer(OrderDetailSerializer):
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)

    class Meta(OrderDetailSerializer.Meta):
        fields = [*OrderDetailSerializer.Meta.fields, "buyer_name", "commission_rate"]
        read_only_fields = fields


class MerchantOrderListSerializer(OrderSerializer):
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "buyer_name"]
        read_only_fields = fields


class PaymentOrderSerializer(FieldsOnce, serializers.ModelSerializer):
    orders = OrderSerializer(many=True, read_only=True)
    pay_url = serializers.SerializerMethodField(help_text=_("去支付（收银台）地址"))

    class Meta:
        model = PaymentOrder
        fields = [
            "number",
            "amount",
            "status",
            "method",
            "expires_at",
            "paid_at",
            "cancelled_at",
            "orders",
            "pay_url",
        ]
        read_only_fields = fields

    def get_pay_url(self, payment_order: PaymentOrder) -> str:
        return payment_start_url(payment_order.number)


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


_PAYMENT_ORDER_ANSWER: list[PaymentOrderSerializer] = []


def payment_order_answer(payment_order: PaymentOrder) -> dict:
    """What `PaymentOrderSerializer(payment_order).data` gives, from one serializer kept for
    the process: its bound fields are built once instead of copied for every answer (the
    serializer keeps no state between representations: no context, read-only fields)."""
    if not _PAYMENT_ORDER_ANSWER:
        _PAYMENT_ORDER_ANSWER.append(PaymentOrderSerializer())
    return _PAYMENT_ORDER_ANSWER[0].to_representation(payment_order)
