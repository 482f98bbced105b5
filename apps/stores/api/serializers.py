from rest_framework import serializers

from apps.stores.models import Store


class StoreSerializer(serializers.ModelSerializer):
    """What a shopper may see of a store: no contacts, licences or commission."""

    type_display = serializers.CharField(source="get_type_display", read_only=True)
    is_self_operated = serializers.BooleanField(read_only=True)

    class Meta:
        model = Store
        fields = [
            "id",
            "name",
            "slug",
            "type",
            "type_display",
            "is_self_operated",
            "description",
            "banner",
            "county_code",
            "county_name",
            "township",
            "is_featured",
            "created_at",
        ]
        read_only_fields = fields
