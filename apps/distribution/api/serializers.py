from rest_framework import serializers

from apps.distribution.models import CommissionRecord, Promoter, Withdrawal

MONEY = {"max_digits": 14, "decimal_places": 2}


class PromoterSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    grade = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = Promoter
        fields = ["code", "status", "status_label", "source", "grade", "balance", "approved_at"]


class SummarySerializer(serializers.Serializer):
    balance = serializers.DecimalField(**MONEY)
    frozen = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    today = serializers.DecimalField(**MONEY)
    month = serializers.DecimalField(**MONEY)
    withdrawn = serializers.DecimalField(**MONEY)
    team_level1 = serializers.IntegerField()
    team_level2 = serializers.IntegerField()


class PromoterCentreSerializer(serializers.Serializer):
    promoter = PromoterSerializer(allow_null=True)
    summary = SummarySerializer(allow_null=True)
    share_link = serializers.CharField(allow_null=True)
    upline_code = serializers.CharField(allow_null=True)


class ApplyInputSerializer(serializers.Serializer):
    real_name = serializers.CharField(max_length=30, required=False, default="")
    note = serializers.CharField(max_length=200, required=False, default="")


class BindInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12)


class CommissionSerializer(serializers.ModelSerializer):
    """What a promoter sees of a sale: order number, store, line and amounts — not the buyer."""

    order_number = serializers.CharField(source="order.number")
    store_name = serializers.CharField(source="store.name")
    title = serializers.CharField(source="line.title")
    paid_amount = serializers.DecimalField(source="line.paid_amount", **MONEY)
    net_amount = serializers.DecimalField(**MONEY)
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = CommissionRecord
        fields = [
            "id",
            "order_number",
            "store_name",
            "title",
            "paid_amount",
            "level",
            "amount",
            "reversed_amount",
            "net_amount",
            "status",
            "status_label",
            "created_at",
            "available_at",
        ]


class StaffCommissionSerializer(CommissionSerializer):
    promoter_code = serializers.CharField(source="promoter.code")

    class Meta(CommissionSerializer.Meta):
        fields = [
            *CommissionSerializer.Meta.fields,
            "promoter_code",
            "base",
            "rate",
            "fixed_amount",
        ]


class TeamMemberSerializer(serializers.Serializer):
    name = serializers.CharField()
    bound_at = serializers.DateTimeField()


class WithdrawalSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Withdrawal
        fields = [
            "id",
            "number",
            "amount",
            "fee",
            "net_amount",
            "method",
            "account_name",
            "account_number",
            "status",
            "status_label",
            "payout_reference",
            "reason",
            "created_at",
            "reviewed_at",
            "paid_at",
        ]


class StaffWithdrawalSerializer(WithdrawalSerializer):
    promoter_code = serializers.CharField(source="promoter.code", read_only=True)

    class Meta(WithdrawalSerializer.Meta):
        fields = [*WithdrawalSerializer.Meta.fields, "promoter_code"]


class WithdrawalInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, min_value=0)
    method = serializers.ChoiceField(choices=Withdrawal.Method.choices)
    account_name = serializers.CharField(max_length=30, required=False, default="")
    account_number = serializers.CharField(max_length=64, required=False, default="")


class StaffPromoterSerializer(PromoterSerializer):
    user = serializers.StringRelatedField()
    team_level1 = serializers.IntegerField(source="team")

    class Meta(PromoterSerializer.Meta):
        fields = ["id", "user", *PromoterSerializer.Meta.fields, "team_level1"]


class WithdrawalReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class PayoutInputSerializer(serializers.Serializer):
    payout_reference = serializers.CharField(max_length=64)


class ProductSalesSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(source="line__product_id", allow_null=True)
    title = serializers.CharField(source="line__title")
    store_name = serializers.CharField(source="store__name")
    orders = serializers.IntegerField()
    quantity = serializers.IntegerField(allow_null=True)
    paid = serializers.DecimalField(**MONEY, allow_null=True)
    commission = serializers.DecimalField(**MONEY, allow_null=True)
