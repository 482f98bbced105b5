from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.promotions.models import Coupon, UserCoupon

MONEY = {"max_digits": 12, "decimal_places": 2}


class CouponSerializer(serializers.ModelSerializer):
    store_id = serializers.IntegerField(allow_null=True, help_text=_("空为平台券"))
    store_name = serializers.CharField(source="store.name", default=None)
    funder = serializers.CharField(help_text=_("出资方：platform 平台，store:<id> 店铺"))
    remaining = serializers.IntegerField(allow_null=True, help_text=_("剩余张数；空为不限"))

    class Meta:
        model = Coupon
        fields = [
            "id",
            "name",
            "store_id",
            "store_name",
            "funder",
            "kind",
            "amount",
            "percent_off",
            "cap",
            "threshold",
            "scope",
            "valid_from",
            "valid_until",
            "per_user_limit",
            "remaining",
            "is_new_customer_only",
            "is_exclusive",
        ]


class UserCouponSerializer(serializers.ModelSerializer):
    coupon = CouponSerializer()

    class Meta:
        model = UserCoupon
        fields = ["id", "coupon", "status", "source", "used_at", "discount_amount", "created_at"]


class RedeemInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
