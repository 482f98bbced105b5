"""GET forms of the storefront: they turn query parameters into selector filters.

A bad value (a price that is not a number, an unknown sort) never fails the page: the form
drops it and the page tells the shopper which condition it ignored.
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.catalog.models import Category, Storage
from apps.catalog.selectors import ProductFilters

MAX_PRICE = Decimal("9999999999.99")

SORT_CHOICES = [
    ("", _("综合")),
    ("sales", _("销量")),
    ("newest", _("新品")),
    ("price_asc", _("价格从低到高")),
    ("price_desc", _("价格从高到低")),
]


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100, strip=True)
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=SORT_CHOICES)
    store = forms.IntegerField(label=_("店铺"), required=False, min_value=1)
    origin = forms.RegexField(
        label=_("产地"),
        required=False,
        regex=r"^\d{2,12}$",
        error_messages={"invalid": _("产地应为行政区划代码。")},
    )
    price_min = forms.DecimalField(
        label=_("最低价"), required=False, min_value=0, max_value=MAX_PRICE, decimal_places=2
    )
    price_max = forms.DecimalField(
        label=_("最高价"), required=False, min_value=0, max_value=MAX_PRICE, decimal_places=2
    )
    storage = forms.ChoiceField(
        label=_("储存方式"), required=False, choices=[("", _("不限")), *Storage.choices]
    )

    def __init__(self, data, *args, **kwargs):
        # q is long for a query string but short for a search box; cut rather than refuse it.
        data = data.copy()
        if len(data.get("q", "")) > 100:
            data["q"] = data["q"][:100]
        super().__init__(data, *args, **kwargs)
        self.is_valid()

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            # A shopper who typed the range backwards still means the same range.
            cleaned["price_min"], cleaned["price_max"] = high, low
        return cleaned

    @property
    def ignored_labels(self) -> list[str]:
        """Labels of the fields whose values were not understood and are being ignored."""
        return [str(self.fields[name].label) for name in self.errors if name in self.fields]

    @property
    def has_active_filters(self) -> bool:
        data = self.cleaned_data
        return any(
            data.get(name) not in (None, "")
            for name in ("store", "origin", "price_min", "price_max", "storage")
        )

    def to_filters(
        self, *, category: Category | None = None, store_id: int | None = None
    ) -> ProductFilters:
        data = self.cleaned_data
        return ProductFilters(
            q=data.get("q") or "",
            category=category,
            store_id=store_id if store_id is not None else data.get("store"),
            origin_code=data.get("origin") or "",
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            storage=data.get("storage") or "",
            sort=data.get("sort") or "",
        )
