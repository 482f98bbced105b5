"""Traceability back office: merchants keep their own store's records; staff see every store.

Every admin here is store-scoped (StoreScopedAdminMixin: querysets, object pages, foreign-key
choices, filters). Writes go through apps.traceability.services: the add/change forms call
the service from `clean()` (the admin's add/change view runs in one transaction), so a
refusal is shown on the form with its reason. Farm records, tests, certificates and events
are added, never changed; corrections are new records.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.forms.models import construct_instance
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.catalog.models import Sku
from apps.core.admin import render_action_form, run_each
from apps.core.errors import ApplicationError
from apps.stores.admin_mixins import StoreScopedAdminMixin
from apps.stores.forms import CountyCodeField, add_application_error
from apps.stores.selectors import stores_for_user, user_can_manage_all_stores
from apps.stores.widgets import CountyPickerWidget
from apps.traceability.chain import chain_verify
from apps.traceability.models import (
    Certificate,
    ChainAnchor,
    InputApplication,
    Inspection,
    InspectionItem,
    Location,
    Lot,
    LotStatusChange,
    Party,
    TraceCode,
    TraceCodeBatch,
    TraceEvent,
    TraceEventLot,
)
from apps.traceability.selectors import lot_primary_code, lots_near_expiry, trace_url
from apps.traceability.services.certificates import certificate_issue
from apps.traceability.services.codes import trace_codes_generate
from apps.traceability.services.events import (
    MERCHANT_STEPS,
    EventLotInput,
    trace_event_correct,
    trace_event_record,
)
from apps.traceability.services.inspections import ItemInput, inspection_record
from apps.traceability.services.lots import (
    lot_create,
    lot_hold,
    lot_recall,
    lot_release,
    lot_update,
)
from apps.traceability.services.records import input_application_record, location_save, party_save

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]
ITEM_ROWS = 6


# --- Shared plumbing ---------------------------------------------------------------------------


class ServiceForm(forms.ModelForm):
    """A ModelForm whose clean() hands the data to a service; refusals become form errors.

    `request` and `model_admin` are bound by ServiceFormAdmin.get_form.
    """

    request: HttpRequest
    model_admin: "ServiceFormAdmin"

    def call_service(self, cleaned: dict):
        raise NotImplementedError

    @property
    def actor(self):
        return self.request.user

    def store(self, cleaned: dict):
        """The chosen store, or the merchant's only store (the field is then hidden)."""
        store = cleaned.get("store") or self.model_admin.sole_store(self.request)
        if store is None:
            self.add_error("store" if "store" in self.fields else None, _("请选择店铺。"))
        return store

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            result = self.call_service(cleaned)
        except ApplicationError as exc:
            add_application_error(self, exc)
        else:
            if result is not None:
                self.instance = result
                self._service_done = True
        return cleaned

    def _post_clean(self):
        # The service validated and saved the object; re-validating the saved row is moot.
        if not getattr(self, "_service_done", False):
            super()._post_clean()

    def built_instance(self):
        return construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class ServiceFormAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"request": request, "model_admin": self})

    def save_model(self, request, obj, form, change):
        # Saved by the service in form.clean(); see ServiceForm.
        if obj.pk is None:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields were set by the service too.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class AddOnlyAdmin(ServiceFormAdmin):
    """Records that are added and then only read (farm records, tests, certificates, events)."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _describe(obj) -> str:
    """How a lot or record is listed on an action's page: with its product and status."""
    label = str(obj)
    if product := getattr(obj, "product", None):
        label += f" · {product}"
    get_status_display = getattr(obj, "get_status_display", None)
    if status := get_status_display() if get_status_display else None:
        label += f" · {status}"
    return label


def _link(url: str, label: str) -> str:
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, label)


# --- 追溯主体 / 地点 ------------------------------------------------------------------------------


class PartyForm(ServiceForm):
    class Meta:
        model = Party
        fields = [
            "store",
            "kind",
            "name",
            "credit_code",
            "entity_code",
            "contact_name",
            "phone",
            "address",
        ]

    def call_service(self, cleaned):
        party = self.built_instance()
        party.store = self.store(cleaned)
        if party.store is None:
            return None
        return party_save(party=party, actor=self.actor)


