"""Back office for parcels and carriers.

Merchants see only their stores' parcels (StoreScopedAdminMixin) and ship their paid orders
from the 发货 page (admin:logistics_shipment_ship, linked from the order page by URL name);
the page is a form that calls services.shipments.shipment_create. Carriers are staff-only.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.logistics.models import (
    Carrier,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    TemperatureReading,
    TrackingEvent,
)
from apps.logistics.selectors import carrier_list, lots_for_shipping, order_lines_to_ship
from apps.logistics.services.shipments import shipment_create
from apps.orders.models import Order
from apps.stores.admin_mixins import ScopedHistoryInline, StoreScopedAdminMixin
from apps.stores.selectors import scope_to_user_stores

# --- Shipments -----------------------------------------------------------------------------


class _ShipmentInline(ScopedHistoryInline):
    store_field = "shipment__store"
    parent_permission = "logistics.view_shipment"


class ShipmentLineInline(_ShipmentInline):
    model = ShipmentLine
    fields = ["order_line", "quantity", "lot"]
    readonly_fields = fields
    verbose_name_plural = _("包裹商品")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line", "lot")


class ShipmentEventInline(_ShipmentInline):
    model = ShipmentEvent
    fields = ["created_at", "kind", "from_label", "to_label", "actor", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("包裹记录")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class TrackingEventInline(_ShipmentInline):
    model = TrackingEvent
    fields = ["occurred_at", "status", "location", "text", "source"]
    readonly_fields = fields
    verbose_name_plural = _("物流轨迹（最新在前）")

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-occurred_at", "-id")


class TemperatureReadingInline(_ShipmentInline):
    model = TemperatureReading
    fields = ["measured_at", "celsius", "is_out_of_range", "source"]
    readonly_fields = fields
    verbose_name_plural = _("温度记录")


def _lot_label(lot) -> str:
    if lot.expiry_date is None:
        return lot.lot_number
    return _("%(lot)s（%(date)s 到期）") % {
        "lot": lot.lot_number,
        "date": f"{lot.expiry_date:%Y-%m-%d}",
    }


class ShipForm(forms.Form):
    """Carrier, number, and per line still to ship: a quantity and (if the SKU has lots) a lot."""

    carrier = forms.ModelChoiceField(
        label=_("承运商"), queryset=Carrier.objects.none(), to_field_name="code"
    )
    tracking_number = forms.CharField(
        label=_("运单号"),
        max_length=40,
        required=False,
        help_text=_("平台县域配送可留空，系统自动生成单号。"),
    )

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].queryset = carrier_list()
        self.to_ship = order_lines_to_ship(order)
        lots = lots_for_shipping(
            order=order, sku_ids=[line.sku_id for line, _left in self.to_ship if line.sku_id]
        )
        self.line_fields = []
        for line, left in self.to_ship:
            quantity_name = f"quantity_{line.pk}"
            self.fields[quantity_name] = forms.IntegerField(
                label=f"{line.title} {line.spec}",
                min_value=0,
                max_value=left,
                initial=left,
                help_text=_("待发 %(left)s 件，填 0 表示本包裹不发") % {"left": left},
            )
            lot_name = None
            choices = lots.get(line.sku_id, [])
            if choices:
                lot_name = f"lot_{line.pk}"
                default = next((lot for lot in choices if lot.pk == line.lot_id), choices[0])
                self.fields[lot_name] = forms.TypedChoiceField(
                    label=_("批次"),
                    coerce=int,
                    choices=[(lot.pk, _lot_label(lot)) for lot in choices],
                    initial=default.pk,
                )
            self.line_fields.append((line, left, quantity_name, lot_name))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        lines = {
            line.pk: data[quantity_name]
            for line, _left, quantity_name, _lot in self.line_fields
            if data.get(quantity_name)
        }
        lots = {
            line.pk: data[lot_name]
            for line, _left, _quantity, lot_name in self.line_fields
            if lot_name and line.pk in lines and data.get(lot_name)
        }
        return {
            "carrier_code": data["carrier"].code,
            "tracking_number": data.get("tracking_number", ""),
            "lines": lines,
            "lots": lots,
        }

    def add_service_error(self, exc: ApplicationError) -> None:
        placed = False
        for name, message in exc.fields.items():
            if isinstance(message, dict):
                # {"lines": {line id: message}} → that line's quantity field.
                for line_id, line_message in message.items():
                    target = f"quantity_{line_id}"
                    self.add_error(target if target in self.fields else None, line_message)
                    placed = True
            elif name in self.fields:
                self.add_error(name, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


@admin.register(Shipment)
class ShipmentAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "tracking_number",
        "carrier",
        "order",
        "store",
        "status",
        "has_exception",
        "has_temperature_alert",
        "is_overdue",
        "overdue_reason",
        "created_at",
    ]
    list_filter = [
        "status",
        "carrier",
        "store",
        "has_exception",
        "has_temperature_alert",
        "is_overdue",
        "overdue_reason",
        "created_at",
    ]
    search_fields = ["tracking_number", "order__number"]
    list_select_related = ["carrier", "order", "store"]
    date_hierarchy = "created_at"
    inlines = [
        ShipmentLineInline,
        TrackingEventInline,
        TemperatureReadingInline,
        ShipmentEventInline,
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "order",
                    "store",
                    "carrier",
                    "tracking_number",
                    "status",
                    "delivery_method",
                    "pickup_point",
                    "is_cold_chain",
                    "created_by",
                ]
            },
        ),
        (
            _("提醒"),
            {
                "fields": [
                    "has_exception",
                    "exception_note",
                    "has_temperature_alert",
                    "is_overdue",
                    "overdue_reason",
                ]
            },
        ),
        (
            _("时间"),
            {
                "fields": [
                    "created_at",
                    "collected_at",
                    "arrived_at_point_at",
                    "delivered_at",
                    "last_event_at",
                ]
            },
        ),
    ]
    readonly_fields = [f for _name, opts in fieldsets for f in opts["fields"]]

    def has_add_permission(self, request):
        # Parcels are made on the 发货 page of an order, never from an empty form.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view(self.ship_view)
        return [
            path("ship/<int:order_id>/", view, name="logistics_shipment_ship"),
            *super().get_urls(),
        ]

    def ship_view(self, request: HttpRequest, order_id: int):
        if not request.user.has_perm("logistics.add_shipment"):
            raise PermissionDenied
        # Another store's order is "not found", exactly like an id that does not exist.
        order = (
            scope_to_user_stores(Order.objects.select_related("store"), request.user)
            .filter(pk=order_id)
            .first()
        )
        if order is None:
            raise Http404
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        form = ShipForm(request.POST or None, order=order)
        if request.method == "POST" and form.is_valid():
            try:
                shipment = shipment_create(order=order, actor=request.user, **form.service_kwargs())
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                self.message_user(
                    request,
                    _("订单 %(order)s 已发货：%(carrier)s %(number)s。")
                    % {
                        "order": order.number,
                        "carrier": shipment.carrier.name,
                        "number": shipment.tracking_number,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("发货：订单 %s") % order.number,
            "opts": self.opts,
            "order": order,
            "form": form,
            "can_ship": order.status == Order.Status.PAID and bool(form.to_ship),
            "change_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/logistics/shipment/ship.html", context)


# --- Carriers ------------------------------------------------------------------------------


class CarrierForm(forms.ModelForm):
    class Meta:
        model = Carrier
        fields = [
            "code",
            "name",
            "tracking_pattern",
            "is_cold_chain",
            "is_own_fleet",
            "kuaidi100_code",
            "is_active",
            "sort_order",
        ]

    def clean_tracking_pattern(self) -> str:
        pattern = self.cleaned_data["tracking_pattern"].strip()
        try:
            re.compile(pattern)
        except re.error as exc:
            raise forms.ValidationError(_("正则表达式无效：%s") % exc) from None
        return pattern


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    """Platform staff only (merchants have no carrier permission)."""

    form = CarrierForm
    list_display = [
        "name",
        "code",
        "tracking_pattern",
        "is_cold_chain",
        "is_own_fleet",
        "is_active",
        "sort_order",
    ]
    list_filter = ["is_active", "is_cold_chain", "is_own_fleet"]
    list_editable = ["is_active", "sort_order"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        # Shipments point at carriers; switch one off instead.
        return False


# Tracking's back office (push sources, CSV imports, manual scans) lives in its own module.
from apps.logistics import admin_tracking  # noqa: E402, F401
