"""Catalogue API: public reads for everyone, product management for the product's merchant.

Public reads go through the storefront selectors (only sellable products). Merchant endpoints
fetch every product through product_list_for_merchant, so an id of another store's product is
simply not found (404), and every write is a call to apps.catalog.services.
"""

from functools import partial

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalog.api.filters import MerchantProductFilter, ProductFilter
from apps.catalog.api.serializers import (
    CategoryDetailSerializer,
    CategoryNodeSerializer,
    MerchantProductSerializer,
    MerchantSkuSerializer,
    ProductCreateInputSerializer,
    ProductDetailSerializer,
    ProductImageInputSerializer,
    ProductImageSerializer,
    ProductInputSerializer,
    ProductListSerializer,
    ProductSerializer,
    ProductStatusInputSerializer,
    SearchSuggestQuerySerializer,
    SearchSuggestSerializer,
    SkuCreateInputSerializer,
    SkuUpdateInputSerializer,
    sku_service_kwargs,
)
from apps.catalog.models import Category, Product, ProductImage, Sku
from apps.catalog.selectors import (
    ListingPaginator,
    product_get_for_storefront,
    product_list_for_merchant,
    product_listing_rows,
    products_listing_row_parts,
    products_sellable,
    search_suggestions,
)
from apps.catalog.services.images import product_image_add
from apps.catalog.services.products import product_save, product_set_status
from apps.catalog.signals import search_performed
from apps.core.api import StandardPagination, error_responses, token_first_authentication
from apps.stores.api.permissions import IsStoreMemberOrStaff

TAG_CATALOG = _("分类与商品")
TAG_MERCHANT = _("商家：商品管理")
# This API's wording of some error statuses (the rest: apps.core.api.ERROR_DESCRIPTIONS).
ERROR_TEXTS = {
    400: _("输入有误：fields 给出各字段的错误"),
    403: _("不是商家"),
    404: _("不存在，或不属于您的店铺"),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, texts=ERROR_TEXTS)


# --- Categories ---------------------------------------------------------------------------


def _category_forest() -> tuple[list[Category], dict[int, Category]]:
    """All active categories as a tree of any depth, in one query.

    Each node gets `subcategories`; a node under an inactive parent is unreachable and so
    hidden, like its parent.
    """
    nodes = list(Category.objects.filter(is_active=True).order_by("sort_order", "id"))
    by_id = {node.pk: node for node in nodes}
    roots = []
    for node in nodes:
        node.subcategories = []
    for node in nodes:
        if node.parent_id is None:
            roots.append(node)
        elif node.parent_id in by_id:
            by_id[node.parent_id].subcategories.append(node)
    reachable: dict[int, Category] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        reachable[node.pk] = node
        stack.extend(node.subcategories)
    return roots, reachable


