"""Catalog back office: merchants manage their own products, SKUs, tiers and images.

Every store-owned admin here uses StoreScopedAdminMixin (querysets, object pages, foreign-key
choices, filters, actions and exports); writes go through apps.catalog.services.
"""

import csv

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.catalog.models import (
    Category,
    Certification,
    Product,
    ProductImage,
    SearchSynonym,
    Sku,
    WholesaleTier,
)
from apps.catalog.search import parse_synonym_words
from apps.catalog.selectors import skus_low_stock
from apps.catalog.services.images import product_image_add
from apps.catalog.services.products import (
    product_after_save,
    product_set_status,
    product_validate_origin,
)
from apps.catalog.services.search import products_mark_search_stale
from apps.core.admin import run_each
from apps.core.images import ALLOWED_FORMATS, image_clean_for_form
from apps.stores.admin_mixins import StoreScopedAdminMixin
from apps.stores.forms import CountyCodeField
from apps.stores.selectors import user_can_manage_all_stores
from apps.stores.widgets import CountyPickerWidget

IMAGE_ACCEPT = ",".join(f"image/{fmt.lower()}" for fmt in sorted(ALLOWED_FORMATS))


def thumbnail_tag(image: ProductImage | None, *, size: int = 60) -> str:
    if image is None:
        return "—"
    source = image.thumbnail or image.image
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" style="object-fit:cover;border-radius:4px">',
        source.url,
        size,
        size,
    )


def _is_new_upload(value) -> bool:
    return bool(value) and hasattr(value, "content_type")


