"""Back office for delivery methods (imported by apps.orders.admin).

Merchants manage their own store's options, county zones and time slots (StoreScopedAdminMixin:
queryset, object pages and store choices go through stores.selectors); platform staff manage
the community pickup points and who their clerks are.
"""

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.orders.forms import RegionCodesField
from apps.orders.models import DeliveryOption, DeliverySlot, DeliveryZone, Division, PickupPoint
from apps.stores.admin_mixins import StoreScopedAdminMixin


def _division_names(codes) -> dict[str, str]:
    return dict(Division.objects.filter(code__in=list(codes)).values_list("code", "name"))


class DeliveryZoneForm(forms.ModelForm):
    region_codes = RegionCodesField(
        min_level=Division.Level.COUNTY,
        label=_("地区代码"),
        help_text=_("区县 6 位（如 370783）或乡镇 9 位（如 370783001），逗号分隔"),
    )

    class Meta:
        model = DeliveryZone
        fields = ["store", "name", "region_codes", "fee", "is_active"]


class DeliverySlotForm(forms.ModelForm):
    class Meta:
        model = DeliverySlot
        fields = ["store", "start_time", "end_time", "cutoff_time", "is_active"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and start >= end:
            self.add_error("end_time", _("结束时间须晚于开始时间。"))
        return data


@admin.register(DeliveryOption)
class DeliveryOptionAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "method", "is_enabled", "is_cold_chain", "fee", "free_threshold"]
    list_filter = ["method", "is_enabled", "is_cold_chain", "store"]
    list_select_related = ["store"]
    fieldsets = [
        (None, {"fields": ["store", "method", "is_enabled", "is_cold_chain", "note"]}),
        (
            _("配送费（快递按运费模板计算；县域配送按区域计算）"),
            {"fields": ["fee", "free_threshold"]},
        ),
    ]


@admin.register(DeliveryZone)
class DeliveryZoneAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    form = DeliveryZoneForm
    list_display = ["name", "store", "region_names", "fee", "is_active"]
    list_filter = ["is_active", "store"]
    list_select_related = ["store"]
    fieldsets = [(None, {"fields": ["store", "name", "region_codes", "fee", "is_active"]})]

    def get_changelist_instance(self, request):
        # The page's division names in one query, not one per row (region_names reads them).
        changelist = super().get_changelist_instance(request)
        zones = list(changelist.result_list)
        names = _division_names({code for zone in zones for code in zone.region_codes or []})
        for zone in zones:
            zone.division_names = names
        return changelist

    @admin.display(description=_("地区"))
    def region_names(self, zone: DeliveryZone) -> str:
        codes = zone.region_codes or []
        names = getattr(zone, "division_names", None)
        if names is None:
            names = _division_names(codes)
        return "、".join(names.get(code, code) for code in codes)


@admin.register(DeliverySlot)
class DeliverySlotAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    form = DeliverySlotForm
    list_display = ["__str__", "store", "cutoff_time", "is_active"]
    list_filter = ["is_active", "store"]
    list_select_related = ["store"]
    fieldsets = [
        (None, {"fields": ["store", "start_time", "end_time", "cutoff_time", "is_active"]})
    ]


@admin.register(PickupPoint)
class PickupPointAdmin(admin.ModelAdmin):
    """Platform staff only (merchants have no permission on pickup points)."""

    list_display = [
        "name",
        "shop_name",
        "address",
        "opening_hours",
        "contact_phone",
        "has_cold_storage",
        "is_active",
    ]
    list_filter = ["is_active", "has_cold_storage", "county_code"]
    search_fields = ["name", "shop_name", "address", "contact_phone"]
    filter_horizontal = ["clerks"]
    fieldsets = [
        (None, {"fields": ["name", "shop_name", "is_active", "has_cold_storage"]}),
        (_("位置"), {"fields": ["county_code", "township_code", "address", "opening_hours"]}),
        (_("联系与店员"), {"fields": ["contact_name", "contact_phone", "clerks"]}),
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "clerks":
            kwargs["queryset"] = User.objects.filter(is_active=True).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def order_delivery_html(order) -> str:
    """The order page's delivery line: method, county date and slot, or the pickup point."""
    parts = [format_html("{}", order.get_delivery_method_display())]
    if order.is_cold_chain:
        parts.append(format_html("（{}）", _("冷链")))
    if order.delivery_date:
        parts.append(format_html("<br>{} {}", order.delivery_date, order.delivery_slot))
    point = order.pickup_point
    if point is not None:
        parts.append(
            format_html(
                "<br>{}（{}）<br>{}<br>{} {}<br>{} {} {}",
                point.name,
                point.shop_name,
                point.address,
                _("营业时间"),
                point.opening_hours,
                _("联系人"),
                point.contact_name,
                point.contact_phone,
            )
        )
    return format_html_join("", "{}", ((part,) for part in parts))
