"""Back office of distribution: settings (a new version per save), grades, promoters (review,
appoint, disable, grade), bindings (change or clear with a reason), merchants' per-product
commission, the commission ledger, balance entries and the withdrawal queue, each with a CSV
export. Every change goes through apps.distribution.services; nothing here edits money."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyTabularInline, render_action_form, run_each
from apps.core.errors import ApplicationError
from apps.distribution.exports import csv_response
from apps.distribution.models import (
    BalanceEntry,
    BindingChange,
    CommissionEvent,
    CommissionOverride,
    CommissionRecord,
    DistributionConfig,
    Promoter,
    PromoterEvent,
    PromoterGrade,
    ReferralBinding,
    Withdrawal,
    WithdrawalEvent,
)
from apps.distribution.services.binding import binding_change_by_staff
from apps.distribution.services.config import CONFIG_FIELDS, config_current, config_update
from apps.distribution.services.promoters import (
    promoter_appoint,
    promoter_approve,
    promoter_disable,
    promoter_enable,
    promoter_reject,
    promoter_set_grade,
)
from apps.distribution.services.withdrawals import (
    withdrawal_approve,
    withdrawal_mark_failed,
    withdrawal_mark_paid,
    withdrawal_reject,
)
from apps.stores.admin_mixins import StoreScopedModelAdmin

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class PayoutForm(forms.Form):
    payout_reference = forms.CharField(label=_("打款流水号"), max_length=64)


def _with_input(model_admin, request, queryset, *, action, title, form_class, call, success):
    """An action that needs input: show the form, then call the service for each object."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        run_each(
            model_admin,
            request,
            queryset,
            lambda obj: call(obj, form.cleaned_data),
            success=success,
        )
        return None
    return render_action_form(
        model_admin,
        request,
        queryset,
        action=action,
        title=title,
        form=form,
        submit_label=_("确认"),
        body_class="action-reason",
    )


# --- settings --------------------------------------------------------------------------------


@admin.register(DistributionConfig)
class DistributionConfigAdmin(admin.ModelAdmin):
    """Each save is a new version (the list is the history); the newest is in force."""

    list_display = [
        "created_at",
        "is_enabled",
        "levels",
        "level1_rate",
        "level2_rate",
        "base",
        "freeze_days",
        "qualification",
        "bind_mode",
        "actor",
        "note",
    ]
    fields = [*CONFIG_FIELDS, "note"]

    def get_changeform_initial_data(self, request):
        current = config_current()
        return {name: getattr(current, name) for name in CONFIG_FIELDS}

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in CONFIG_FIELDS}
        saved = config_update(actor=request.user, note=form.cleaned_data.get("note", ""), **data)
        obj.pk, obj.created_at = saved.pk, saved.created_at


@admin.register(PromoterGrade)
class PromoterGradeAdmin(admin.ModelAdmin):
    list_display = ["name", "level1_rate", "level2_rate", "is_active"]


# --- promoters ---------------------------------------------------------------------------------


class PromoterEventInline(ReadOnlyTabularInline):
    model = PromoterEvent
    fields = ["created_at", "kind", "from_label", "to_label", "actor", "reason"]
    readonly_fields = fields


class PromoterAdminForm(forms.ModelForm):
    class Meta:
        model = Promoter
        fields = ["user", "grade"]