@admin.register(Party)
class PartyAdmin(ServiceFormAdmin):
    form = PartyForm
    list_display = ["name", "kind", "credit_code", "phone", "store"]
    list_filter = ["kind", "store"]
    list_select_related = ["store"]
    search_fields = ["name", "credit_code", "contact_name", "phone"]

    def has_delete_permission(self, request, obj=None):
        return False


class LocationForm(ServiceForm):
    class Meta:
        model = Location
        fields = [
            "store",
            "kind",
            "name",
            "parent",
            "division_code",
            "address",
            "latitude",
            "longitude",
            "area_mu",
        ]
        field_classes = {"division_code": CountyCodeField}
        widgets = {"division_code": CountyPickerWidget}  # the admin would put a text box

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "parent" in self.fields:
            self.fields["parent"].queryset = self.fields["parent"].queryset.filter(
                kind=Location.Kind.BASE
            )

    def call_service(self, cleaned):
        location = self.built_instance()
        location.store = self.store(cleaned)
        if location.store is None:
            return None
        return location_save(location=location, actor=self.actor)


@admin.register(Location)
class LocationAdmin(ServiceFormAdmin):
    form = LocationForm
    list_display = ["name", "kind", "division_name", "parent", "store"]
    list_filter = ["kind", "store"]
    list_select_related = ["store", "parent"]
    search_fields = ["name", "address", "division_name"]

    def has_delete_permission(self, request, obj=None):
        return False


# --- 批次 --------------------------------------------------------------------------------------


class LotAddForm(ServiceForm):
    class Meta:
        model = Lot
        fields = [
            "store",
            "lot_number",
            "product",
            "skus",
            "producer",
            "plot",
            "harvest_date",
            "quantity",
            "unit",
            "expiry_date",
        ]

    def call_service(self, cleaned):
        store = self.store(cleaned)
        if store is None:
            return None
        return lot_create(
            store=store,
            lot_number=cleaned["lot_number"],
            product=cleaned["product"],
            skus=list(cleaned.get("skus") or []),
            producer=cleaned["producer"],
            plot=cleaned.get("plot"),
            harvest_date=cleaned["harvest_date"],
            quantity=cleaned["quantity"],
            unit=cleaned["unit"],
            expiry_date=cleaned.get("expiry_date"),
            actor=self.actor,
        )


class LotChangeForm(ServiceForm):
    class Meta:
        model = Lot
        fields = ["skus", "expiry_date"]

    def call_service(self, cleaned):
        return lot_update(
            lot=self.instance,
            actor=self.actor,
            skus=list(cleaned.get("skus") or []),
            expiry_date=cleaned.get("expiry_date"),
        )


class LotStatusChangeInline(StoreScopedAdminMixin, admin.TabularInline):
    model = LotStatusChange
    store_field = "lot__store"
    fields = ["created_at", "from_label", "to_label", "reason", "actor"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]  # newest first (the event rows' own order is by time)
    extra = 0
    can_delete = False
    verbose_name_plural = _("状态记录")

    def has_add_permission(self, request, obj=None):
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class CodeCountForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("包装码数量"),
        min_value=1,
        help_text=_("每个包装一个码（一物一码），可打印为标签或导出 CSV 给标签打印机。"),
    )


class NearExpiryFilter(admin.SimpleListFilter):
    """在售 lots whose shelf life ends within TRACE_EXPIRY_WARNING_DAYS (linked from the
    workbench)."""

    title = _("保质期")
    parameter_name = "near_expiry"

    def lookups(self, request, model_admin):
        days = settings.TRACE_EXPIRY_WARNING_DAYS
        return [("yes", _("%(days)d 天内到期") % {"days": days})]

    def queryset(self, request, queryset):
        return lots_near_expiry(queryset) if self.value() == "yes" else queryset


