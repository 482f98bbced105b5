import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.analytics.models import Commodity, PriceAlert, PriceDaily, Scope
from apps.analytics.selectors import GRAINS, NATIONAL, TOP_DIMENSIONS


class RangeFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text=_("起始日期（含），默认 30 天前"))
    date_to = serializers.DateField(required=False, help_text=_("截止日期（含），默认今天"))

    def validate(self, attrs):
        today = timezone.localdate()
        attrs.setdefault("date_to", today)
        attrs.setdefault("date_from", attrs["date_to"] - dt.timedelta(days=29))
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_from": _("起始日期不能晚于截止日期。")})
        if (attrs["date_to"] - attrs["date_from"]).days > 731:
            raise serializers.ValidationError({"date_from": _("时间范围最长两年。")})
        return attrs


class SalesFilterSerializer(RangeFilterSerializer):
    grain = serializers.ChoiceField(choices=GRAINS, default="day", help_text=_("day/week/month"))


class TopFilterSerializer(RangeFilterSerializer):
    by = serializers.ChoiceField(choices=TOP_DIMENSIONS)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)


class SalesPointSerializer(serializers.Serializer):
    period = serializers.DateField()
    quantity = serializers.IntegerField()
    gmv = serializers.DecimalField(max_digits=16, decimal_places=2)
    orders = serializers.IntegerField()
    buyers = serializers.IntegerField(help_text=_("周、月为每日去重买家数之和"))
    average_order_value = serializers.DecimalField(max_digits=16, decimal_places=2)
    returning_buyers = serializers.IntegerField(
        help_text=_("此前某日已付过款的买家（店铺：在本店；平台：在平台），每日去重之和")
    )
    promoter_gmv = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text=_("有推广员的订单的净成交额")
    )
    aftersale_orders = serializers.IntegerField(help_text=_("有售后申请（未撤销）的订单数"))
    refund_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    repeat_buyer_rate = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, help_text=_("复购率(%)")
    )
    promoter_share = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, help_text=_("推广员销售占比(%)")
    )
    aftersale_rate = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, help_text=_("售后率(%)")
    )
    refund_rate = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, help_text=_("退款率(%)")
    )


class DemandFilterSerializer(RangeFilterSerializer):
    category = serializers.IntegerField(required=False, help_text=_("类目 ID，默认全部"))


class DemandPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    paid = serializers.IntegerField(help_text=_("净销量（件）"))
    wholesale = serializers.IntegerField(help_text=_("未付款批发订单件数"))
    searches = serializers.IntegerField(help_text=_("搜索次数"))
    demand = serializers.IntegerField(help_text=_("需求量 = 以上三项之和"))


class TopRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    gmv = serializers.DecimalField(max_digits=16, decimal_places=2)
    quantity = serializers.IntegerField()


class AlertFilterSerializer(serializers.Serializer):
    since = serializers.DateField(required=False, help_text=_("默认 30 天前"))


class CommoditySerializer(serializers.ModelSerializer):
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="alias")

    class Meta:
        model = Commodity
        fields = [
            "id",
            "name",
            "aliases",
            "category_l1",
            "category_l2",
            "category_l3",
            "unit",
            "is_synthetic",
        ]


class PriceAlertSerializer(serializers.ModelSerializer):
    commodity = serializers.CharField(source="commodity.name")
    kind_label = serializers.CharField(source="get_kind_display")
    level_label = serializers.CharField(source="get_level_display")

    class Meta:
        model = PriceAlert
        fields = [
            "date",
            "commodity",
            "commodity_id",
            "scope",
            "area",
            "kind",
            "kind_label",
            "level",
            "level_label",
            "value",
            "price",
        ]


class PriceFilterSerializer(serializers.Serializer):
    days = serializers.ChoiceField(choices=[30, 90, 365], default=90)
    scope = serializers.ChoiceField(choices=Scope.choices, default=Scope.NATIONAL)
    area = serializers.CharField(default=NATIONAL, max_length=60)


class PriceDailySerializer(serializers.ModelSerializer):
    commodity = serializers.CharField(source="commodity.name")

    class Meta:
        model = PriceDaily
        fields = [
            "commodity",
            "commodity_id",
            "scope",
            "area",
            "date",
            "low_price",
            "avg_price",
            "high_price",
            "weighted_avg_price",
            "observations",
            "volume_kg",
            "ma7",
            "ma30",
            "change_day",
            "change_week",
            "change_month",
            "change_year",
            "zscore30",
        ]


class QuoteFilterSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Scope.choices, default=Scope.NATIONAL)
    area = serializers.CharField(default=NATIONAL, max_length=60)
