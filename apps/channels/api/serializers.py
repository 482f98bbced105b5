from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.channels.models import Channel, ChannelListing, ChannelOrder
from apps.orders.rules import MAX_LINE_QUANTITY


class ChannelSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Channel
        fields = ["code", "name", "kind", "kind_label"]


class ChannelListingSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.code", read_only=True)
    sku = serializers.IntegerField(source="sku_id", read_only=True)
    title = serializers.CharField(source="sku.product.title", read_only=True)
    spec = serializers.CharField(source="sku.spec", read_only=True)
    store = serializers.IntegerField(source="store_id", read_only=True)

    class Meta:
        model = ChannelListing
        fields = [
            "id",
            "store",
            "channel",
            "sku",
            "title",
            "spec",
            "channel_item_id",
            "channel_price",
            "is_active",
            "updated_at",
        ]


class ChannelListingInputSerializer(serializers.Serializer):
    store = serializers.IntegerField(required=False, help_text=_("只有一个店铺时可省略"))
    channel = serializers.CharField(max_length=20)
    sku = serializers.IntegerField()
    channel_item_id = serializers.CharField(max_length=40)
    channel_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    is_active = serializers.BooleanField(default=True)


class ChannelListingUpdateSerializer(serializers.Serializer):
    channel_item_id = serializers.CharField(max_length=40, required=False)
    channel_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    is_active = serializers.BooleanField(required=False)


class ChannelOrderLineInputSerializer(serializers.Serializer):
    sku = serializers.IntegerField(required=False, help_text=_("本平台的规格 id"))
    channel_item_id = serializers.CharField(
        required=False, max_length=40, help_text=_("或渠道商品编号")
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)

    def validate(self, attrs):
        if ("sku" in attrs) == ("channel_item_id" in attrs):
            raise serializers.ValidationError(_("sku 与 channel_item_id 须且只能填一个。"))
        return attrs


class ChannelAddressInputSerializer(serializers.Serializer):
    contact_name = serializers.CharField(max_length=30)
    contact_phone = serializers.CharField(max_length=20)
    county_code = serializers.CharField(
        max_length=6, required=False, allow_blank=True, help_text=_("区县行政区划代码（6 位）")
    )
    detail = serializers.CharField(max_length=120)


class ChannelOrderInputSerializer(serializers.Serializer):
    store = serializers.IntegerField(required=False, help_text=_("只有一个店铺时可省略"))
    channel = serializers.CharField(max_length=20)
    channel_order_number = serializers.CharField(max_length=40)
    lines = ChannelOrderLineInputSerializer(many=True, allow_empty=False)
    address = ChannelAddressInputSerializer()
    freight_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, default=0
    )
    buyer_note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ChannelOrderSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.code", read_only=True)
    store = serializers.IntegerField(source="store_id", read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    status = serializers.CharField(source="order.status", read_only=True)
    status_label = serializers.CharField(source="order.get_status_display", read_only=True)
    goods_amount = serializers.DecimalField(
        source="order.goods_amount", max_digits=12, decimal_places=2, read_only=True
    )
    total_amount = serializers.DecimalField(
        source="order.total_amount", max_digits=12, decimal_places=2, read_only=True
    )

    class Meta:
        model = ChannelOrder
        fields = [
            "id",
            "store",
            "channel",
            "channel_order_number",
            "order_number",
            "status",
            "status_label",
            "goods_amount",
            "total_amount",
            "source",
            "created_at",
        ]


class FeedItemSerializer(serializers.Serializer):
    channel_item_id = serializers.CharField()
    sku = serializers.IntegerField()
    title = serializers.CharField()
    spec = serializers.CharField()
    channel_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    stock_available = serializers.IntegerField()
    images = serializers.ListField(child=serializers.URLField())
    lot_number = serializers.CharField()
    trace_url = serializers.CharField()


class FeedSerializer(serializers.Serializer):
    channel = serializers.CharField()
    store = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    items = FeedItemSerializer(many=True)


class ChannelSalesSerializer(serializers.Serializer):
    channel_code = serializers.CharField()
    channel_name = serializers.CharField()
    orders = serializers.IntegerField()
    goods_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