# --- 分类 (platform staff only) ------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "slug", "sort_order", "is_active"]
    list_filter = ["is_active", ("parent", admin.RelatedOnlyFieldListFilter)]
    list_editable = ["sort_order", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]

    # The tree is the platform's; merchants only pick from it on the product form.
    def has_module_permission(self, request):
        return user_can_manage_all_stores(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return user_can_manage_all_stores(request.user) and super().has_view_permission(
            request, obj
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Category.objects.select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"name", "parent"} & set(form.changed_data):
            # Its products' search text names the category: rebuilt by the periodic job.
            products_mark_search_stale(category=obj)


class SearchSynonymForm(forms.ModelForm):
    class Meta:
        model = SearchSynonym
        fields = ["words", "one_way", "is_active"]

    def clean_words(self) -> str:
        words = parse_synonym_words(self.cleaned_data["words"])
        if len(words) < 2:
            raise ValidationError(_("至少填写两个词，用空格或逗号分隔。"))
        return " ".join(dict.fromkeys(words))


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    """Platform staff keep the search synonym table; an edit applies to the next search."""

    form = SearchSynonymForm
    list_display = ["words", "one_way", "is_active", "updated_at"]
    list_filter = ["one_way", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["words"]

    def has_module_permission(self, request):
        return user_can_manage_all_stores(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return user_can_manage_all_stores(request.user) and super().has_view_permission(
            request, obj
        )


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.parent.name} / {obj.name}" if obj.parent_id else obj.name


# --- 商品 -----------------------------------------------------------------------------------


class ProductAdminForm(forms.ModelForm):
    certifications = forms.MultipleChoiceField(
        label=_("认证"),
        choices=Certification.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Product
        fields = [
            "store",
            "category",
            "title",
            "subtitle",
            "status",
            "is_brokerage_enabled",
            "origin_code",
            "origin_name",
            "shelf_life_days",
            "storage",
            "grade",
            "certifications",
            "description",
        ]
        field_classes = {"category": CategoryChoiceField, "origin_code": CountyCodeField}
        widgets = {"origin_code": CountyPickerWidget}  # the admin would put a text box

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            current = self.instance.category_id if self.instance.pk else None
            active = Category.objects.filter(is_active=True) | Category.objects.filter(pk=current)
            self.fields["category"].queryset = active.select_related("parent").order_by(
                "parent__sort_order", "parent_id", "sort_order", "id"
            )


class SkuInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.status != Product.Status.ON_SALE:
            return
        active = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("is_active")
        ]
        if not active:
            raise ValidationError(_("上架的商品至少需要一个启用的规格。"), code="product_no_sku")


class SkuInline(StoreScopedAdminMixin, admin.TabularInline):
    model = Sku
    store_field = "product__store"
    formset = SkuInlineFormSet
    fields = [
        "spec",
        "retail_price",
        "cost_price",
        "stock",
        "reserved",
        "weight_grams",
        "barcode",
        "min_wholesale_quantity",
        "is_active",
        "sort_order",
    ]
    readonly_fields = ["reserved"]
    show_change_link = True  # wholesale tiers are edited on the SKU's own page
    verbose_name_plural = _("规格(SKU)：批发阶梯价请点「修改」进入规格页设置")

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0


class ProductImageInlineForm(forms.ModelForm):
    class Meta:
        model = ProductImage
        fields = ["image", "sort_order"]
        widgets = {"image": forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A stored image is replaced by deleting it and uploading a new one, so the
            # thumbnail can never go stale.
            self.fields["image"].disabled = True
            self.fields["image"].required = False

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if _is_new_upload(upload):
            image_clean_for_form(upload, field="image")
        return upload


class ProductImageInline(StoreScopedAdminMixin, admin.TabularInline):
    model = ProductImage
    store_field = "product__store"
    form = ProductImageInlineForm
    fields = ["preview", "image", "sort_order"]
    readonly_fields = ["preview"]
    extra = 1

    @admin.display(description=_("预览"))
    def preview(self, obj: ProductImage) -> str:
        return thumbnail_tag(obj if obj.pk else None, size=80)


@admin.register(Product)
class ProductAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    form = ProductAdminForm
    list_display = [
        "cover",
        "title",
        "store",
        "category",
        "price_min",
        "status",
        "sales_count",
        "published_at",
    ]
    list_display_links = ["cover", "title"]
    list_filter = ["status", "storage", "category", "store"]
    list_select_related = ["store", "category"]
    search_fields = ["title", "subtitle", "origin_name", "store__name"]
    list_per_page = 50
    actions = ["put_on_sale", "take_off_sale", "export_csv"]
    inlines = [SkuInline, ProductImageInline]
    readonly_fields = ["price_min", "sales_count", "published_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "store",
                    "category",
                    "title",
                    "subtitle",
                    "status",
                    "is_brokerage_enabled",
                ]
            },
        ),
        (
            _("产地与储存"),
            {
                "fields": [
                    "origin_code",
                    "origin_name",
                    "shelf_life_days",
                    "storage",
                    "grade",
                    "certifications",
                ]
            },
        ),
        (_("详情"), {"fields": ["description"]}),
        (_("统计"), {"fields": ["price_min", "sales_count", "published_at"]}),
    ]

    def get_queryset(self, request):
        # The cover thumbnail of every row in one extra query, not one per row.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id"))
            )
        )

    @admin.display(description=_("封面"))
    def cover(self, obj: Product) -> str:
        images = list(obj.images.all())
        return thumbnail_tag(images[0] if images else None)

    def save_model(self, request, obj, form, change):
        self.prepare_for_save(request, obj)
        product_validate_origin(product=obj)
        obj.save()

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProductImage:
            return super().save_formset(request, form, formset, change)
        # New images go through product_image_add (Pillow check, EXIF strip, thumbnail once).
        formset.save(commit=False)
        for image in formset.deleted_objects:
            image.delete()
        for image, changed in formset.changed_objects:
            if "sort_order" in changed:
                image.save(update_fields=["sort_order"])
        created = []
        for image_form in formset.extra_forms:
            upload = image_form.cleaned_data.get("image") if image_form.has_changed() else None
            if _is_new_upload(upload) and not image_form.cleaned_data.get("DELETE"):
                created.append(
                    product_image_add(
                        product=formset.instance,
                        upload=upload,
                        sort_order=image_form.cleaned_data.get("sort_order") or 0,
                    )
                )
        formset.new_objects = created
        return None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        product_after_save(product=form.instance)

    def _set_status(self, request: HttpRequest, queryset, status: str, success) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda product: product_set_status(product=product, status=status),
            success=success,
        )

    @admin.action(permissions=["change"], description=_("上架所选商品"))
    def put_on_sale(self, request, queryset):
        self._set_status(request, queryset, Product.Status.ON_SALE, _("已上架 %(count)d 件商品。"))

    @admin.action(permissions=["change"], description=_("下架所选商品"))
    def take_off_sale(self, request, queryset):
        self._set_status(request, queryset, Product.Status.OFF_SALE, _("已下架 %(count)d 件商品。"))

    @admin.action(permissions=["view"], description=_("导出所选商品为 CSV"))
    def export_csv(self, request, queryset):
        # `queryset` is already scoped by get_queryset, so an export holds only own products.
        rows = queryset.select_related("store", "category").prefetch_related(
            Prefetch("skus", queryset=Sku.objects.order_by("sort_order", "id"))
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="products-{stamp}.csv"'
        response.write("\ufeff")  # BOM, so Excel opens the Chinese text as UTF-8
        writer = csv.writer(response)
        writer.writerow(
            [
                _("商品ID"),
                _("店铺"),
                _("分类"),
                _("商品名称"),
                _("状态"),
                _("产地"),
                _("规格"),
                _("零售价"),
                _("库存"),
                _("条码"),
            ]
        )
        for product in rows:
            base = [
                product.pk,
                product.store.name,
                product.category.name,
                product.title,
                product.get_status_display(),
                product.origin_name,
            ]
            skus = list(product.skus.all()) or [None]
            for sku in skus:
                writer.writerow(
                    base
                    + (
                        [sku.spec, sku.retail_price, sku.stock, sku.barcode]
                        if sku
                        else ["", "", "", ""]
                    )
                )
        return response


# --- 规格 (SKU) with wholesale tiers ------------------------------------------------------


class WholesaleTierInline(StoreScopedAdminMixin, admin.TabularInline):
    model = WholesaleTier
    store_field = "sku__product__store"
    fields = ["min_quantity", "unit_price"]
    extra = 1


class LowStockFilter(admin.SimpleListFilter):
    """SKUs at or below their 库存预警值 (the workbench links here)."""

    title = _("库存预警")
    parameter_name = "low_stock"

    def lookups(self, request, model_admin):
        return [("yes", _("库存不足"))]

    def queryset(self, request, queryset):
        return skus_low_stock(queryset) if self.value() == "yes" else queryset


@admin.register(Sku)
class SkuAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_field = "product__store"
    list_display = [
        "product",
        "spec",
        "retail_price",
        "stock",
        "reserved",
        "available",
        "tiers",
        "is_active",
    ]
    list_filter = ["is_active", LowStockFilter, "product__store"]
    list_select_related = ["product__store"]
    search_fields = ["product__title", "spec", "barcode"]
    list_per_page = 50
    inlines = [WholesaleTierInline]
    fields = [
        "product",
        "spec",
        "retail_price",
        "cost_price",
        "stock",
        "reserved",
        "low_stock_threshold",
        "weight_grams",
        "barcode",
        "min_wholesale_quantity",
        "is_active",
        "sort_order",
    ]
    readonly_fields = ["reserved"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("wholesale_tiers")

    @admin.display(description=_("可售"))
    def available(self, obj: Sku) -> int:
        return obj.available

    @admin.display(description=_("批发阶梯价"))
    def tiers(self, obj: Sku) -> str:
        return "；".join(str(tier) for tier in obj.wholesale_tiers.all()) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        product_after_save(product=form.instance.product)

    def delete_model(self, request, obj):
        product = obj.product
        super().delete_model(request, obj)
        product_after_save(product=product)

    def delete_queryset(self, request, queryset):
        products = {sku.product for sku in queryset.select_related("product")}
        super().delete_queryset(request, queryset)
        for product in products:
            product_after_save(product=product)


# --- 商品图片 --------------------------------------------------------------------------------


class ProductImageAdminForm(forms.ModelForm):
    class Meta:
        model = ProductImage
        fields = ["product", "image", "sort_order"]
        widgets = {"image": forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT})}

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if _is_new_upload(upload):
            image_clean_for_form(upload, field="image")
        return upload


