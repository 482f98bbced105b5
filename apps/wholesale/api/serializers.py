from rest_framework import serializers

from apps.wholesale.models import BuyerOrganisation, BuyerStatement, CreditEntry


class BuyerOrganisationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    credit_owed = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="当前应付（账期余额）"
    )
    credit_available = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="可用账期额度"
    )

    class Meta:
        model = BuyerOrganisation
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "licence_number",
            "licence_image",
            "contact_name",
            "contact_phone",
            "address",
            "status",
            "status_display",
            "reject_reason",
            "reviewed_at",
            "credit_limit",
            "credit_owed",
            "credit_available",
            "created_at",
        ]
        read_only_fields = fields


class BuyerApplicationInputSerializer(serializers.Serializer):
    """Shape only: the service checks the credit code, phone and image."""

    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=BuyerOrganisation.Kind.choices)
    licence_number = serializers.CharField(max_length=30)
    contact_name = serializers.CharField(max_length=30)
    contact_phone = serializers.CharField(max_length=20)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    licence_image = serializers.FileField(required=False, allow_null=True, default=None)


class CreditEntrySerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = CreditEntry
        fields = ["id", "kind", "kind_display", "amount", "reference", "note", "created_at"]
        read_only_fields = fields


class BuyerStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = BuyerStatement
        fields = [
            "id",
            "period_start",
            "period_end",
            "opening_balance",
            "charges",
            "releases",
            "refunds",
            "repayments",
            "adjustments",
            "closing_balance",
            "entry_count",
            "generated_at",
        ]
        read_only_fields = fields


class BuyerStatementDetailSerializer(BuyerStatementSerializer):
    entries = CreditEntrySerializer(many=True, read_only=True)

    class Meta(BuyerStatementSerializer.Meta):
        fields = [*BuyerStatementSerializer.Meta.fields, "entries"]
        read_only_fields = fields


class TierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)


class PriceBreakSerializer(serializers.Serializer):
    from_quantity = serializers.IntegerField()
    to_quantity = serializers.IntegerField(allow_null=True)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    is_retail = serializers.BooleanField()


class WholesaleOfferSerializer(serializers.Serializer):
    sku = serializers.IntegerField(source="sku.pk")
    retail_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    min_quantity = serializers.IntegerField(help_text="批发起订量")
    tiers = TierSerializer(many=True)
    price_breaks = PriceBreakSerializer(many=True, help_text="各数量区间的实际单价")
