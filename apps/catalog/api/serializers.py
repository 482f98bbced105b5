"""Shapes of the catalogue API. Output serializers render what selectors fetched; input
serializers only parse and validate, the views hand their data to apps.catalog.services."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.models import (
    Category,
    Certification,
    Product,
    ProductImage,
    Sku,
    Storage,
    WholesaleTier,
)
from apps.stores.divisions import division_name
from apps.stores.models import Store, StoreType
from apps.stores.selectors import stores_for_user

# Column limits of PostgreSQL (PositiveIntegerField / PositiveSmallIntegerField). Stated here
# because on SQLite Django derives no upper bound, and a bigger number must be a 400 everywhere.
INT_MAX = 2_147_483_647
SMALL_INT_MAX = 32_767

# --- Shared -------------------------------------------------------------------------------


class CodeLabelSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


# --- Categories -----------------------------------------------------------------------------


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class CategoryNodeSerializer(CategoryRefSerializer):
    """A category with its active subcategories, any depth (`subcategories` set by the view)."""

    parent_id = serializers.IntegerField(allow_null=True)
    sort_order = serializers.IntegerField()


# Declared after the class so the field can refer to it: a tree of any depth, one component.
CategoryNodeSerializer._declared_fields["children"] = CategoryNodeSerializer(
    many=True, read_only=True, source="subcategories"
)


class CategoryDetailSerializer(CategoryNodeSerializer):
    ancestors = CategoryRefSerializer(many=True, read_only=True, help_text=_("从顶级到上级"))


# --- Products: public -------------------------------------------------------------------------


class StoreSummarySerializer(serializers.ModelSerializer):
    type_display = serializers.CharField(source="get_type_display", read_only=True)
    is_self_operated = serializers.BooleanField(read_only=True)

    class Meta:
        model = Store
        fields = ["id", "name", "slug", "type", "type_display", "is_self_operated", "county_name"]


class OriginSerializer(serializers.Serializer):
    code = serializers.CharField(source="origin_code")
    name = serializers.CharField(source="origin_name")
    full_name = serializers.SerializerMethodField()

    def get_full_name(self, product: Product) -> str:
        return (division_name(product.origin_code) if product.origin_code else "") or ""


class ProductImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductImage
        fields = ["id", "image", "thumbnail", "width", "height", "sort_order"]
        read_only_fields = fields


class WholesaleTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = WholesaleTier
        fields = ["min_quantity", "unit_price"]


class SkuSerializer(serializers.ModelSerializer):
    available = serializers.IntegerField(read_only=True, help_text=_("可售库存（库存减预留）"))

    class Meta:
        model = Sku
        fields = ["id", "spec", "retail_price", "available", "weight_grams", "barcode", "is_held"]
        read_only_fields = fields
        extra_kwargs = {"is_held": {"help_text": _("批次召回/暂停中且无其他在售批次：暂停销售")}}


class ProductSerializerMixin(serializers.Serializer):
    category = CategoryRefSerializer(read_only=True)
    store = StoreSummarySerializer(read_only=True)
    origin = OriginSerializer(source="*", read_only=True)
    storage_display = serializers.CharField(source="get_storage_display", read_only=True)
    certifications = serializers.SerializerMethodField()
    images = ProductImageSerializer(many=True, read_only=True)

    @extend_schema_field(CodeLabelSerializer(many=True))
    def get_certifications(self, product: Product) -> list[dict]:
        labels = dict(Certification.choices)
        return [
            {"code": code, "label": str(labels[code])}
            for code in product.certifications
            if code in labels
        ]


class ProductSerializer(ProductSerializerMixin, serializers.ModelSerializer):
    skus = SkuSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "title",
            "subtitle",
            "price_min",
            "sales_count",
            "category",
            "store",
            "origin",
            "storage",
            "storage_display",
            "grade",
            "certifications",
            "published_at",
            "images",
            "skus",
        ]
        read_only_fields = fields


# Formatting of money and times as the model serializers' fields do it (unbound: their
# to_representation reads no parent or context).
_MONEY = serializers.DecimalField(max_digits=12, decimal_places=2)
_TIME = serializers.DateTimeField()


class ProductListSerializer(ProductSerializer):
    """ProductSerializer's output and schema, each row built directly from the product's values.

    The public list (and its search) shows 20 products with their SKUs and images per page:
    through DRF's nested fields of model instances that cost ~12 ms a request (fields built
    per request with their gettext labels, ~940 field reads, 60+ model instances). Here a row
    is a plain dict made from the values of selectors.product_listing_rows and
    products_listing_row_parts, by the same formatting as those fields (money with two
    decimals, times in ISO 8601 in the current time zone, absolute image URLs), with the choice
    labels translated once per request. tests/api/test_catalog_read.py checks it gives exactly
    what ProductSerializer gives for the same products.
    """

    def to_representation(self, row: dict) -> dict:
        labels = self.__dict__.get("_labels")
        if labels is None:
            labels = self.__dict__["_labels"] = (
                {code: str(label) for code, label in Certification.choices},
                {code: str(label) for code, label in Storage.choices},
                {code: str(label) for code, label in StoreType.choices},
            )
        certification_labels, storage_labels, store_type_labels = labels
        request = self.context.get("request")
        money = _MONEY.to_representation
        store_type = row["store__type"]
        origin_code = row["origin_code"]
        published_at = row["published_at"]
        return {
            "id": row["id"],
            "title": row["title"],
            "subtitle": row["subtitle"],
            "price_min": money(row["price_min"]),
            "sales_count": row["sales_count"],
            "category": {
                "id": row["category_id"],
                "name": row["category__name"],
                "slug": row["category__slug"],
            },
            "store": {
                "id": row["store_id"],
                "name": row["store__name"],
                "slug": row["store__slug"],
                "type": store_type,
                "type_display": store_type_labels.get(store_type, store_type),
                "is_self_operated": store_type == StoreType.SELF_OPERATED,  # Store's property
                "county_name": row["store__county_name"],
            },
            "origin": {
                "code": origin_code,
                "name": row["origin_name"],
                "full_name": (division_name(origin_code) if origin_code else "") or "",
            },
            "storage": row["storage"],
            "storage_display": storage_labels.get(row["storage"], row["storage"]),
            "grade": row["grade"],
            "certifications": [
                {"code": code, "label": certification_labels[code]}
                for code in row["certifications"]
                if code in certification_labels
            ],
            "published_at": None if published_at is None else _TIME.to_representation(published_at),
            "images": [
                {
                    "id": image["id"],
                    "image": _file_url(_IMAGE_STORAGE, image["image"], request),
                    "thumbnail": _file_url(_THUMBNAIL_STORAGE, image["thumbnail"], request),
                    "width": image["width"],
                    "height": image["height"],
                    "sort_order": image["sort_order"],
                }
                for image in row["images"]
            ],
            "skus": [
                {
                    "id": sku["id"],
                    "spec": sku["spec"],
                    "retail_price": money(sku["retail_price"]),
                    "available": sku["available"],
                    "weight_grams": sku["weight_grams"],
                    "barcode": sku["barcode"],
                    "is_held": sku["is_held"],
                }
                for sku in row["skus"]
            ],
        }


_IMAGE_STORAGE = ProductImage._meta.get_field("image").storage
_THUMBNAIL_STORAGE = ProductImage._meta.get_field("thumbnail").storage


def _file_url(storage, name: str | None, request) -> str | None:
    """What serializers.ImageField gives for a stored file name (UPLOADED_FILES_USE_URL): its
    absolute URL, None when empty."""
    if not name:
        return None
    url = storage.url(name)
    return request.build_absolute_uri(url) if request is not None else url


class ProductDetailSerializer(ProductSerializer):
    # Wholesale tiers are for verified buyers only: /api/v1/wholesale/prices/.
    skus = SkuSerializer(many=True, read_only=True)

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "description", "shelf_life_days"]
        read_only_fields = fields


# --- Products: merchant output --------------------------------------------------------------


class MerchantSkuSerializer(serializers.ModelSerializer):
    available = serializers.IntegerField(read_only=True)
    wholesale_tiers = WholesaleTierSerializer(many=True, read_only=True)

    class Meta:
        model = Sku
        fields = [
            "id",
            "spec",
            "retail_price",
            "cost_price",
            "stock",
            "reserved",
            "available",
            "weight_grams",
            "barcode",
            "is_active",
            "is_held",
            "sort_order",
            "min_wholesale_quantity",
            "wholesale_tiers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MerchantProductSerializer(ProductSerializerMixin, serializers.ModelSerializer):
    skus = MerchantSkuSerializer(many=True, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "status",
            "status_display",
            "title",
            "subtitle",
            "description",
            "category",
            "store",
            "origin",
            "shelf_life_days",
            "storage",
            "storage_display",
            "grade",
            "certifications",
            "price_min",
            "sales_count",
            "published_at",
            "created_at",
            "updated_at",
            "images",
            "skus",
        ]
        read_only_fields = fields


# --- Products: merchant input ---------------------------------------------------------------
# ModelSerializers so lengths, ranges, choices and decimal places come from the model; they
# are never saved through `serializer.save()` — the views call the services.


class WholesaleTierInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WholesaleTier
        fields = ["min_quantity", "unit_price"]
        extra_kwargs = {"min_quantity": {"max_value": INT_MAX}}


class SkuInputSerializer(serializers.ModelSerializer):
    wholesale_tiers = WholesaleTierInputSerializer(
        many=True, required=False, help_text=_("批发阶梯价；提供时整体替换原有阶梯")
    )

    class Meta:
        model = Sku
        fields = [
            "spec",
            "retail_price",
            "cost_price",
            "stock",
            "weight_grams",
            "barcode",
            "is_active",
            "sort_order",
            "min_wholesale_quantity",
            "wholesale_tiers",
        ]
        extra_kwargs = {
            "stock": {"max_value": INT_MAX},
            "weight_grams": {"max_value": INT_MAX},
            "min_wholesale_quantity": {"max_value": INT_MAX},
            "sort_order": {"max_value": SMALL_INT_MAX},
        }

    def validate_wholesale_tiers(self, tiers: list[dict]) -> list[dict]:
        quantities = [tier["min_quantity"] for tier in tiers]
        if len(set(quantities)) != len(quantities):
            raise serializers.ValidationError(_("起批量不能重复。"))
        return tiers


def sku_service_kwargs(validated_data: dict) -> dict:
    """A validated SKU in the shape of services.products.sku_save(**kwargs)."""
    data = dict(validated_data)
    if "wholesale_tiers" in data:
        data["tiers"] = data.pop("wholesale_tiers")
    return data


class SkuCreateInputSerializer(SkuInputSerializer):
    def validate_spec(self, spec: str) -> str:
        product = self.context["product"]
        if product.skus.filter(spec=spec).exists():
            raise serializers.ValidationError(_("该商品已有同名规格。"))
        return spec


class SkuUpdateInputSerializer(SkuInputSerializer):
    """PATCH of one SKU. The spec names the SKU in sku_save, so it cannot be renamed here."""

    def validate_spec(self, spec: str) -> str:
        if spec != self.instance.spec:
            raise serializers.ValidationError(_("规格名称创建后不能修改，请新建规格。"))
        return spec


class CertificationsField(serializers.ListField):
    child = serializers.ChoiceField(choices=Certification.choices)

    def to_internal_value(self, data):
        # Duplicates would only repeat a badge; keep the first of each, in order.
        return list(dict.fromkeys(super().to_internal_value(data)))


class ProductInputSerializer(serializers.ModelSerializer):
    """Fields a merchant may set on a product (PATCH: any subset)."""

    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True),
        error_messages={"does_not_exist": _("分类不存在或已停用。")},
    )
    certifications = CertificationsField(required=False, max_length=len(Certification.choices))

    class Meta:
        model = Product
        fields = [
            "category",
            "title",
            "subtitle",
            "description",
            "origin_code",
            "origin_name",
            "shelf_life_days",
            "storage",
            "grade",
            "certifications",
        ]
        extra_kwargs = {
            "origin_name": {"help_text": _("留空时由产地区划代码自动生成")},
            "shelf_life_days": {"max_value": INT_MAX},
        }


class ProductCreateInputSerializer(ProductInputSerializer):
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects.none(),
        error_messages={"does_not_exist": _("店铺不存在或您无权管理该店铺。")},
    )
    status = serializers.ChoiceField(choices=Product.Status.choices, default=Product.Status.DRAFT)
    skus = SkuInputSerializer(many=True, required=False)

    class Meta(ProductInputSerializer.Meta):
        fields = ["store", "status", *ProductInputSerializer.Meta.fields, "skus"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # absent only when the schema generator inspects the class
            # Only the stores the requesting user may act for are valid choices.
            self.fields["store"].queryset = stores_for_user(request.user)

    def validate_skus(self, skus: list[dict]) -> list[dict]:
        specs = [sku["spec"] for sku in skus]
        if len(set(specs)) != len(specs):
            raise serializers.ValidationError(_("规格名称不能重复。"))
        return skus


class ProductStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Product.Status.choices)


class ProductImageInputSerializer(serializers.Serializer):
    # A plain FileField: the catalogue's image service is the one place that decides what a
    # valid image is (Pillow check, size and pixel limits), with its own error codes.
    image = serializers.FileField()
    sort_order = serializers.IntegerField(min_value=0, max_value=SMALL_INT_MAX, default=0)


# --- Search suggestions ---


class SearchSuggestQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, allow_blank=True, label=_("已输入的搜索词"))
    limit = serializers.IntegerField(min_value=1, max_value=10, default=6)


class SuggestItemSerializer(serializers.Serializer):
    text = serializers.CharField()
    url = serializers.CharField()


class SearchSuggestSerializer(serializers.Serializer):
    query = serializers.CharField()
    products = SuggestItemSerializer(many=True)
    categories = SuggestItemSerializer(many=True)
    stores = SuggestItemSerializer(many=True)
