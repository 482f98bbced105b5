"""Wholesale back office for platform staff: review buyers, grant credit, record repayments.

Nothing here is edited directly: every change goes through apps.wholesale.services from an
admin action (verify, reject, credit limit, repayment), which records who did it and why.
"""

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import PermissionDenied
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyTabularInline, render_action_form, run_each
from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.wholesale.forms import CreditLimitForm, RejectForm, RepaymentForm
from apps.wholesale.models import (
    BuyerMember,
    BuyerOrganisation,
    BuyerOrganisationEvent,
    BuyerStatement,
    CreditEntry,
)
from apps.wholesale.selectors import buyer_statement_entries
from apps.wholesale.services import (
    buyer_organisation_reject,
    buyer_organisation_verify,
    credit_limit_set,
    credit_record_repayment,
)
from apps.wholesale.templatetags.wholesale_tags import money

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]
ACTION_INTRO = _("将对以下采购单位执行此操作：")


def _with_credit(organisation: BuyerOrganisation) -> str:
    """How an organisation is listed on the credit actions' page: with what it owes."""
    owed = money(getattr(organisation, "owed", None))
    limit = money(organisation.credit_limit)
    return f"{organisation}（{_('当前应付')} {owed}，{_('授信额度')} {limit}）"


def _owed_subquery() -> Coalesce:
    owed = (
        CreditEntry.objects.filter(organisation=OuterRef("pk"))
        .values("organisation")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(owed, output_field=money), Value(Decimal("0.00")), output_field=money)


class BuyerMemberInline(ReadOnlyTabularInline):
    model = BuyerMember
    fields = ["user", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class BuyerOrganisationEventInline(ReadOnlyTabularInline):
    model = BuyerOrganisationEvent
    fields = ["created_at", "kind", "change", "actor", "reason"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]  # newest first (the event rows' own order is by time)
    verbose_name_plural = _("审核与授信记录")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("变更"))
    def change(self, event: BuyerOrganisationEvent) -> str:
        if event.kind == BuyerOrganisationEvent.Kind.CREDIT_LIMIT:
            return f"¥{event.from_credit_limit} → ¥{event.to_credit_limit}"
        labels = dict(BuyerOrganisation.Status.choices)
        start = labels.get(event.from_status, "—")
        return f"{start} → {labels.get(event.to_status, event.to_status)}"


