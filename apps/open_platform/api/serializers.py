from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.open_platform.models import WebhookDelivery, WebhookSubscription
from apps.open_platform.scopes import EventType


class SubscriptionSerializer(serializers.ModelSerializer):
    is_paused = serializers.BooleanField(read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "app",
            "url",
            "events",
            "is_paused",
            "paused_at",
            "paused_reason",
            "consecutive_failures",
            "created_at",
        ]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("签名密钥，仅在创建时返回一次，请妥善保存。")
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionInputSerializer(serializers.Serializer):
    app = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("应用 id；用应用令牌调用时省略（即令牌所属应用）。"),
    )
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), min_length=1, max_length=20
    )


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.event_id", read_only=True)
    event_type = serializers.ChoiceField(
        source="event.type", choices=EventType.choices, read_only=True
    )
    event_type_label = serializers.CharField(source="event.get_type_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "event_type_label",
            "status",
            "status_label",
            "attempts",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class ResumedSerializer(serializers.Serializer):
    requeued = serializers.IntegerField(help_text=_("恢复后补发的暂缓投递数"))