@admin.register(Promoter)
class PromoterAdmin(admin.ModelAdmin):
    form = PromoterAdminForm
    list_display = [
        "code",
        "user",
        "status",
        "source",
        "grade",
        "balance",
        "team_size",
        "approved_at",
    ]
    list_filter = ["status", "source", "grade"]
    search_fields = ["code", "user__name", "user__email", "real_name"]
    list_select_related = ["user", "grade"]
    raw_id_fields = ["user"]
    inlines = [PromoterEventInline]
    actions = ["approve", "reject", "disable", "enable", "export_csv"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(team=Count("bindings", distinct=True))

    @admin.display(description=_("一级成员"), ordering="team")
    def team_size(self, obj: Promoter) -> int:
        return obj.team

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "code", "status", "source", "real_name", "note", "balance", "approved_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "grade"]
        return ["user", "code", "status", "source", "grade", "real_name", "note", "balance"]

    def save_model(self, request, obj, form, change):
        if not change:  # staff appoint a promoter
            saved = promoter_appoint(
                user=form.cleaned_data["user"], actor=request.user, grade=form.cleaned_data["grade"]
            )
            obj.pk = saved.pk
        elif "grade" in form.changed_data:
            promoter_set_grade(promoter=obj, grade=form.cleaned_data["grade"], actor=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # the inline is read-only; nothing else to save

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(permissions=["change"], description=_("审核通过"), location=BOTH_LOCATIONS)
    def approve(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda p: promoter_approve(promoter=p, actor=request.user),
            success=_("已通过 %(count)d 位推广员。"),
        )

    @admin.action(permissions=["change"], description=_("驳回申请（需填写原因）"))
    def reject(self, request, queryset):
        return _with_input(
            self,
            request,
            queryset,
            action="reject",
            title=_("驳回推广员申请"),
            form_class=ReasonForm,
            call=lambda p, data: promoter_reject(
                promoter=p, actor=request.user, reason=data["reason"]
            ),
            success=_("已驳回 %(count)d 份申请。"),
        )

    @admin.action(permissions=["change"], description=_("停用（需填写原因）"))
    def disable(self, request, queryset):
        return _with_input(
            self,
            request,
            queryset,
            action="disable",
            title=_("停用推广员"),
            form_class=ReasonForm,
            call=lambda p, data: promoter_disable(
                promoter=p, actor=request.user, reason=data["reason"]
            ),
            success=_("已停用 %(count)d 位推广员。"),
        )

    @admin.action(permissions=["change"], description=_("恢复资格"))
    def enable(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda p: promoter_enable(promoter=p, actor=request.user),
            success=_("已恢复 %(count)d 位推广员。"),
        )

    @admin.action(permissions=["view"], description=_("导出 CSV"))
    def export_csv(self, request, queryset):
        rows = (
            [
                p.code,
                str(p.user),
                p.get_status_display(),
                str(p.grade or ""),
                f"{p.balance:.2f}",
                p.team,
            ]
            for p in queryset.order_by("pk")
        )
        header = [_("推广码"), _("用户"), _("状态"), _("等级"), _("余额"), _("一级成员")]
        return csv_response("promoters.csv", header, rows)


# --- bindings ----------------------------------------------------------------------------------


class BindingChangeForm(forms.ModelForm):
    reason = forms.CharField(label=_("调整原因"), max_length=200)

    class Meta:
        model = ReferralBinding
        fields = ["promoter"]


@admin.register(ReferralBinding)
class ReferralBindingAdmin(admin.ModelAdmin):
    form = BindingChangeForm
    list_display = ["user", "promoter", "source", "bound_at", "expires_at"]
    list_filter = ["source"]
    search_fields = ["user__name", "user__email", "promoter__code"]
    list_select_related = ["user", "promoter__user"]
    raw_id_fields = ["promoter"]
    readonly_fields = ["user", "source", "bound_at", "expires_at"]
    fields = ["user", "promoter", "reason", "source", "bound_at", "expires_at"]
    actions = ["clear"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            binding_change_by_staff(
                user=obj.user,
                promoter=form.cleaned_data["promoter"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)

    @admin.action(permissions=["change"], description=_("解除推广关系（需填写原因）"))
    def clear(self, request, queryset):
        return _with_input(
            self,
            request,
            queryset.select_related("user"),
            action="clear",
            title=_("解除推广关系"),
            form_class=ReasonForm,
            call=lambda b, data: binding_change_by_staff(
                user=b.user, promoter=None, actor=request.user, reason=data["reason"]
            ),
            success=_("已解除 %(count)d 条推广关系。"),
        )


@admin.register(BindingChange)
class BindingChangeAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "user",
        "old_promoter",
        "new_promoter",
        "source",
        "actor",
        "reason",
    ]
    list_filter = ["source"]
    search_fields = ["user__name", "user__email"]
    list_select_related = ["user", "old_promoter", "new_promoter", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- merchants' commission settings ------------------------------------------------------------


@admin.register(CommissionOverride)
class CommissionOverrideAdmin(StoreScopedModelAdmin):
    """A merchant's own products only (scoped through the product's store)."""

    store_field = "product__store"
    list_display = ["product", "sku", "is_disabled", "level1_amount", "level2_amount"]
    list_select_related = ["product", "sku"]
    search_fields = ["product__title"]


# --- the commission ledger ---------------------------------------------------------------------


class CommissionEventInline(ReadOnlyTabularInline):
    model = CommissionEvent
    fields = ["created_at", "kind", "from_label", "to_label", "actor", "reason", "payload"]
    readonly_fields = fields


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CommissionRecord)
class CommissionRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "order",
        "store",
        "promoter",
        "level",
        "base",
        "rate",
        "fixed_amount",
        "amount",
        "reversed_amount",
        "status",
        "created_at",
        "available_at",
    ]
    list_filter = ["status", "level", "store", "created_at"]
    search_fields = ["order__number", "promoter__code"]
    list_select_related = ["order", "store", "promoter__user"]
    date_hierarchy = "created_at"
    inlines = [CommissionEventInline]
    actions = ["export_csv"]

    @admin.action(permissions=["view"], description=_("导出 CSV"))
    def export_csv(self, request, queryset):
        rows = (
            [
                r.pk,
                r.order.number,
                r.store.name,
                r.promoter.code,
                r.level,
                f"{r.base:.2f}",
                "" if r.rate is None else f"{r.rate}",
                f"{r.amount:.2f}",
                f"{r.reversed_amount:.2f}",
                r.get_status_display(),
            ]
            for r in queryset.select_related("order", "store", "promoter").order_by("pk")
        )
        header = [
            "ID",
            _("订单号"),
            _("店铺"),
            _("推广码"),
            _("层级"),
            _("计佣基数"),
            _("佣金比例(%)"),
            _("佣金"),
            _("已冲回"),
            _("状态"),
        ]
        return csv_response("commissions.csv", header, rows)


@admin.register(BalanceEntry)
class BalanceEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "promoter", "type", "amount", "reason", "idempotency_key"]
    list_filter = ["type", "created_at"]
    search_fields = ["promoter__code", "idempotency_key"]
    list_select_related = ["promoter__user"]
    actions = ["export_csv"]

    @admin.action(permissions=["view"], description=_("导出 CSV"))
    def export_csv(self, request, queryset):
        rows = (
            [
                e.created_at.isoformat(),
                e.promoter.code,
                e.get_type_display(),
                f"{e.amount:.2f}",
                e.reason,
            ]
            for e in queryset.select_related("promoter").order_by("pk")
        )
        header = [_("时间"), _("推广码"), _("类型"), _("金额"), _("说明")]
        return csv_response("promoter-balance.csv", header, rows)


# --- withdrawals ------------------------------------------------------------------------------


class WithdrawalEventInline(ReadOnlyTabularInline):
    model = WithdrawalEvent
    fields = ["created_at", "kind", "from_label", "to_label", "actor", "reason", "payload"]
    readonly_fields = fields


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "promoter",
        "amount",
        "fee",
        "net_amount",
        "method",
        "account_name",
        "account_number",
        "status",
        "created_at",
        "payout_reference",
    ]
    list_filter = ["status", "method", "created_at"]
    search_fields = ["number", "promoter__code", "payout_reference"]
    list_select_related = ["promoter__user"]
    inlines = [WithdrawalEventInline]
    actions = ["approve", "reject", "mark_paid", "mark_failed", "export_csv"]

    def has_review_permission(self, request):
        return request.user.has_perm("distribution.review_withdrawal")

    @admin.action(permissions=["review"], description=_("审核通过"), location=BOTH_LOCATIONS)
    def approve(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda w: withdrawal_approve(withdrawal=w, actor=request.user),
            success=_("已通过 %(count)d 笔提现。"),
        )

    @admin.action(permissions=["review"], description=_("驳回（退回余额，需填写原因）"))
    def reject(self, request, queryset):
        return _with_input(
            self,
            request,
            queryset,
            action="reject",
            title=_("驳回提现"),
            form_class=ReasonForm,
            call=lambda w, data: withdrawal_reject(
                withdrawal=w, actor=request.user, reason=data["reason"]
            ),
            success=_("已驳回 %(count)d 笔提现，金额已退回余额。"),
        )

    @admin.action(permissions=["review"], description=_("标记已打款（填写流水号）"))
    def mark_paid(self, request, queryset):
        return _with_input(
            self,
            request,
            queryset,
            action="mark_paid",
            title=_("标记已打款"),
            form_class=PayoutForm,
            call=lambda w, data: withdrawal_mark_paid(
                withdrawal=w, actor=request.user, payout_reference=data["payout_reference"]
            ),
            success=_("已标记 %(count)d 笔提现为已打款。"),
        )

    @admin.action(permissions=["review"], description=_("打款失败（退回余额，需填写原因）"))
    def mark_failed(self, request, queryset):
        return _with_input(
            self,
            request,
            queryset,
            action="mark_failed",
            title=_("打款失败"),
            form_class=ReasonForm,
            call=lambda w, data: withdrawal_mark_failed(
                withdrawal=w, actor=request.user, reason=data["reason"]
            ),
            success=_("已记录 %(count)d 笔打款失败，金额已退回余额。"),
        )

    @admin.action(permissions=["view"], description=_("导出 CSV"))
    def export_csv(self, request, queryset):
        rows = (
            [
                w.number,
                w.promoter.code,
                f"{w.amount:.2f}",
                f"{w.fee:.2f}",
                f"{w.net_amount:.2f}",
                w.get_method_display(),
                w.account_name,
                w.account_number,
                w.get_status_display(),
                w.payout_reference,
            ]
            for w in queryset.select_related("promoter").order_by("pk")
        )
        header = [
            _("提现单号"),
            _("推广码"),
            _("提现金额"),
            _("手续费"),
            _("实际到账"),
            _("提现方式"),
            _("收款人"),
            _("收款账号"),
            _("状态"),
            _("打款流水号"),
        ]
        return csv_response("withdrawals.csv", header, rows)
