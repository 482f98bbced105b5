"""Analytics back office: markets, commodities and their aliases, quote imports (CSV upload),
the quotes themselves and the aggregation runs. Derived tables are read-only: the jobs write
them."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from apps.analytics.forms import PriceImportForm
from apps.analytics.models import (
    AlertThreshold,
    Commodity,
    CommodityAlias,
    JobRun,
    Market,
    PriceAlert,
    PriceImport,
    PriceObservation,
)
from apps.analytics.services.imports import market_prices_import
from apps.core.errors import ApplicationError


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ["name", "province", "county", "is_synthetic"]
    list_filter = ["province", "is_synthetic"]
    search_fields = ["name", "county"]


class CommodityAliasInline(admin.TabularInline):
    model = CommodityAlias
    extra = 1


@admin.register(Commodity)
class CommodityAdmin(admin.ModelAdmin):
    list_display = ["name", "category_l1", "category_l2", "category_l3", "unit", "is_synthetic"]
    list_filter = ["category_l1", "is_synthetic"]
    search_fields = ["name", "aliases__alias"]
    autocomplete_fields = ["catalog_category"]
    inlines = [CommodityAliasInline]


@admin.register(PriceObservation)
class PriceObservationAdmin(ReadOnlyAdmin):
    list_display = [
        "date",
        "market",
        "commodity",
        "spec",
        "origin",
        "low_price",
        "avg_price",
        "high_price",
        "volume_kg",
        "source_unit",
        "is_synthetic",
    ]
    list_filter = ["is_synthetic", "market__province", "commodity__category_l1"]
    search_fields = ["commodity__name", "market__name", "origin"]
    date_hierarchy = "date"
    list_select_related = ["market", "commodity"]
    show_full_result_count = False


@admin.register(PriceImport)
class PriceImportAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "file_name",
        "actor",
        "rows_total",
        "rows_added",
        "rows_duplicate",
        "rows_rejected",
    ]
    fields = [
        "file_name",
        "actor",
        "encoding",
        "created_at",
        "rows_total",
        "rows_added",
        "rows_duplicate",
    ]
    readonly_fields = fields
    list_select_related = ["actor"]
    change_form_template = "admin/analytics/priceimport/change_form.html"
    change_list_template = "admin/analytics/priceimport/change_list.html"

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="analytics_priceimport_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest):
        if not request.user.has_perm("analytics.add_priceimport"):
            raise PermissionDenied
        form = PriceImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                record = market_prices_import(
                    content=upload.read(), file_name=upload.name, actor=request.user
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                level = messages.WARNING if record.errors else messages.SUCCESS
                self.message_user(
                    request,
                    _("共 %(total)s 行：新增 %(added)s，已存在 %(dup)s，错误 %(bad)s。")
                    % {
                        "total": record.rows_total,
                        "added": record.rows_added,
                        "dup": record.rows_duplicate,
                        "bad": record.rows_rejected,
                    },
                    level,
                )
                return HttpResponseRedirect(
                    reverse("admin:analytics_priceimport_change", args=[record.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("上传行情 CSV"),
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/analytics/priceimport/upload.html", context)


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = [
        "job",
        "status",
        "is_full",
        "date_from",
        "rows",
        "started_at",
        "finished_at",
        "error",
    ]
    list_filter = ["job", "status", "is_full"]


@admin.register(AlertThreshold)
class AlertThresholdAdmin(admin.ModelAdmin):
    list_display = ["match", "yellow_pct", "red_pct"]


@admin.register(PriceAlert)
class PriceAlertAdmin(ReadOnlyAdmin):
    list_display = ["date", "commodity", "scope", "area", "kind", "level", "value", "price"]
    list_filter = ["kind", "level", "scope", "commodity__category_l1"]
    search_fields = ["commodity__name", "area"]
    date_hierarchy = "date"
    list_select_related = ["commodity"]