@extend_schema_view(
    list=extend_schema(summary=_("分类树"), responses=CategoryNodeSerializer(many=True)),
    retrieve=extend_schema(
        summary=_("分类详情（含下级分类与上级路径）"),
        responses={200: CategoryDetailSerializer, **_errors(404)},
    ),
)
@extend_schema(tags=[TAG_CATALOG])
class CategoryViewSet(viewsets.ViewSet):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = "catalog:read"
    permission_classes = [AllowAny]
    lookup_value_regex = r"\d+"

    def list(self, request: Request) -> Response:
        roots = _category_forest()[0]
        return Response(CategoryNodeSerializer(roots, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        reachable = _category_forest()[1]
        node = reachable.get(int(pk))
        if node is None:
            raise NotFound()
        ancestors = []
        parent = reachable.get(node.parent_id)
        while parent is not None:
            ancestors.insert(0, parent)
            parent = reachable.get(parent.parent_id)
        node.ancestors = ancestors
        return Response(CategoryDetailSerializer(node).data)


# --- Products: public ---------------------------------------------------------------------


def _with_active_skus(queryset: QuerySet[Product]) -> QuerySet[Product]:
    # The storefront listing shows a cover and a price; the API also lists each spec.
    return queryset.prefetch_related(
        Prefetch("skus", queryset=Sku.objects.filter(is_active=True).order_by("sort_order", "id"))
    )


class CountedPaginator(ListingPaginator):
    """The storefront's paginator (a page's rows picked by a narrow subquery: the ranked
    search sorts ids, not whole joined rows), told its count when the search already read
    it (one query less)."""

    def __init__(self, object_list, per_page, *, count: int | None = None, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        if count is not None:
            self.count = count


class ProductPagination(StandardPagination):
    """StandardPagination whose paginator takes the count ProductFilter's search read."""

    def paginate_queryset(self, queryset, request, view=None):
        count = getattr(request, "search_count", None)
        self.django_paginator_class = partial(CountedPaginator, count=count)
        return super().paginate_queryset(queryset, request, view)


@extend_schema_view(
    list=extend_schema(
        summary=_("在售商品列表：筛选、搜索、排序、分页"),
        description=_(
            "search 支持中文分词、同义词、繁体、全拼与拼音首字母；结果按相关度排序"
            "（见 docs/architecture.md「搜索排序」）。带 search 时响应另有 did_you_mean："
            "原词没有结果而同音词有结果时为纠正后的词（如 五长大米 → 五常大米），否则为空。"
        ),
        responses={200: ProductSerializer},
    ),
    retrieve=extend_schema(
        summary=_("在售商品详情"), responses={200: ProductDetailSerializer, **_errors(404)}
    ),
)
@extend_schema(tags=[TAG_CATALOG])
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = "catalog:read"
    permission_classes = [AllowAny]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilter
    pagination_class = ProductPagination
    lookup_value_regex = r"\d+"

    def get_throttle_scope(self, request: Request) -> str | None:
        # A full-text search costs far more than a listing: it has its own, tighter limit.
        return "search" if request.query_params.get("search", "").strip() else None

    def get_queryset(self) -> QuerySet[Product]:
        return products_sellable()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ProductDetailSerializer
        # The list's rows: ProductSerializer's shape (the schema says so), built directly.
        return ProductListSerializer if self.action == "list" else ProductSerializer

    def filter_queryset(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.action == "list":
            # Rows as values; the page's images and SKUs are read for them (paginate_queryset).
            return product_listing_rows(super().filter_queryset(queryset))
        return _with_active_skus(super().filter_queryset(queryset))

    def paginate_queryset(self, queryset: QuerySet) -> list | None:
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list":
            products_listing_row_parts(page)
        return page

    def list(self, request: Request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs)
        if request.query_params.get("search"):
            response.data["did_you_mean"] = getattr(request, "search_did_you_mean", "")
            if request.query_params.get("page", "1") == "1":
                search_performed.send(
                    sender=None, query=request.query_params["search"], user=request.user
                )
        return response

    def get_object(self) -> Product:
        product = product_get_for_storefront(pk=int(self.kwargs["pk"]))
        if product is None:
            raise NotFound()
        return product


# --- Search suggestions ------------------------------------------------------------------


@extend_schema(tags=[TAG_CATALOG])
class SearchSuggestApi(APIView):
    """Suggestions for the search box as the shopper types (same index and ranking as the
    search: product titles, then categories and stores of the best matches)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary=_("搜索联想：边输入边提示商品、分类、店铺"),
        parameters=[SearchSuggestQuerySerializer],
        responses={200: SearchSuggestSerializer, **_errors(400)},
    )
    def get(self, request: Request) -> Response:
        params = SearchSuggestQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data["q"]
        found = search_suggestions(query, limit=params.validated_data["limit"])
        data = {
            "query": query,
            "products": [
                {"text": title, "url": reverse("catalog:product_detail", kwargs={"pk": pk})}
                for pk, title in found.products
            ],
            "categories": [
                {"text": name, "url": reverse("catalog:category", kwargs={"slug": slug})}
                for slug, name in found.categories
            ],
            "stores": [
                {"text": name, "url": reverse("catalog:store_detail", kwargs={"slug": slug})}
                for slug, name in found.stores
            ],
        }
        return Response(SearchSuggestSerializer(data).data)


# --- Products: merchant -------------------------------------------------------------------


class IsMerchantOrPlatformStaff(IsStoreMemberOrStaff):
    message = _("只有店铺成员或平台运营人员可以管理商品。")


@extend_schema(tags=[TAG_MERCHANT])
class MerchantApi(APIView):
    # Open-platform app tokens need this scope (apps/open_platform).
    required_scopes = {
        "GET": "catalog:read",
        "POST": "catalog:write",
        "PATCH": "catalog:write",
        "PUT": "catalog:write",
        "DELETE": "catalog:write",
    }
    # Token first, so an anonymous caller gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated, IsMerchantOrPlatformStaff]

    def merchant_products(self) -> QuerySet[Product]:
        return product_list_for_merchant(user=self.request.user).prefetch_related(
            Prefetch("skus", queryset=Sku.objects.prefetch_related("wholesale_tiers")),
            Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id")),
        )

    def merchant_product(self, pk: int) -> Product:
        """The one way these endpoints fetch a product: another store's id is a 404."""
        product = self.merchant_products().filter(pk=pk).first()
        if product is None:
            raise NotFound(_("商品不存在。"))
        return product

    def product_response(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        product = self.merchant_product(pk)
        data = MerchantProductSerializer(product, context={"request": self.request}).data
        return Response(data, status=status_code)


class MerchantProductListCreateApi(MerchantApi, GenericAPIView):
    serializer_class = MerchantProductSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MerchantProductFilter

    def get_queryset(self) -> QuerySet[Product]:
        return self.merchant_products().order_by("-updated_at", "-id")

    @extend_schema(
        summary=_("我的商品（含草稿、已下架）"),
        responses={200: MerchantProductSerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary=_("在自己的店铺发布商品（可同时提交规格）"),
        request=ProductCreateInputSerializer,
        responses={201: MerchantProductSerializer, **_errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        serializer = ProductCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        skus = data.pop("skus", None)
        if skus is not None:
            skus = [sku_service_kwargs(sku) for sku in skus]
        product = product_save(product=Product(**data), skus=skus)
        return self.product_response(product.pk, status.HTTP_201_CREATED)


class MerchantProductDetailApi(MerchantApi):
    @extend_schema(
        summary=_("我的商品详情"),
        responses={200: MerchantProductSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return self.product_response(pk)

    @extend_schema(
        summary=_("修改商品（只提交要改的字段）"),
        request=ProductInputSerializer,
        responses={200: MerchantProductSerializer, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        product = self.merchant_product(pk)
        serializer = ProductInputSerializer(product, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "origin_code" in data and "origin_name" not in data:
            # A new origin code without a name: let the service derive the name again
            # rather than keep the old county's.
            product.origin_name = ""
        for name, value in data.items():
            setattr(product, name, value)
        product_save(product=product)
        return self.product_response(pk)


class MerchantProductStatusApi(MerchantApi):
    @extend_schema(
        summary=_("上架 / 下架 / 转为草稿"),
        request=ProductStatusInputSerializer,
        responses={200: MerchantProductSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        product = self.merchant_product(pk)
        serializer = ProductStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product_set_status(product=product, status=serializer.validated_data["status"])
        return self.product_response(pk)


class MerchantSkuListCreateApi(MerchantApi):
    @extend_schema(
        summary=_("商品的全部规格（含停用）"),
        responses={200: MerchantSkuSerializer(many=True), **_errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        product = self.merchant_product(pk)
        return Response(MerchantSkuSerializer(product.skus.all(), many=True).data)

    @extend_schema(
        summary=_("新增规格"),
        request=SkuCreateInputSerializer,
        responses={201: MerchantSkuSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        product = self.merchant_product(pk)
        serializer = SkuCreateInputSerializer(data=request.data, context={"product": product})
        serializer.is_valid(raise_exception=True)
        kwargs = sku_service_kwargs(serializer.validated_data)
        product_save(product=product, skus=[kwargs])
        sku = _merchant_sku(product, spec=kwargs["spec"])
        return Response(MerchantSkuSerializer(sku).data, status=status.HTTP_201_CREATED)


def _merchant_sku(product: Product, **lookup) -> Sku:
    sku = product.skus.prefetch_related("wholesale_tiers").filter(**lookup).first()
    if sku is None:
        raise NotFound(_("规格不存在。"))
    return sku


class MerchantSkuDetailApi(MerchantApi):
    @extend_schema(
        summary=_("规格详情"),
        responses={200: MerchantSkuSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int, sku_pk: int) -> Response:
        sku = _merchant_sku(self.merchant_product(pk), pk=sku_pk)
        return Response(MerchantSkuSerializer(sku).data)

    @extend_schema(
        summary=_("修改规格：价格、库存、重量、条码等"),
        request=SkuUpdateInputSerializer,
        responses={200: MerchantSkuSerializer, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int, sku_pk: int) -> Response:
        product = self.merchant_product(pk)
        sku = _merchant_sku(product, pk=sku_pk)
        serializer = SkuUpdateInputSerializer(sku, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        kwargs = {**sku_service_kwargs(serializer.validated_data), "spec": sku.spec}
        product_save(product=product, skus=[kwargs])
        return Response(MerchantSkuSerializer(_merchant_sku(product, pk=sku_pk)).data)


class MerchantProductImageCreateApi(MerchantApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary=_("上传商品图片（JPEG/PNG/WebP/GIF，自动去除 EXIF 并生成缩略图）"),
        request={"multipart/form-data": ProductImageInputSerializer},
        responses={201: ProductImageSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        product = self.merchant_product(pk)
        serializer = ProductImageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = product_image_add(
            product=product,
            upload=serializer.validated_data["image"],
            sort_order=serializer.validated_data["sort_order"],
        )
        data = ProductImageSerializer(image, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)
