"""Back office for orders and freight templates.

Merchants see only their stores' orders and templates (StoreScopedAdminMixin → stores.selectors);
platform staff see all. Orders are read-only here; shipping is the logistics app's 发货 page,
linked by URL name only (orders must not import logistics).
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.orders.admin_delivery import order_delivery_html
from apps.orders.admin_recall import recall_buyers_view
from apps.orders.forms import RegionCodesField
from apps.orders.models import (
    Division,
    Order,
    OrderEvent,
    OrderLine,
    PaymentOrder,
    ShippingRule,
    ShippingTemplate,
)
from apps.orders.promotion_report import promotion_report_view
from apps.orders.selectors import orders_ship_late
from apps.orders.services.shipping import shipping_template_save
from apps.stores.admin_mixins import ScopedHistoryInline, StoreScopedAdminMixin

# --- Orders -------------------------------------------------------------------------------


class _ReadOnlyInline(ScopedHistoryInline):
    store_field = "order__store"
    parent_permission = "orders.view_order"


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = [
        "title",
        "spec",
        "unit_price",
        "quantity",
        "paid_amount",
        "refunded_quantity",
        "refunded_amount",
        "shipped_quantity",
        "lot",
    ]
    readonly_fields = fields
    verbose_name_plural = _("订单商品")


class OrderEventInline(_ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "from_label", "to_label", "actor_name", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("订单记录")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("原状态"))
    def from_label(self, event: OrderEvent) -> str:
        return Order.Status(event.from_status).label if event.from_status else "—"

    @admin.display(description=_("新状态"))
    def to_label(self, event: OrderEvent) -> str:
        return Order.Status(event.to_status).label if event.to_status else "—"

    @admin.display(description=_("操作人"))
    def actor_name(self, event: OrderEvent) -> str:
        return str(event.actor) if event.actor_id else _("系统")


class ShipLateFilter(admin.SimpleListFilter):
    """Paid orders nothing has been shipped for within LOGISTICS_COLLECT_DEADLINE_HOURS."""

    title = _("发货时效")
    parameter_name = "ship_late"

    def lookups(self, request, model_admin):
        hours = settings.LOGISTICS_COLLECT_DEADLINE_HOURS
        return [("yes", _("付款超过 %(h)d 小时未发货") % {"h": hours})]

    def queryset(self, request, queryset):
        return orders_ship_late(queryset) if self.value() == "yes" else queryset


@admin.register(Order)
class OrderAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "store",
        "buyer",
        "status",
        "total_amount",
        "is_wholesale",
        "created_at",
        "ship_link",
    ]
    list_filter = ["status", ShipLateFilter, "is_wholesale", "created_at", "store"]
    # A lot number finds the orders filled from that lot (a recall's buyers).
    search_fields = ["number", "tracking_number", "lines__lot__lot_number"]
    list_select_related = ["store", "buyer"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]
    fieldsets = [
        (None, {"fields": ["number", "store", "buyer", "status", "payment_order_number"]}),
        (
            _("金额"),
            {
                "fields": [
                    "goods_amount",
                    "freight_amount",
                    "discount_amount",
                    "total_amount",
                    "refunded_amount",
                    "commission_rate",
                ]
            },
        ),
        (
            _("收货"),
            {
                "fields": [
                    "address_text",
                    "delivery_text",
                    "buyer_note",
                    "carrier_name",
                    "tracking_number",
                ]
            },
        ),
        (
            _("时间"),
            {
                "fields": [
                    "created_at",
                    "paid_at",
                    "shipped_at",
                    "delivered_at",
                    "completed_at",
                    "cancelled_at",
                ]
            },
        ),
    ]
    readonly_fields = [f for _name, opts in fieldsets for f in opts["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_ship_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return request.user.has_perm("logistics.add_shipment") and self.has_view_permission(
            request, obj
        )

    @admin.display(description=_("支付单号"))
    def payment_order_number(self, order: Order) -> str:
        return order.payment_order.number

    @admin.display(description=_("收货地址"))
    def address_text(self, order: Order) -> str:
        address = order.address or {}
        return f"{address.get('contact_name', '')} {address.get('contact_phone', '')} " + (
            address.get("full_text", "")
        )

    @admin.display(description=_("配送方式"))
    def delivery_text(self, order: Order) -> str:
        return order_delivery_html(order)

    @admin.display(description=_("操作"))
    def ship_link(self, order: Order) -> str:
        if order.status != Order.Status.PAID:
            return ""
        # The logistics app's 发货 page (by URL name: orders does not import logistics).
        url = reverse("admin:logistics_shipment_ship", args=[order.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("发货"))

    def get_urls(self):
        # The recall buyers page (admin_recall); the Lot admin links to it by this name.
        return [
            path(
                "recall-buyers/<int:lot_id>/",
                self.admin_site.admin_view(recall_buyers_view),
                name="orders_recall_buyers",
            ),
            path(
                "promotion-report/",
                self.admin_site.admin_view(promotion_report_view),
                name="orders_promotion_report",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_ship"] = bool(
            obj and obj.status == Order.Status.PAID and self.has_ship_permission(request, obj)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(PaymentOrder)
class PaymentOrderAdmin(admin.ModelAdmin):
    """Platform staff only (a payment order spans stores; merchants have no permission)."""

    list_display = ["number", "buyer", "amount", "status", "method", "created_at", "paid_at"]
    list_filter = ["status", "method", "created_at"]
    search_fields = ["number"]
    list_select_related = ["buyer"]
    readonly_fields = [
        "number",
        "buyer",
        "amount",
        "status",
        "method",
        "idempotency_key",
        "expires_at",
        "paid_at",
        "cancelled_at",
        "created_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Freight templates --------------------------------------------------------------------


class ShippingRuleForm(forms.ModelForm):
    region_codes = RegionCodesField(
        label=_("地区代码"),
        help_text=_("省 2 位（如 65）、市 4 位（如 2301）或区县 6 位（如 230184），逗号分隔"),
    )

    class Meta:
        model = ShippingRule
        fields = [
            "region_codes",
            "is_excluded",
            "first_unit",
            "first_fee",
            "extra_unit",
            "extra_fee",
        ]


class ShippingRuleInline(StoreScopedAdminMixin, admin.TabularInline):
    model = ShippingRule
    form = ShippingRuleForm
    store_field = "template__store"
    extra = 1
    readonly_fields = ["region_names"]

    @admin.display(description=_("地区"))
    def region_names(self, rule: ShippingRule) -> str:
        names = dict(
            Division.objects.filter(code__in=rule.region_codes).values_list("code", "name")
        )
        return "、".join(names.get(code, code) for code in rule.region_codes)


@admin.register(ShippingTemplate)
class ShippingTemplateAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "store", "basis", "free_threshold", "is_default", "updated_at"]
    list_filter = ["basis", "store"]
    list_select_related = ["store"]
    inlines = [ShippingRuleInline]
    fieldsets = [
        (None, {"fields": ["store", "name", "basis", "is_default"]}),
        (
            _("默认运费（未单独设置的地区）"),
            {"fields": ["first_unit", "first_fee", "extra_unit", "extra_fee", "free_threshold"]},
        ),
    ]

    def save_model(self, request, obj, form, change):
        self.prepare_for_save(request, obj)
        shipping_template_save(template=obj)


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    """Look up official codes (for freight rules); the data itself comes from the package."""

    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["code", "name", "level", "parent"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
