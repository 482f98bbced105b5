"""Shapes of the logistics API. Output serializers render what selectors fetched; input
serializers only parse, the views hand their data to apps.logistics.services."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.logistics.models import (
    Carrier,
    Shipment,
    ShipmentLine,
    TemperatureReading,
    TrackingEvent,
)

INT_MAX = 2_147_483_647


class CarrierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Carrier
        fields = ["code", "name", "tracking_pattern", "is_cold_chain", "is_own_fleet"]
        read_only_fields = fields


class ShipmentLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="order_line_id", read_only=True)
    title = serializers.CharField(source="order_line.title", read_only=True)
    spec = serializers.CharField(source="order_line.spec", read_only=True)
    lot = serializers.IntegerField(source="lot_id", read_only=True, allow_null=True)
    lot_number = serializers.SerializerMethodField()

    class Meta:
        model = ShipmentLine
        fields = ["line", "title", "spec", "quantity", "lot", "lot_number"]
        read_only_fields = fields

    def get_lot_number(self, obj: ShipmentLine) -> str:
        return obj.lot.lot_number if obj.lot_id else ""


class TrackingEventSerializer(serializers.ModelSerializer):
    # Plain strings: "status" and "source" choice sets are shared names across models.
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    source = serializers.CharField(read_only=True)

    class Meta:
        model = TrackingEvent
        fields = ["occurred_at", "status", "status_label", "location", "text", "source"]
        read_only_fields = fields


class TemperatureReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = TemperatureReading
        fields = ["measured_at", "celsius", "is_out_of_range"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number", read_only=True)
    carrier = CarrierSerializer(read_only=True)
    status = serializers.CharField(read_only=True, help_text=_("包裹状态代码"))
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lines = ShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "store",
            "carrier",
            "tracking_number",
            "delivery_method",
            "status",
            "status_label",
            "is_cold_chain",
            "has_exception",
            "exception_note",
            "has_temperature_alert",
            "is_overdue",
            "overdue_reason",
            "created_at",
            "collected_at",
            "delivered_at",
            "lines",
        ]
        read_only_fields = fields


class ShipmentDetailSerializer(ShipmentSerializer):
    tracking = TrackingEventSerializer(many=True, read_only=True)
    temperature_readings = TemperatureReadingSerializer(many=True, read_only=True)

    class Meta(ShipmentSerializer.Meta):
        fields = [*ShipmentSerializer.Meta.fields, "tracking", "temperature_readings"]
        read_only_fields = fields


class LineQuantityInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=INT_MAX, help_text=_("订单商品 id"))
    quantity = serializers.IntegerField(min_value=1, max_value=INT_MAX)


class LineLotInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=INT_MAX, help_text=_("订单商品 id"))
    lot = serializers.IntegerField(min_value=1, max_value=INT_MAX, help_text=_("批次 id"))


class ShipmentInputSerializer(serializers.Serializer):
    order = serializers.CharField(max_length=32, help_text=_("订单号"))
    carrier = serializers.CharField(max_length=20, help_text=_("承运商代码，见 /carriers/"))
    tracking_number = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=_("运单号；平台县域配送可留空自动生成"),
    )
    lines = LineQuantityInputSerializer(
        many=True, required=False, help_text=_("本包裹的商品和数量；不传表示全部待发商品")
    )
    lots = LineLotInputSerializer(
        many=True, required=False, help_text=_("指定批次；未指定的取最早到期的在售批次")
    )

    def validate_lines(self, value: list[dict]) -> list[dict]:
        ids = [item["line"] for item in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("同一订单商品只能出现一次。"))
        if not value:
            raise serializers.ValidationError(_("请至少发一件商品。"))
        return value

    def validate_lots(self, value: list[dict]) -> list[dict]:
        ids = [item["line"] for item in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("同一订单商品只能指定一个批次。"))
        return value

    def service_kwargs(self) -> dict:
        data = self.validated_data
        lines = data.get("lines")
        return {
            "carrier_code": data["carrier"],
            "tracking_number": data.get("tracking_number", ""),
            "lines": None if lines is None else {i["line"]: i["quantity"] for i in lines},
            "lots": {i["line"]: i["lot"] for i in data.get("lots", [])},
        }
