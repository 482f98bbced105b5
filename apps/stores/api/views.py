"""Public read API of stores: active stores only (a suspended or closed store is not found)."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny

from apps.stores.api.serializers import StoreSerializer
from apps.stores.models import Store, StoreType
from apps.stores.selectors import store_list_for_storefront


class StoreFilter(filters.FilterSet):
    type = filters.ChoiceFilter(choices=StoreType.choices, label=_("主体类型"))
    is_featured = filters.BooleanFilter(label=_("首页推荐"))
    county = filters.CharFilter(
        field_name="county_code", lookup_expr="startswith", max_length=12, label=_("区划代码前缀")
    )

    class Meta:
        model = Store
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary=_("营业中的店铺")),
    retrieve=extend_schema(summary=_("店铺详情")),
)
@extend_schema(tags=[_("店铺")])
class StoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A store's products: GET /api/v1/products/?store=<id>."""

    serializer_class = StoreSerializer
    permission_classes = [AllowAny]
    filterset_class = StoreFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Store]:
        return store_list_for_storefront().order_by("id")
