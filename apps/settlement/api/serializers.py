"""Shapes of the settlement API. Output serializers render what selectors fetched; input
serializers only parse, the views hand their data to apps.settlement.services."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.settlement.models import LedgerEntry, SettlementStatement, StatementEvent

MONEY = {"max_digits": 14, "decimal_places": 2, "read_only": True}


class LedgerEntrySerializer(serializers.ModelSerializer):
    store_name = serializers.CharField(source="store.name", read_only=True)
    type_display = serializers.CharField(source="get_type_display", read_only=True)
    amount = serializers.DecimalField(**MONEY)
    order_number = serializers.SerializerMethodField()

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "store",
            "store_name",
            "type",
            "type_display",
            "amount",
            "order_number",
            "reference",
            "reason",
            "statement",
            "created_at",
        ]
        read_only_fields = fields

    def get_order_number(self, entry: LedgerEntry) -> str | None:
        return entry.order.number if entry.order_id else None


class StatementEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = StatementEvent
        fields = ["kind", "from_status", "to_status", "actor_name", "reason", "created_at"]
        read_only_fields = fields

    def get_actor_name(self, event: StatementEvent) -> str | None:
        return str(event.actor) if event.actor_id else None


class SettlementStatementSerializer(serializers.ModelSerializer):
    store_name = serializers.CharField(source="store.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    income = serializers.DecimalField(**MONEY)
    commission = serializers.DecimalField(**MONEY)
    refunds = serializers.DecimalField(**MONEY)
    commission_reversals = serializers.DecimalField(**MONEY)
    adjustments = serializers.DecimalField(**MONEY)
    distribution_commission = serializers.DecimalField(**MONEY)
    subsidies = serializers.DecimalField(
        **MONEY, help_text=_("平台出资的优惠（平台券、平台满减）由平台补给店铺")
    )
    net_payable = serializers.DecimalField(**MONEY)

    class Meta:
        model = SettlementStatement
        fields = [
            "id",
            "store",
            "store_name",
            "period_start",
            "period_end",
            "status",
            "status_display",
            "income",
            "commission",
            "refunds",
            "commission_reversals",
            "adjustments",
            "distribution_commission",
            "subsidies",
            "net_payable",
            "entry_count",
            "payout_reference",
            "confirmed_at",
            "paid_out_at",
            "created_at",
        ]
        read_only_fields = fields


class SettlementStatementDetailSerializer(SettlementStatementSerializer):
    entries = LedgerEntrySerializer(source="entry_rows", many=True, read_only=True)
    events = StatementEventSerializer(source="event_rows", many=True, read_only=True)
    is_consistent = serializers.BooleanField(
        read_only=True, help_text=_("各项金额是否可由本单流水逐笔重算得出")
    )

    class Meta(SettlementStatementSerializer.Meta):
        fields = [*SettlementStatementSerializer.Meta.fields, "is_consistent", "entries", "events"]
        read_only_fields = fields


class StoreBalanceSerializer(serializers.Serializer):
    store = serializers.IntegerField(source="pk")
    store_name = serializers.CharField(source="name")
    balance = serializers.DecimalField(**MONEY, help_text=_("平台应付给店铺的余额（全部流水之和）"))
    unsettled = serializers.DecimalField(**MONEY, help_text=_("其中尚未出结算单的部分"))


class StatementFilterSerializer(serializers.Serializer):
    store = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=SettlementStatement.Status.choices, required=False)


class LedgerFilterSerializer(serializers.Serializer):
    store = serializers.IntegerField(required=False, min_value=1)
    type = serializers.ChoiceField(choices=LedgerEntry.Type.choices, required=False)
    statement = serializers.IntegerField(required=False, min_value=1)
    settled = serializers.BooleanField(required=False, allow_null=True, default=None)


class PayoutInputSerializer(serializers.Serializer):
    payment_reference = serializers.CharField(
        max_length=64, help_text=_("银行或支付渠道的转账流水号")
    )


class AdjustmentInputSerializer(serializers.Serializer):
    store = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("正数增加店铺应结，负数扣减")
    )
    # Blank is let through so the service answers with its own code (reason required).
    reason = serializers.CharField(max_length=200, allow_blank=True)
