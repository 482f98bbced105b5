"""Back office for tracking: push sources (platform staff only), CSV imports of scans and
temperature readings, and the manual scan form (merchants: their own stores' shipments).

The import pages are plain staff pages in the admin's look (like traceability's printouts),
linked from the shipment admin; every shipment they touch is found through
stores.selectors, so a merchant's row for another store's parcel is reported "包裹不存在".
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.logistics.models import TrackingEvent, TrackingFeed
from apps.logistics.selectors import shipment_get_for_user
from apps.logistics.services.imports import temperature_csv_import, tracking_csv_import
from apps.logistics.services.tracking import tracking_event_record
from apps.stores.selectors import user_can_manage_all_stores, user_is_merchant

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@admin.register(TrackingFeed)
class TrackingFeedAdmin(admin.ModelAdmin):
    """Push sources and their secrets. Plain model permissions: roles.py grants them to
    operations staff only, so finance (who also sees every store) and merchants never see them."""

    list_display = ["code", "name", "adapter", "is_active", "webhook_path"]
    list_filter = ["adapter", "is_active"]
    search_fields = ["code", "name"]

    @admin.display(description=_("推送地址"))
    def webhook_path(self, feed: TrackingFeed) -> str:
        return reverse("api-logistics-webhook", args=[feed.code])


# --- Pages -----------------------------------------------------------------------------------


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV 文件"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件不能超过 5 MB。"))
        return upload


class ManualEventForm(forms.Form):
    occurred_at = forms.DateTimeField(label=_("时间"), help_text=_("北京时间，如 2025-06-01 08:30"))
    status = forms.ChoiceField(label=_("状态"), choices=TrackingEvent.Status.choices)
    location = forms.CharField(label=_("地点"), max_length=100, required=False)
    text = forms.CharField(label=_("描述"), max_length=300, required=False)


def _require_back_office(request: HttpRequest) -> None:
    if not (user_is_merchant(request.user) or user_can_manage_all_stores(request.user)):
        raise PermissionDenied


def _page(request: HttpRequest, template: str, context: dict) -> TemplateResponse:
    return TemplateResponse(request, template, {**admin.site.each_context(request), **context})


def _csv_import_page(request: HttpRequest, *, title: str, columns: str, run) -> HttpResponse:
    _require_back_office(request)
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = run(form.cleaned_data["file"].read())
        except ApplicationError as exc:
            form.add_error("file", exc.message)
    return _page(
        request,
        "admin/logistics/csv_import.html",
        {"title": title, "columns": columns, "form": form, "report": report},
    )


@staff_member_required
def tracking_import_view(request: HttpRequest) -> HttpResponse:
    return _csv_import_page(
        request,
        title=_("导入物流轨迹（CSV）"),
        columns="carrier,tracking_number,time,status,location,text",
        run=lambda data: tracking_csv_import(data=data, user=request.user),
    )


@staff_member_required
def temperature_import_view(request: HttpRequest) -> HttpResponse:
    return _csv_import_page(
        request,
        title=_("导入冷链温度记录（CSV）"),
        columns="tracking_number,time,celsius[,carrier]",
        run=lambda data: temperature_csv_import(data=data, user=request.user),
    )


@staff_member_required
def tracking_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_back_office(request)
    shipment = shipment_get_for_user(user=request.user, pk=pk)
    if shipment is None:
        raise Http404
    form = ManualEventForm(request.POST or None, initial={"occurred_at": timezone.localtime()})
    if request.method == "POST" and form.is_valid():
        try:
            _event, created = tracking_event_record(
                shipment=shipment,
                source=TrackingEvent.Source.MANUAL,
                actor=request.user,
                **form.cleaned_data,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            text = _("已添加轨迹。") if created else _("这条轨迹已存在，未重复添加。")
            messages.success(request, text)
            return HttpResponseRedirect(request.path)
    return _page(
        request,
        "admin/logistics/tracking_add.html",
        {
            "title": _("录入物流轨迹：%s") % shipment,
            "shipment": shipment,
            "form": form,
            # shipment_get_for_user prefetched the scans oldest first; the page lists newest first.
            "events": list(reversed(shipment.tracking.all())),
        },
    )
