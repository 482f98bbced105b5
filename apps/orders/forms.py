"""Forms parse and render; the services validate and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.orders.models import Division, PaymentOrder
from apps.orders.pricing import region_code_normalize
from apps.orders.rules import MAX_LINE_QUANTITY
from apps.orders.selectors import division_children

LEVELS = ("province", "city", "county", "township")
PROMPTS = {
    "province": _("请选择省份"),
    "city": _("请选择城市"),
    "county": _("请选择区县"),
    "township": _("请选择乡镇/街道"),
}


class AddressForm(forms.Form):
    """Four chained selects. Without JavaScript the shopper presses "选择下级" to reload the
    next level (the `refresh` button); with JavaScript address.js fills it in place."""

    contact_name = forms.CharField(label=_("收货人"), max_length=30)
    contact_phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    province = forms.ChoiceField(label=_("省份"), required=False)
    city = forms.ChoiceField(label=_("城市"), required=False)
    county = forms.ChoiceField(label=_("区县"), required=False)
    township = forms.ChoiceField(label=_("乡镇/街道"), required=False)
    detail = forms.CharField(
        label=_("详细地址"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("村/小区、门牌号")}),
    )
    is_default = forms.BooleanField(label=_("设为默认地址"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.data = self.data.copy()
        values = self.data if self.is_bound else self.initial
        parent = None
        for level in LEVELS:
            options = division_children(parent_code=parent) if level == "province" or parent else []
            field = self.fields[level]
            field.choices = [("", PROMPTS[level]), *((d.code, d.name) for d in options)]
            field.widget.attrs["data-division-level"] = level
            chosen = values.get(level) or ""
            is_valid = any(d.code == chosen for d in options)
            if self.is_bound and chosen and not is_valid:
                # A stale lower choice (the shopper changed the province) must not survive.
                self.data[level] = ""
            parent = chosen if is_valid else None
        if not self.is_bound and self.initial.get("contact_phone"):
            self.initial["contact_phone"] = _national(self.initial["contact_phone"])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "province": data.get("province") or "",
            "city": data.get("city") or None,
            "county": data.get("county") or "",
            "township": data.get("township") or None,
            "detail": data["detail"],
            "is_default": data.get("is_default", False),
        }

    def add_service_errors(self, fields: dict) -> None:
        for name, message in fields.items():
            self.add_error(name if name in self.fields else None, message)


def _national(phone: str) -> str:
    return phone.removeprefix("+86")


def address_initial(address) -> dict:
    return {
        "contact_name": address.contact_name,
        "contact_phone": address.contact_phone,
        "province": address.province_id,
        "city": address.city_id or "",
        "county": address.county_id,
        "township": address.township_id or "",
        "detail": address.detail,
        "is_default": address.is_default,
    }


class CartAddForm(forms.Form):
    sku = forms.IntegerField(min_value=1)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, initial=1)


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=MAX_LINE_QUANTITY)


class CheckoutForm(forms.Form):
    address = forms.IntegerField()
    idempotency_key = forms.CharField(max_length=64)
    method = forms.ChoiceField(
        choices=PaymentOrder.Method.choices, required=False, initial=PaymentOrder.Method.ONLINE
    )
    buyer_note = forms.CharField(max_length=200, required=False)


# Common carrier names (shown on the order page context); shipping uses logistics.Carrier.
CARRIERS = [
    "顺丰速运",
    "中通快递",
    "圆通速递",
    "申通快递",
    "韵达快递",
    "京东物流",
    "中国邮政 EMS",
    "极兔速递",
    "德邦快递",
]


class RegionCodesField(forms.CharField):
    """Division codes typed as "11, 230184" (commas, 、 or spaces; padded 110000 accepted),
    stored as a list. Every code must be an official division at `min_level` or below."""

    def __init__(self, *, min_level: int = Division.Level.PROVINCE, **kwargs):
        self.min_level = min_level
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = (value or "").replace("，", ",").replace("、", ",").replace(" ", ",")
        return [region_code_normalize(c) for c in text.split(",") if c.strip()]

    def validate(self, value):
        if not value:
            raise forms.ValidationError(_("请至少填写一个地区代码。"))
        found = set(
            Division.objects.filter(code__in=value, level__gte=self.min_level).values_list(
                "code", flat=True
            )
        )
        unknown = [code for code in value if code not in found]
        if unknown:
            level = Division.Level(self.min_level).label
            message = (
                _("未知的地区代码：%(codes)s")
                if self.min_level == Division.Level.PROVINCE
                else _("未知的地区代码，或不是%(level)s及以下的代码：%(codes)s")
            )
            raise forms.ValidationError(message % {"codes": "、".join(unknown), "level": level})
