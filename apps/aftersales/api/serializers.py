from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.aftersales.models import (
    AfterSale,
    AfterSaleEvent,
    AfterSaleLine,
    AfterSalePhoto,
    Review,
    ReviewPhoto,
)

MAX_QUANTITY = 100_000


# --- after-sales: output --------------------------------------------------------------------


class AfterSaleLineSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="order_line.title", read_only=True)
    spec = serializers.CharField(source="order_line.spec", read_only=True)

    class Meta:
        model = AfterSaleLine
        fields = ["order_line", "title", "spec", "quantity", "amount"]
        read_only_fields = fields


class PhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = AfterSalePhoto
        fields = ["id", "image", "thumbnail", "width", "height"]
        read_only_fields = fields


class AfterSaleEventSerializer(serializers.ModelSerializer):
    to_label = serializers.CharField(read_only=True)

    class Meta:
        model = AfterSaleEvent
        fields = ["from_status", "to_status", "to_label", "reason", "created_at"]
        read_only_fields = fields


class AfterSaleSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number", read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True)
    type_display = serializers.CharField(source="get_type_display", read_only=True)
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)
    status_display = serializers.CharField(read_only=True)
    refund_amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    is_refunding = serializers.BooleanField(read_only=True)
    lines = AfterSaleLineSerializer(many=True, read_only=True)

    class Meta:
        model = AfterSale
        fields = [
            "number",
            "order",
            "store",
            "store_name",
            "type",
            "type_display",
            "reason",
            "reason_display",
            "reason_text",
            "status",
            "status_display",
            "amount_requested",
            "amount_approved",
            "refund_amount",
            "is_refunding",
            "reject_reason",
            "dispute_reason",
            "is_arbitrated",
            "return_carrier",
            "return_tracking_number",
            "created_at",
            "approved_at",
            "rejected_at",
            "returned_at",
            "received_at",
            "refunded_at",
            "lines",
        ]
        read_only_fields = fields


class AfterSaleDetailSerializer(AfterSaleSerializer):
    photos = PhotoSerializer(many=True, read_only=True)
    events = AfterSaleEventSerializer(many=True, read_only=True)

    class Meta(AfterSaleSerializer.Meta):
        fields = [*AfterSaleSerializer.Meta.fields, "photos", "events"]
        read_only_fields = fields


class MerchantAfterSaleSerializer(AfterSaleDetailSerializer):
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)

    class Meta(AfterSaleDetailSerializer.Meta):
        fields = [*AfterSaleDetailSerializer.Meta.fields, "buyer_name"]
        read_only_fields = fields


# --- after-sales: input ---------------------------------------------------------------------


class AfterSaleLineInputSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1, help_text=_("订单商品 id"))
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class AfterSaleCreateInputSerializer(serializers.Serializer):
    order = serializers.CharField(max_length=32, help_text=_("订单号"))
    type = serializers.ChoiceField(choices=AfterSale.Type.choices)
    reason = serializers.ChoiceField(choices=AfterSale.Reason.choices)
    reason_text = serializers.CharField(max_length=500, required=False, allow_blank=True)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text=_("退款金额；不填则按所选商品的实付金额"),
    )
    lines = AfterSaleLineInputSerializer(many=True, allow_empty=False, max_length=200)

    def validate_lines(self, value: list[dict]) -> dict[int, int]:
        lines: dict[int, int] = {}
        for row in value:
            if row["order_line"] in lines:
                raise serializers.ValidationError(_("同一件商品只能出现一次。"))
            lines[row["order_line"]] = row["quantity"]
        return lines


class PhotoInputSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=_("JPEG/PNG/WebP 图片，自动去除 EXIF"))


class ShipBackInputSerializer(serializers.Serializer):
    carrier_name = serializers.CharField(max_length=40)
    tracking_number = serializers.CharField(max_length=40)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ApproveInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text=_("同意退款金额；不填则按申请金额"),
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


# --- reviews --------------------------------------------------------------------------------


class ReviewPhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewPhoto
        fields = ["id", "image", "thumbnail", "width", "height"]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    buyer_name = serializers.SerializerMethodField()
    spec = serializers.CharField(source="order_line.spec", read_only=True)
    photos = ReviewPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "product",
            "spec",
            "buyer_name",
            "rating",
            "text",
            "photos",
            "reply_text",
            "replied_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_buyer_name(self, review: Review) -> str:
        return review.buyer_display_name


class MyReviewSerializer(ReviewSerializer):
    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "order_line", "is_visible"]
        read_only_fields = fields


class MerchantReviewSerializer(MyReviewSerializer):
    pass


class ReviewCreateInputSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1, help_text=_("订单商品 id"))
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ReplyInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500)


class RatingSerializer(serializers.Serializer):
    average = serializers.DecimalField(max_digits=2, decimal_places=1, allow_null=True)
    count = serializers.IntegerField()
