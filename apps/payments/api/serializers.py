from rest_framework import serializers

from apps.payments.models import Payment


class PaymentStartInputSerializer(serializers.Serializer):
    payment_order = serializers.CharField(max_length=32, help_text="支付单号 (PaymentOrder.number)")
    provider = serializers.CharField(max_length=20, help_text="支付渠道: sandbox, alipay")


class PaymentSerializer(serializers.ModelSerializer):
    payment_order = serializers.CharField(source="payment_order.number", read_only=True)
    payment_order_status = serializers.CharField(source="payment_order.status", read_only=True)
    redirect_url = serializers.SerializerMethodField(help_text="把买家带去这里付款")

    class Meta:
        model = Payment
        fields = [
            "out_trade_no",
            "payment_order",
            "payment_order_status",
            "provider",
            "amount",
            "status",
            "refunded_amount",
            "redirect_url",
            "paid_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_redirect_url(self, payment: Payment) -> str:
        request = self.context.get("request")
        url = payment.redirect_url
        if url and request is not None and url.startswith("/"):
            return request.build_absolute_uri(url)
        return url


class SandboxNotificationSerializer(serializers.Serializer):
    """Body of a sandbox notify (canonical JSON); signed in the X-Sandbox-* headers."""

    out_trade_no = serializers.CharField()
    trade_no = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    status = serializers.CharField(help_text="paid | failed")
    paid_at = serializers.DateTimeField(allow_null=True)


class AlipayNotificationSerializer(serializers.Serializer):
    """The main fields of Alipay's asynchronous notify (a signed form; others may follow)."""

    notify_time = serializers.CharField()
    notify_type = serializers.CharField()
    notify_id = serializers.CharField()
    app_id = serializers.CharField()
    charset = serializers.CharField()
    version = serializers.CharField()
    sign_type = serializers.CharField(help_text="RSA2")
    sign = serializers.CharField()
    trade_no = serializers.CharField()
    out_trade_no = serializers.CharField()
    trade_status = serializers.CharField(help_text="TRADE_SUCCESS, TRADE_FINISHED, TRADE_CLOSED…")
    total_amount = serializers.CharField()
    gmt_payment = serializers.CharField(required=False)


class NotificationAckSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    result = serializers.CharField(help_text="ok, duplicate, bad_signature, replayed, …")
