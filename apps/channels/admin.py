"""Back office of channels: channels (staff), listings and channel orders (merchants see their
own store's only, StoreScopedAdminMixin), the CSV upload of a channel's orders and the sales
by channel."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.catalog.models import Sku
from apps.channels.models import Channel, ChannelListing, ChannelOrder
from apps.channels.selectors import channel_list, channel_sales_report
from apps.channels.services import (
    CSV_COLUMNS,
    channel_orders_import_csv,
    listing_save,
    listing_validate,
)
from apps.core.errors import ApplicationError
from apps.stores.admin_mixins import StoreScopedAdminMixin
from apps.stores.selectors import scope_to_user_stores, stores_for_user


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]
    fields = ["code", "name", "kind", "is_active", "sort_order"]


class ChannelListingForm(forms.ModelForm):
    """Checked by services.listing_validate (the API's rules); the admin sets `store_implied`
    when the merchant's only store hides the store field."""

    store_implied = None

    class Meta:
        model = ChannelListing
        fields = ["store", "channel", "sku", "channel_item_id", "channel_price", "is_active"]

    def clean(self):
        cleaned = super().clean()
        store = cleaned.get("store") or self.store_implied
        if self.errors or store is None:
            return cleaned
        try:
            listing_validate(
                store=store,
                channel=cleaned["channel"],
                sku_id=cleaned["sku"].pk,
                channel_item_id=cleaned["channel_item_id"],
                channel_price=cleaned["channel_price"],
                listing=self.instance,
            )
        except ApplicationError as exc:
            for name, problems in exc.fields.items():
                self.add_error(name if name in self.fields else None, problems)
            if not exc.fields:
                self.add_error(None, exc.message)
        return cleaned


@admin.register(ChannelListing)
class ChannelListingAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    form = ChannelListingForm
    list_display = [
        "sku_title",
        "channel",
        "channel_item_id",
        "channel_price",
        "is_active",
        "store",
    ]
    list_filter = ["channel", "is_active", "store"]
    list_select_related = ["channel", "store", "sku__product"]
    search_fields = ["channel_item_id", "sku__product__title", "sku__barcode"]
    raw_id_fields = ["sku"]

    @admin.display(description=_("商品规格"), ordering="sku__product__title")
    def sku_title(self, obj: ChannelListing) -> str:
        return f"{obj.sku.product.title} {obj.sku.spec}"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.store_implied = self.sole_store(request)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sku":
            kwargs["queryset"] = scope_to_user_stores(
                Sku.objects.select_related("product"), request.user, store_field="product__store"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        self.prepare_for_save(request, obj)
        data = form.cleaned_data
        listing_save(
            store=obj.store,
            channel=data["channel"],
            sku_id=data["sku"].pk,
            channel_item_id=data["channel_item_id"],
            channel_price=data["channel_price"],
            is_active=data["is_active"],
            listing=obj,
        )


class ChannelFilter(admin.SimpleListFilter):
    title = _("渠道")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return [(c.code, c.name) for c in channel_list(active_only=False)]

    def queryset(self, request, queryset):
        return queryset.filter(channel__code=self.value()) if self.value() else queryset


class ChannelOrderImportForm(forms.Form):
    store = forms.ModelChoiceField(label=_("店铺"), queryset=None)
    channel = forms.ModelChoiceField(label=_("渠道"), queryset=None)
    file = forms.FileField(label=_("渠道订单 CSV"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for_user(user)
        self.fields["channel"].queryset = channel_list()


@admin.register(ChannelOrder)
class ChannelOrderAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "channel_order_number",
        "channel",
        "order_link",
        "order_status",
        "total_amount",
        "source",
        "store",
        "created_at",
    ]
    list_filter = [ChannelFilter, "order__status", "source", "store"]
    list_select_related = ["channel", "store", "order"]
    search_fields = ["channel_order_number", "order__number"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "store",
        "channel",
        "channel_order_number",
        "order",
        "source",
        "created_by",
        "created_at",
    ]
    fields = readonly_fields
    change_list_template = "admin/channels/channelorder/change_list.html"

    @admin.display(description=_("平台订单"), ordering="order__number")
    def order_link(self, obj: ChannelOrder) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[obj.order_id]),
            obj.order.number,
        )

    @admin.display(description=_("订单状态"), ordering="order__status")
    def order_status(self, obj: ChannelOrder) -> str:
        return obj.order.get_status_display()

    @admin.display(description=_("实付金额"))
    def total_amount(self, obj: ChannelOrder):
        return obj.order.total_amount

    def has_add_permission(self, request):
        return False  # orders come in through the API or the CSV upload

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="channels_channelorder_import",
            ),
            path(
                "report/",
                self.admin_site.admin_view(self.report_view),
                name="channels_channelorder_report",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest):
        if not request.user.has_perm("channels.add_channelorder"):
            raise PermissionDenied
        form = ChannelOrderImportForm(
            request.POST or None, request.FILES or None, user=request.user
        )
        outcomes = None
        if request.method == "POST" and form.is_valid():
            try:
                outcomes = channel_orders_import_csv(
                    actor=request.user,
                    store=form.cleaned_data["store"],
                    channel=form.cleaned_data["channel"],
                    raw=form.cleaned_data["file"].read(),
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                placed = sum(1 for o in outcomes if o.channel_order and o.is_new)
                self.message_user(
                    request,
                    _("新接入 %(n)d 单，重复 %(d)d 单，失败 %(e)d 单。")
                    % {
                        "n": placed,
                        "d": sum(1 for o in outcomes if o.channel_order and not o.is_new),
                        "e": sum(1 for o in outcomes if o.error),
                    },
                    messages.SUCCESS if all(not o.error for o in outcomes) else messages.WARNING,
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入渠道订单"),
            "opts": self.opts,
            "form": form,
            "outcomes": outcomes,
            "columns": ",".join(CSV_COLUMNS),
        }
        return TemplateResponse(request, "admin/channels/channelorder/import.html", context)

    def report_view(self, request: HttpRequest):
        if not request.user.has_perm("channels.view_channelorder"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("渠道销售统计"),
            "opts": self.opts,
            "rows": channel_sales_report(user=request.user),
        }
        return TemplateResponse(request, "admin/channels/channelorder/report.html", context)