class CreditEntryInline(ReadOnlyTabularInline):
    model = CreditEntry
    fields = ["created_at", "kind", "amount", "reference", "note", "actor"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    verbose_name_plural = _("账期流水")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class BuyerStatementInline(ReadOnlyTabularInline):
    model = BuyerStatement
    fields = [
        "period_start",
        "opening_balance",
        "charges",
        "repayments",
        "closing_balance",
        "print_link",
    ]
    readonly_fields = fields
    verbose_name_plural = _("月结账单")

    @admin.display(description=_("打印"))
    def print_link(self, statement: BuyerStatement) -> str:
        url = reverse("admin:wholesale_buyerstatement_print", args=[statement.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("打印"))


@admin.register(BuyerOrganisation)
class BuyerOrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "status",
        "credit_limit",
        "owed_display",
        "contact_name",
        "contact_phone",
        "created_at",
        "reviewed_by",
    ]
    list_filter = ["status", "kind", "created_at"]
    search_fields = [
        "name",
        "licence_number",
        "contact_name",
        "contact_phone",
        "members__user__email",
    ]
    list_select_related = ["reviewed_by"]
    date_hierarchy = "created_at"
    actions = [
        "verify_organisations",
        "reject_organisations",
        "set_credit_limit",
        "record_repayment",
    ]
    inlines = [
        BuyerMemberInline,
        BuyerOrganisationEventInline,
        CreditEntryInline,
        BuyerStatementInline,
    ]
    fieldsets = [
        (_("单位"), {"fields": ["name", "kind", "status", "created_at"]}),
        (_("资质"), {"fields": ["licence_number", "licence_preview"]}),
        (_("联系人"), {"fields": ["contact_name", "contact_phone", "address"]}),
        (_("审核"), {"fields": ["reviewed_by", "reviewed_at", "reject_reason"]}),
        (_("账期"), {"fields": ["credit_limit", "owed_display"]}),
    ]
    readonly_fields = [
        "name",
        "kind",
        "status",
        "created_at",
        "licence_number",
        "licence_preview",
        "contact_name",
        "contact_phone",
        "address",
        "reviewed_by",
        "reviewed_at",
        "reject_reason",
        "credit_limit",
        "owed_display",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(owed=_owed_subquery())

    # Applications are the applicant's words and the ledger is append-only: staff act through
    # the actions, never by editing fields.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("wholesale.review_buyerorganisation")

    def has_manage_credit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("wholesale.manage_credit_buyerorganisation")

    @admin.display(description=_("当前应付"), ordering="owed")
    def owed_display(self, obj: BuyerOrganisation) -> str:
        return f"¥{to_money(obj.owed)}"  # SQLite sums come back unquantized

    @admin.display(description=_("营业执照"))
    def licence_preview(self, obj: BuyerOrganisation) -> str:
        if not obj.licence_image:
            return "—"
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="" '
            'style="max-width:480px;max-height:480px;border:1px solid #ddd"></a>',
            obj.licence_image.url,
        )

    @admin.action(
        permissions=["review"],
        description=_("认证通过"),
        description_plural=_("认证通过所选的采购单位"),
        location=BOTH_LOCATIONS,
    )
    def verify_organisations(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda organisation: buyer_organisation_verify(
                organisation=organisation, actor=request.user
            ),
            success=_("已认证 %(count)d 个采购单位。"),
        )

    @admin.action(
        permissions=["review"],
        description=_("驳回（需填写原因）"),
        description_plural=_("驳回所选的采购单位申请"),
        location=BOTH_LOCATIONS,
    )
    def reject_organisations(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            run_each(
                self,
                request,
                queryset,
                lambda organisation: buyer_organisation_reject(
                    organisation=organisation,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                ),
                success=_("已驳回 %(count)d 个采购单位申请。"),
            )
            return None
        return render_action_form(
            self,
            request,
            queryset,
            action="reject_organisations",
            title=_("驳回批发采购申请"),
            form=form,
            submit_label=_("确认驳回"),
            intro=ACTION_INTRO,
        )

    @admin.action(
        permissions=["manage_credit"],
        description=_("设置账期授信额度"),
        description_plural=_("设置所选采购单位的账期授信额度"),
        location=BOTH_LOCATIONS,
    )
    def set_credit_limit(self, request, queryset):
        form = CreditLimitForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            run_each(
                self,
                request,
                queryset,
                lambda organisation: credit_limit_set(
                    organisation=organisation,
                    credit_limit=form.cleaned_data["credit_limit"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                ),
                success=_("已更新 %(count)d 个采购单位的授信额度。"),
            )
            return None
        return render_action_form(
            self,
            request,
            queryset,
            action="set_credit_limit",
            title=_("设置账期授信额度"),
            form=form,
            submit_label=_("保存额度"),
            intro=ACTION_INTRO,
            describe=_with_credit,
        )

    @admin.action(
        permissions=["manage_credit"],
        description=_("登记还款"),
        description_plural=_("登记所选采购单位的还款"),
        location=BOTH_LOCATIONS,
    )
    def record_repayment(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("一次只能为一个采购单位登记还款。"), messages.ERROR)
            return None
        form = RepaymentForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            organisation = queryset.get()
            try:
                entry = credit_record_repayment(
                    organisation=organisation,
                    amount=form.cleaned_data["amount"],
                    actor=request.user,
                    reference=form.cleaned_data["reference"],
                    note=form.cleaned_data["note"],
                    idempotency_key=form.cleaned_data["token"],
                )
            except ApplicationError as exc:
                form.add_error("amount" if "amount" in exc.fields else None, exc.message)
            else:
                self.message_user(
                    request,
                    _("已登记 %(name)s 还款 ¥%(amount)s。")
                    % {"name": organisation.name, "amount": -entry.amount},
                    messages.SUCCESS,
                )
                return None
        return render_action_form(
            self,
            request,
            queryset,
            action="record_repayment",
            title=_("登记还款"),
            form=form,
            submit_label=_("确认登记"),
            intro=ACTION_INTRO,
            describe=_with_credit,
        )


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organisation", "kind", "amount", "reference", "note", "actor"]
    list_filter = ["kind", "created_at"]
    search_fields = ["organisation__name", "reference", "note"]
    list_select_related = ["organisation", "actor"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BuyerStatement)
class BuyerStatementAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "period_start",
        "opening_balance",
        "charges",
        "releases",
        "refunds",
        "repayments",
        "closing_balance",
        "print_link",
    ]
    list_filter = ["period_start"]
    search_fields = ["organisation__name"]
    list_select_related = ["organisation"]
    date_hierarchy = "period_start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/print/",
                self.admin_site.admin_view(self.print_view),
                name="wholesale_buyerstatement_print",
            )
        ]
        return urls + super().get_urls()

    @admin.display(description=_("打印"))
    def print_link(self, statement: BuyerStatement) -> str:
        url = reverse("admin:wholesale_buyerstatement_print", args=[statement.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("打印"))

    def print_view(self, request: HttpRequest, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        statement = self.get_queryset(request).filter(pk=pk).first()
        if statement is None:
            raise Http404("statement")
        return TemplateResponse(
            request,
            "wholesale/statement_print.html",
            {
                "statement": statement,
                "organisation": statement.organisation,
                "entries": list(buyer_statement_entries(statement=statement)),
            },
        )
