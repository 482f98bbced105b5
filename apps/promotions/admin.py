"""Back office of promotions. Merchants see and create only their own store's coupons,
spend-and-save offers and limited-time prices (StoreScopedAdminMixin: lists, choices and saves
are scoped; a platform row, without a store, is staff's only); staff see all and may send a
coupon to chosen users."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.catalog.models import Product, Sku
from apps.core.admin import render_action_form
from apps.core.errors import ApplicationError
from apps.promotions.models import Coupon, FlashPrice, Promotion, PromotionTier, UserCoupon
from apps.promotions.selectors import running_index_forget
from apps.promotions.services import coupons_send
from apps.stores.admin_mixins import StoreScopedAdminMixin
from apps.stores.selectors import scope_to_user_stores


class PlatformOrStoreMixin(StoreScopedAdminMixin):
    """A merchant must pick one of its stores (the platform's rows are staff's)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not self.sees_all_stores(request) and "store" in form.base_fields:
            form.base_fields["store"].required = True
            form.base_fields["store"].help_text = ""
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Product:
            kwargs["queryset"] = scope_to_user_stores(Product.objects.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SendCouponForm(forms.Form):
    recipients = forms.CharField(
        label=_("用户手机号或邮箱"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一个。"),
    )
    joined_within_days = forms.IntegerField(
        label=_("或：最近几天注册的新用户"), required=False, min_value=1, max_value=365
    )

    def clean(self):
        data = super().clean()
        if not data.get("recipients", "").strip() and not data.get("joined_within_days"):
            raise forms.ValidationError(_("请填写用户，或选择最近注册的新用户。"))
        return data

    def users(self) -> list[User]:
        wanted = [r.strip() for r in self.cleaned_data["recipients"].splitlines() if r.strip()]
        query = Q(pk__in=[])
        if wanted:
            query |= Q(phone__in=wanted) | Q(email__in=wanted)
        days = self.cleaned_data.get("joined_within_days")
        if days:
            query |= Q(date_joined__gte=timezone.now() - timedelta(days=days))
        return list(User.objects.filter(query, is_active=True).order_by("pk"))


@admin.register(Coupon)
class CouponAdmin(PlatformOrStoreMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "store",
        "kind",
        "amount",
        "percent_off",
        "threshold",
        "valid_until",
        "distribution",
        "issued_count",
        "used_count",
        "total_quantity",
        "is_active",
    ]
    list_filter = ["kind", "distribution", "is_active", "store"]
    list_select_related = ["store"]
    search_fields = ["name", "code"]
    readonly_fields = ["issued_count", "used_count"]
    autocomplete_fields = []
    filter_horizontal = ["categories", "products"]
    actions = ["send_to_users"]
    fieldsets = [
        (None, {"fields": ["store", "name", "is_active"]}),
        (
            _("优惠"),
            {"fields": ["kind", "amount", "percent_off", "cap", "threshold", "is_exclusive"]},
        ),
        (_("适用范围"), {"fields": ["scope", "categories", "products"]}),
        (
            _("发放"),
            {
                "fields": [
                    "valid_from",
                    "valid_until",
                    "distribution",
                    "code",
                    "total_quantity",
                    "per_user_limit",
                    "is_new_customer_only",
                    "issued_count",
                    "used_count",
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm("promotions.send_coupon")

    @admin.action(description=_("定向发券给用户"), permissions=["send"])
    def send_to_users(self, request, queryset):
        coupons = list(queryset)
        form = SendCouponForm(request.POST if "recipients" in request.POST else None)
        if not form.is_bound or not form.is_valid():
            return render_action_form(
                self,
                request,
                coupons,
                action="send_to_users",
                title=_("定向发券"),
                form=form,
                submit_label=_("发放"),
            )
        users = form.users()
        for coupon in coupons:
            try:
                sent, skipped = coupons_send(coupon=coupon, users=users, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            self.message_user(
                request,
                _("「%(name)s」已发放 %(sent)d 张，跳过 %(skipped)d 人。")
                % {"name": coupon.name, "sent": sent, "skipped": len(skipped)},
                messages.SUCCESS if sent else messages.WARNING,
            )
        return None


class PromotionTierInline(StoreScopedAdminMixin, admin.TabularInline):
    model = PromotionTier
    store_field = "promotion__store"
    extra = 2

    def is_in_scope(self, request, obj):
        # The tiers of a platform offer are staff's; the mixin reads the parent's store.
        if obj is not None and getattr(obj, "store_id", "x") is None:
            return self.sees_all_stores(request)
        return super().is_in_scope(request, obj)


@admin.register(Promotion)
class PromotionAdmin(PlatformOrStoreMixin, admin.ModelAdmin):
    list_display = ["name", "store", "kind", "starts_at", "ends_at", "is_exclusive", "is_active"]
    list_filter = ["kind", "is_active", "store"]
    list_select_related = ["store"]
    search_fields = ["name"]
    inlines = [PromotionTierInline]
    fieldsets = [
        (None, {"fields": ["store", "name", "kind", "starts_at", "ends_at"]}),
        (_("规则"), {"fields": ["is_exclusive", "is_active"]}),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        running_index_forget()


@admin.register(FlashPrice)
class FlashPriceAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_field = "sku__product__store"
    list_display = [
        "sku",
        "price",
        "starts_at",
        "ends_at",
        "promo_stock",
        "sold",
        "per_user_limit",
        "is_active",
    ]
    list_filter = ["is_active"]
    list_select_related = ["sku__product"]
    readonly_fields = ["sold"]
    fields = [
        "sku",
        "price",
        "starts_at",
        "ends_at",
        "promo_stock",
        "sold",
        "per_user_limit",
        "is_new_customer_only",
        "is_active",
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        running_index_forget()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Sku:
            kwargs["queryset"] = scope_to_user_stores(
                Sku.objects.select_related("product"), request.user, store_field="product__store"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(UserCoupon)
class UserCouponAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    """Who holds and used which coupon (read-only; a merchant sees its store's coupons')."""

    store_field = "coupon__store"
    list_display = ["coupon", "user", "status", "source", "used_reference", "discount_amount"]
    list_filter = ["status", "source"]
    list_select_related = ["coupon", "user"]
    search_fields = ["used_reference", "coupon__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