@admin.register(ProductImage)
class ProductImageAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_field = "product__store"
    form = ProductImageAdminForm
    list_display = ["preview", "product", "store", "sort_order", "dimensions", "created_at"]
    list_display_links = ["preview", "product"]
    list_filter = ["product__store"]
    list_select_related = ["product__store"]
    search_fields = ["product__title"]
    list_per_page = 50

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["product", "image", "sort_order"]
        return ["preview", "product", "image", "dimensions", "sort_order"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["preview", "product", "image", "dimensions"]

    @admin.display(description=_("预览"))
    def preview(self, obj: ProductImage) -> str:
        return thumbnail_tag(obj)

    @admin.display(description=_("店铺"), ordering="product__store__name")
    def store(self, obj: ProductImage) -> str:
        return obj.product.store.name

    @admin.display(description=_("尺寸"))
    def dimensions(self, obj: ProductImage) -> str:
        return f"{obj.width}×{obj.height}"

    def save_model(self, request, obj, form, change):
        self.prepare_for_save(request, obj)
        if change:
            obj.save(update_fields=["sort_order"])
            return
        created = product_image_add(
            product=obj.product, upload=form.cleaned_data["image"], sort_order=obj.sort_order
        )
        # The admin logs and redirects with the object it built; make it the stored one.
        for field in ProductImage._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