@admin.register(Lot)
class LotAdmin(ServiceFormAdmin):
    list_display = [
        "lot_number",
        "product",
        "harvest_date",
        "quantity_display",
        "status",
        "is_safety_flagged",
        "store",
    ]
    list_filter = ["status", NearExpiryFilter, "is_safety_flagged", "store"]
    list_select_related = ["store", "product"]
    search_fields = ["lot_number", "product__title"]
    date_hierarchy = "harvest_date"
    inlines = [LotStatusChangeInline]
    actions = ["hold_lots", "release_lots", "recall_lots", "generate_codes"]
    readonly_fields = [
        "lot_number",
        "product",
        "producer",
        "plot",
        "origin_name",
        "harvest_date",
        "quantity_display",
        "status",
        "status_reason",
        "is_safety_flagged",
        "safety_flag_reason",
        "sources",
        "trace_links",
        "buyers_link",
    ]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = LotChangeForm if obj is not None else LotAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(LotAddForm.Meta.fields)
        return [*self.readonly_fields, "skus", "expiry_date"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "skus":
            kwargs["queryset"] = scoped_skus(request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plot":
            kwargs["queryset"] = self.scoped_choices(request, Location).filter(
                kind__in=Location.GROWING_KINDS
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "producer" and field is not None and not field.queryset.exists():
            # An empty list says nothing: tell a first-time merchant where producers come from.
            field.help_text = format_html(
                '{} <a href="{}">{}</a>',
                _("还没有生产者（追溯主体），批次需要先有生产者。"),
                reverse("admin:traceability_party_add"),
                _("先添加生产者"),
            )
        return field

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("数量"))
    def quantity_display(self, obj: Lot) -> str:
        return f"{obj.quantity.normalize():f} {obj.get_unit_display()}"

    @admin.display(description=_("来源批次"))
    def sources(self, obj: Lot) -> str:
        return ", ".join(str(lot) for lot in obj.source_lots.all()) or "—"

    @admin.display(description=_("追溯"))
    def trace_links(self, obj: Lot) -> str:
        code = lot_primary_code(lot=obj)
        parts = []
        if code:
            parts.append(_link(trace_url(code.code), _("追溯页 %(code)s") % {"code": code.code}))
        for batch in obj.code_batches.all():
            parts.append(
                _link(
                    reverse("traceability:code_batch_sheet", args=[batch.pk]),
                    _("包装码 %(n)s 个") % {"n": batch.quantity},
                )
            )
        return format_html_join(" · ", "{}", ((p,) for p in parts)) if parts else "—"

    @admin.display(description=_("买家名单"))
    def buyers_link(self, obj: Lot) -> str:
        # The orders app's page (by URL name: traceability does not import orders).
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_recall_buyers", args=[obj.pk]),
            _("查看从本批次售出的订单与买家（召回时逐一联系）"),
        )

    def _reason_action(self, request, queryset, *, action, title, service, success, label):
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid():
                run_each(
                    self,
                    request,
                    queryset,
                    lambda lot: service(
                        lot=lot, actor=request.user, reason=form.cleaned_data["reason"]
                    ),
                    success=success,
                )
                return None
        else:
            form = ReasonForm()
        return render_action_form(
            self,
            request,
            queryset,
            action=action,
            title=title,
            form=form,
            submit_label=label,
            intro="",
            describe=_describe,
            body_class="trace-action",
        )

    @admin.action(
        permissions=["change"], description=_("暂停销售所选批次"), location=BOTH_LOCATIONS
    )
    def hold_lots(self, request, queryset):
        return self._reason_action(
            request,
            queryset,
            action="hold_lots",
            title=_("暂停销售批次"),
            service=lot_hold,
            success=_("已暂停 %(count)d 个批次。"),
            label=_("确认暂停"),
        )

    @admin.action(
        permissions=["change"], description=_("恢复销售所选批次"), location=BOTH_LOCATIONS
    )
    def release_lots(self, request, queryset):
        return self._reason_action(
            request,
            queryset,
            action="release_lots",
            title=_("恢复销售批次"),
            service=lot_release,
            success=_("已恢复 %(count)d 个批次。"),
            label=_("确认恢复"),
        )

    @admin.action(permissions=["recall"], description=_("召回所选批次"), location=BOTH_LOCATIONS)
    def recall_lots(self, request, queryset):
        return self._reason_action(
            request,
            queryset,
            action="recall_lots",
            title=_("召回批次（由其混合/分装的批次一并召回）"),
            service=lot_recall,
            success=_("已召回 %(count)d 个批次。"),
            label=_("确认召回"),
        )

    def has_recall_permission(self, request):
        return request.user.has_perm("traceability.recall_lot")

    @admin.action(permissions=["change"], description=_("生成包装追溯码"), location=BOTH_LOCATIONS)
    def generate_codes(self, request, queryset):
        if "apply" in request.POST:
            form = CodeCountForm(request.POST)
            if form.is_valid():
                batches = []
                run_each(
                    self,
                    request,
                    queryset,
                    lambda lot: batches.append(
                        trace_codes_generate(
                            lot=lot, quantity=form.cleaned_data["quantity"], actor=request.user
                        )
                    ),
                    success=_("已为 %(count)d 个批次生成追溯码。"),
                )
                for batch in batches:
                    self.message_user(
                        request,
                        format_html(
                            "{}：{} · {}",
                            batch.lot,
                            _link(
                                reverse("traceability:code_batch_sheet", args=[batch.pk]),
                                _("打印标签"),
                            ),
                            _link(
                                reverse("traceability:code_batch_csv", args=[batch.pk]),
                                _("下载 CSV"),
                            ),
                        ),
                        messages.INFO,
                    )
                return None
        else:
            form = CodeCountForm(initial={"quantity": 100})
        return render_action_form(
            self,
            request,
            queryset,
            action="generate_codes",
            title=_("生成包装追溯码"),
            form=form,
            submit_label=_("生成"),
            intro="",
            describe=_describe,
            body_class="trace-action",
        )


def scoped_skus(request: HttpRequest):
    return (
        Sku.objects.filter(product__store__in=stores_for_user(request.user))
        .select_related("product")
        .order_by("product__title", "sort_order")
    )


# --- 农事记录 ----------------------------------------------------------------------------------


class InputApplicationForm(ServiceForm):
    class Meta:
        model = InputApplication
        fields = [
            "store",
            "plot",
            "input_type",
            "product_name",
            "active_ingredient",
            "registration_number",
            "dose",
            "applied_on",
            "safety_interval_days",
            "operator",
            "note",
        ]

    def call_service(self, cleaned):
        store = self.store(cleaned)
        if store is None:
            return None
        data = {k: v for k, v in cleaned.items() if k != "store"}
        return input_application_record(store=store, actor=self.actor, **data)


@admin.register(InputApplication)
class InputApplicationAdmin(AddOnlyAdmin):
    form = InputApplicationForm
    list_display = [
        "applied_on",
        "plot",
        "input_type",
        "product_name",
        "registration_number",
        "dose",
        "safety_interval_days",
        "store",
    ]
    list_filter = ["input_type", "store"]
    list_select_related = ["plot", "store"]
    search_fields = ["product_name", "active_ingredient", "registration_number"]
    date_hierarchy = "applied_on"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plot":
            kwargs["queryset"] = self.scoped_choices(request, Location).filter(
                kind__in=Location.GROWING_KINDS
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- 检测 --------------------------------------------------------------------------------------


class InspectionForm(ServiceForm):
    class Meta:
        model = Inspection
        fields = ["lot", "kind", "inspected_on", "lab_name", "report_number", "report_file"]

    def call_service(self, cleaned):
        items = []
        for i in range(ITEM_ROWS):
            substance = (cleaned.get(f"item_{i}_substance") or "").strip()
            if not substance:
                continue
            passed = cleaned.get(f"item_{i}_passed")
            items.append(
                ItemInput(
                    substance=substance,
                    result_value=cleaned.get(f"item_{i}_result"),
                    result_text=cleaned.get(f"item_{i}_result_text") or "",
                    limit_value=cleaned.get(f"item_{i}_limit"),
                    is_passed=None if passed in ("", None) else passed == "yes",
                )
            )
        return inspection_record(
            lot=cleaned["lot"],
            kind=cleaned["kind"],
            inspected_on=cleaned["inspected_on"],
            lab_name=cleaned.get("lab_name") or "",
            report_number=cleaned.get("report_number") or "",
            report_file=cleaned.get("report_file") or None,
            items=items,
            actor=self.actor,
        )


PASS_CHOICES = [("", _("按结果与限量判定")), ("yes", _("合格")), ("no", _("不合格"))]


def _item_fields(_row: int) -> dict[str, forms.Field]:
    return {
        f"item_{_row}_substance": forms.CharField(
            label=_("项目 %(n)s") % {"n": _row + 1}, required=False, max_length=80
        ),
        f"item_{_row}_result": forms.DecimalField(
            label=_("结果(mg/kg)"), required=False, max_digits=12, decimal_places=4
        ),
        f"item_{_row}_result_text": forms.CharField(
            label=_("结果说明"), required=False, max_length=40, help_text=_("如 阴性、未检出")
        ),
        f"item_{_row}_limit": forms.DecimalField(
            label=_("限量(mg/kg)"), required=False, max_digits=12, decimal_places=4
        ),
        f"item_{_row}_passed": forms.ChoiceField(
            label=_("判定"), required=False, choices=PASS_CHOICES
        ),
    }


# Declared after the class so the rows can be generated; the admin lays them out in fieldsets.
for _row in range(ITEM_ROWS):
    InspectionForm.declared_fields.update(_item_fields(_row))
    InspectionForm.base_fields.update(_item_fields(_row))


class InspectionItemInline(StoreScopedAdminMixin, admin.TabularInline):
    model = InspectionItem
    store_field = "inspection__store"
    fields = ["substance", "result_value", "result_text", "limit_value", "unit", "is_passed"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(AddOnlyAdmin):
    form = InspectionForm
    list_display = ["inspected_on", "lot", "kind", "lab_name", "is_passed", "store"]
    list_filter = ["kind", "is_passed", "store"]
    list_select_related = ["lot", "store"]
    search_fields = ["lot__lot_number", "lab_name", "report_number"]
    inlines = [InspectionItemInline]

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return [(None, {"fields": [*InspectionForm.Meta.fields, "is_passed", "report_sha256"]})]
        return [
            (None, {"fields": InspectionForm.Meta.fields}),
            *[
                (
                    _("检测项目 %(n)s") % {"n": i + 1},
                    {
                        "fields": [
                            (
                                f"item_{i}_substance",
                                f"item_{i}_result",
                                f"item_{i}_result_text",
                                f"item_{i}_limit",
                                f"item_{i}_passed",
                            )
                        ],
                        "classes": [] if i < 2 else ["collapse"],
                    },
                )
                for i in range(ITEM_ROWS)
            ],
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*InspectionForm.Meta.fields, "is_passed", "report_sha256"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []


# --- 合格证 ------------------------------------------------------------------------------------


class CertificateForm(ServiceForm):
    class Meta:
        model = Certificate
        fields = ["lot", "basis", "scope", "quantity"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "quantity" in self.fields:
            self.fields["quantity"].required = False
            self.fields["quantity"].help_text = _("留空则为整批数量")
        if "lot" in self.fields:
            self.fields["lot"].queryset = self.fields["lot"].queryset.filter(
                status=Lot.Status.ACTIVE
            )

    def call_service(self, cleaned):
        return certificate_issue(
            lot=cleaned["lot"],
            basis=cleaned["basis"],
            scope=cleaned["scope"],
            quantity=cleaned.get("quantity"),
            actor=self.actor,
        )


@admin.register(Certificate)
class CertificateAdmin(AddOnlyAdmin):
    form = CertificateForm
    list_display = ["number", "lot", "product_name", "basis", "issued_on", "print_link", "store"]
    list_filter = ["basis", "store"]
    list_select_related = ["lot", "store"]
    search_fields = ["number", "lot__lot_number", "product_name"]
    readonly_view_fields = [
        "number",
        "lot",
        "issuer_name",
        "product_name",
        "quantity",
        "unit",
        "origin",
        "producer_name",
        "phone",
        "issued_on",
        "basis",
        "scope",
        "commitment_text",
        "source_list",
        "inspection_list",
        "retention_until",
        "print_link",
    ]

    def get_fields(self, request, obj=None):
        return self.readonly_view_fields if obj is not None else CertificateForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_view_fields if obj is not None else []

    @admin.display(description=_("打印"))
    def print_link(self, obj: Certificate) -> str:
        return _link(reverse("traceability:certificate_print", args=[obj.pk]), _("打印合格证"))

    @admin.display(description=_("来源合格证"))
    def source_list(self, obj: Certificate) -> str:
        return "、".join(c.number for c in obj.source_certificates.all()) or "—"

    @admin.display(description=_("依据的检测"))
    def inspection_list(self, obj: Certificate) -> str:
        return "、".join(str(i) for i in obj.inspections.all()) or "—"


# --- 追溯事件 ----------------------------------------------------------------------------------


class TraceEventForm(ServiceForm):
    business_step = forms.ChoiceField(
        label=_("业务步骤"),
        choices=[(step, TraceEvent.BusinessStep(step).label) for step in MERCHANT_STEPS],
    )
    disposition = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("按业务步骤默认")), *TraceEvent.Disposition.choices],
    )
    event_time = forms.SplitDateTimeField(
        label=_("发生时间"), required=False, widget=admin.widgets.AdminSplitDateTime
    )
    lots = forms.ModelMultipleChoiceField(
        label=_("批次"), queryset=Lot.objects.none(), widget=forms.SelectMultiple(attrs={"size": 8})
    )
    quantity = forms.DecimalField(
        label=_("数量"),
        required=False,
        max_digits=12,
        decimal_places=3,
        help_text=_("只选一个批次时可填，按批次单位"),
    )
    temperature_c = forms.DecimalField(
        label=_("温度(℃)"), required=False, max_digits=5, decimal_places=1
    )
    vehicle = forms.CharField(label=_("车辆/车牌"), required=False, max_length=20)
    note = forms.CharField(label=_("说明"), required=False, max_length=200)
    corrects = forms.ModelChoiceField(
        label=_("更正哪条事件"),
        required=False,
        queryset=TraceEvent.objects.none(),
        help_text=_("选择后，本条作为那条事件的更正记录（须填写说明作为更正原因）"),
    )

    class Meta:
        model = TraceEvent
        fields = ["store", "location"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "corrects" not in self.fields:  # the read-only page of a recorded event
            return
        self.fields["lots"].queryset = self.model_admin.scoped_choices(self.request, Lot).order_by(
            "-harvest_date", "-id"
        )
        self.fields["corrects"].queryset = (
            self.model_admin.get_queryset(self.request)
            .filter(business_step__in=list(MERCHANT_STEPS))
            .order_by("-recorded_at")
        )
        if "store" in self.fields:
            self.fields["store"].queryset = stores_for_user(self.request.user)

    def call_service(self, cleaned):
        store = self.store(cleaned)
        if store is None:
            return None
        extra = {}
        if cleaned.get("temperature_c") is not None:
            extra["temperature_c"] = str(cleaned["temperature_c"])
        if cleaned.get("vehicle"):
            extra["vehicle"] = cleaned["vehicle"]
        if cleaned.get("note"):
            extra["note"] = cleaned["note"]
        lots = list(cleaned["lots"])
        event_time = cleaned.get("event_time")
        if cleaned.get("corrects") is not None:
            return trace_event_correct(
                event=cleaned["corrects"],
                actor=self.actor,
                reason=cleaned.get("note") or "",
                event_time=event_time,
                location=cleaned.get("location"),
                disposition=cleaned.get("disposition") or None,
                extra=extra,
            )
        quantity = cleaned.get("quantity") if len(lots) == 1 else None
        return trace_event_record(
            store=store,
            business_step=cleaned["business_step"],
            disposition=cleaned.get("disposition") or None,
            lots=[EventLotInput(lot=lot, quantity=quantity) for lot in lots],
            event_time=event_time,
            location=cleaned.get("location"),
            extra=extra,
            actor=self.actor,
        )


class TraceEventLotInline(StoreScopedAdminMixin, admin.TabularInline):
    model = TraceEventLot
    store_field = "event__store"
    fields = ["lot", "role", "quantity", "unit"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TraceEvent)
class TraceEventAdmin(AddOnlyAdmin):
    form = TraceEventForm
    list_display = [
        "sequence",
        "business_step",
        "disposition",
        "event_time",
        "lot_numbers",
        "location",
        "hash_prefix",
        "store",
    ]
    list_filter = ["business_step", "event_type", "store"]
    list_select_related = ["location", "store"]
    search_fields = ["event_lots__lot__lot_number", "uuid", "chain_hash"]
    ordering = ["-recorded_at", "-sequence"]
    actions = ["verify_chains"]
    view_fields = [
        "store",
        "sequence",
        "uuid",
        "event_type",
        "action",
        "business_step",
        "disposition",
        "event_time",
        "recorded_at",
        "location",
        "actor_ref",
        "extra",
        "corrects",
        "event_hash",
        "previous_hash",
        "chain_hash",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("event_lots__lot")

    def get_fields(self, request, obj=None):
        if obj is not None:
            return self.view_fields
        return [
            "store",
            "business_step",
            "disposition",
            "event_time",
            "location",
            "lots",
            "quantity",
            "temperature_c",
            "vehicle",
            "note",
            "corrects",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.view_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return [TraceEventLotInline] if obj is not None else []

    @admin.display(description=_("批次"))
    def lot_numbers(self, obj: TraceEvent) -> str:
        return "、".join(link.lot.lot_number for link in obj.event_lots.all())

    @admin.display(description=_("链哈希"))
    def hash_prefix(self, obj: TraceEvent) -> str:
        return obj.chain_hash[:12]

    @admin.action(permissions=["view"], description=_("校验所选事件所在店铺的事件链"))
    def verify_chains(self, request, queryset):
        for store_id in sorted(set(queryset.values_list("store_id", flat=True))):
            report = chain_verify(store_id=store_id)
            if report.is_valid:
                self.message_user(
                    request,
                    _("店铺 #%(store)s：%(n)s 条事件全部校验通过，链尾 %(hash)s。")
                    % {"store": store_id, "n": report.checked, "hash": report.head_hash[:16]},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("店铺 #%(store)s：第 %(seq)s 条起校验失败：%(reason)s")
                    % {"store": store_id, "seq": report.broken_sequence, "reason": report.reason},
                    messages.ERROR,
                )


# --- 追溯码 ------------------------------------------------------------------------------------


class ReadOnlyScopedAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TraceCodeBatch)
class TraceCodeBatchAdmin(ReadOnlyScopedAdmin):
    list_display = ["lot", "quantity", "created_at", "sheet_link", "csv_link", "store"]
    list_select_related = ["lot", "store"]
    list_filter = ["store"]
    search_fields = ["lot__lot_number"]
    fields = ["lot", "quantity", "created_at", "sheet_link", "csv_link"]
    readonly_fields = fields

    @admin.display(description=_("标签"))
    def sheet_link(self, obj: TraceCodeBatch) -> str:
        return _link(reverse("traceability:code_batch_sheet", args=[obj.pk]), _("打印标签"))

    @admin.display(description=_("CSV"))
    def csv_link(self, obj: TraceCodeBatch) -> str:
        return _link(reverse("traceability:code_batch_csv", args=[obj.pk]), _("下载 CSV"))


@admin.register(TraceCode)
class TraceCodeAdmin(ReadOnlyScopedAdmin):
    list_display = ["code", "lot", "package_number", "scan_count", "first_scanned_at", "page_link"]
    list_select_related = ["lot"]
    search_fields = ["code", "lot__lot_number"]
    list_filter = ["store"]
    fields = ["code", "lot", "package_number", "scan_count", "first_scanned_at", "last_scanned_at"]
    readonly_fields = fields

    @admin.display(description=_("追溯页"))
    def page_link(self, obj: TraceCode) -> str:
        return _link(trace_url(obj.code), _("打开"))


# --- 锚点 (platform staff) ---------------------------------------------------------------------


@admin.register(ChainAnchor)
class ChainAnchorAdmin(admin.ModelAdmin):
    list_display = ["anchor_date", "store", "event_count", "chain_hash", "is_chain_valid"]
    list_filter = ["is_chain_valid"]
    list_select_related = ["store"]

    def has_module_permission(self, request):
        return user_can_manage_all_stores(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return user_can_manage_all_stores(request.user) and super().has_view_permission(
            request, obj
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
