"""Query-string filters of the product API.

The public list is filtered, searched and sorted by the storefront's own selector, so the API and
the pages can never disagree: django-filter only parses and validates the query string (and
describes it to the OpenAPI schema), then hands a ProductFilters to the selector.
"""

from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from apps.catalog.models import Category, Product, Storage
from apps.catalog.selectors import ProductFilters, storefront_search
from apps.stores.selectors import store_list_for_storefront, stores_for_user

# API ordering value -> key of apps.catalog.selectors.SORTS.
ORDERINGS = {
    "newest": "newest",
    "price": "price_asc",
    "-price": "price_desc",
    "sales": "sales",
}
ORDERING_CHOICES = [
    ("newest", _("最新上架")),
    ("price", _("价格从低到高")),
    ("-price", _("价格从高到低")),
    ("sales", _("销量")),
]
MONEY_FILTER = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


class ProductFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("最高价不能低于最低价。"))
        return data


class ProductFilter(filters.FilterSet):
    search = filters.CharFilter(label=_("搜索：商品名、店铺、产地、分类，支持拼音"), max_length=100)
    category = filters.ModelChoiceFilter(
        queryset=Category.objects.filter(is_active=True), label=_("分类 id（含下级分类）")
    )
    store = filters.ModelChoiceFilter(queryset=store_list_for_storefront(), label=_("店铺 id"))
    origin = filters.CharFilter(
        label=_("产地区划代码前缀，如 23（省）、2301（市）、230184（县）"),
        max_length=12,
        validators=[RegexValidator(r"^\d{2,12}$", _("请输入 2 到 12 位数字的区划代码。"))],
    )
    price_min = filters.NumberFilter(label=_("最低价（元）"), **MONEY_FILTER)
    price_max = filters.NumberFilter(label=_("最高价（元）"), **MONEY_FILTER)
    storage = filters.ChoiceFilter(choices=Storage.choices, label=_("储存方式"))
    ordering = filters.ChoiceFilter(choices=ORDERING_CHOICES, label=_("排序"))

    class Meta:
        model = Product
        fields: list[str] = []
        form = ProductFilterForm

    def product_filters(self) -> ProductFilters:
        data = self.form.cleaned_data
        store = data.get("store")
        return ProductFilters(
            q=data.get("search") or "",
            category=data.get("category"),
            store_id=store.pk if store else None,
            origin_code=data.get("origin") or "",
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            storage=data.get("storage") or "",
            sort=ORDERINGS.get(data.get("ordering") or "", ""),
        )

    def filter_queryset(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        # The selector starts from the sellable products itself; `queryset` (the same set) is
        # only what django-filter and the schema generator need to know the model.
        found = storefront_search(self.product_filters(), count=True)
        self.did_you_mean = found.did_you_mean
        if self.request is not None:
            # For the list response (ProductViewSet.list): what a query that found nothing as
            # typed was taken to mean, and the count the search read (its paginator's).
            self.request.search_did_you_mean = self.did_you_mean
            self.request.search_count = found.count
        return found.queryset


class MerchantProductFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Product.Status.choices, label=_("状态"))
    store = filters.ModelChoiceFilter(
        queryset=lambda request: stores_for_user(request.user), label=_("店铺 id")
    )
    title = filters.CharFilter(lookup_expr="icontains", max_length=100, label=_("商品名称包含"))

    class Meta:
        model = Product
        fields: list[str] = []
