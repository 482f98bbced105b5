"""Settlement back office: statements and the ledger.

Merchants see only their own stores' statements and entries (StoreScopedAdminMixin →
stores.selectors), print them and export CSV. Finance / platform operations see every store,
confirm statements, mark them paid out and add adjustments. Nothing is edited or deleted here:
every write is a service call from an action or the adjustment form.
"""

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyTabularInline, render_action_form, run_each
from apps.core.errors import ApplicationError
from apps.settlement.exports import ledger_csv, statement_csv
from apps.settlement.forms import AdjustmentForm, PayoutForm, add_service_error
from apps.settlement.models import LedgerEntry, SettlementStatement, StatementEvent
from apps.settlement.selectors import (
    statement_entries,
    statement_events,
    statement_verify,
    store_balances_for_user,
    user_can_adjust_ledger,
    user_can_confirm_statements,
    user_can_pay_out_statements,
)
from apps.settlement.services import (
    settlement_adjustment_add,
    settlement_statement_confirm,
    settlement_statement_mark_paid_out,
)
from apps.stores.admin_mixins import StoreScopedAdminMixin
from apps.stores.selectors import stores_for_user

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def _with_payable(statement: SettlementStatement) -> str:
    """How a statement is listed on the payout page: with its status and what is owed."""
    payable = localize(statement.net_payable)
    return f"{statement}（{statement.get_status_display()}，{_('应结')} ¥{payable}）"


class _ReadOnlyInline(StoreScopedAdminMixin, ReadOnlyTabularInline):
    store_field = "statement__store"


class StatementEntryInline(_ReadOnlyInline):
    model = LedgerEntry
    fk_name = "statement"
    fields = ["created_at", "type", "amount", "order_number", "reference", "reason", "actor"]
    readonly_fields = fields
    verbose_name_plural = _("本期流水")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "actor")

    @admin.display(description=_("订单号"))
    def order_number(self, entry: LedgerEntry) -> str:
        return entry.order.number if entry.order_id else "—"


class StatementEventInline(_ReadOnlyInline):
    model = StatementEvent
    fields = ["created_at", "kind", "from_label", "to_label", "actor", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("结算单记录")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(SettlementStatement)
class SettlementStatementAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "store",
        "period",
        "status",
        "income",
        "commission",
        "refunds",
        "commission_reversals",
        "adjustments",
        "distribution_commission",
        "subsidies",
        "net_payable",
        "entry_count",
        "paid_out_at",
        "links",
    ]
    list_filter = ["status", "period_start", "store"]
    search_fields = ["store__name", "payout_reference"]
    list_select_related = ["store"]
    date_hierarchy = "period_start"
    actions = ["confirm_statements", "mark_paid_out"]
    inlines = [StatementEntryInline, StatementEventInline]
    fieldsets = [
        (None, {"fields": ["store", "period_start", "period_end", "status", "links"]}),
        (
            _("金额（负数为扣减）"),
            {
                "fields": [
                    "income",
                    "commission",
                    "refunds",
                    "commission_reversals",
                    "adjustments",
                    "distribution_commission",
                    "subsidies",
                    "net_payable",
                    "entry_count",
                    "verification",
                ]
            },
        ),
        (
            _("打款"),
            {"fields": ["confirmed_at", "paid_out_at", "payout_reference", "created_at"]},
        ),
    ]
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        return user_can_confirm_statements(request.user)

    def has_pay_out_permission(self, request: HttpRequest) -> bool:
        return user_can_pay_out_statements(request.user)

    @admin.display(description=_("结算周期"), ordering="period_start")
    def period(self, statement: SettlementStatement) -> str:
        return f"{statement.period_start:%Y-%m-%d} — {statement.period_end:%Y-%m-%d}"

    @admin.display(description=_("导出"))
    def links(self, statement: SettlementStatement) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a> · <a href="{}">{}</a> · '
            '<a href="{}?statement__id__exact={}">{}</a>',
            reverse("admin:settlement_settlementstatement_print", args=[statement.pk]),
            _("打印"),
            reverse("admin:settlement_settlementstatement_export", args=[statement.pk]),
            _("CSV"),
            reverse("admin:settlement_ledgerentry_changelist"),
            statement.pk,
            _("流水"),
        )

    @admin.display(description=_("与流水核对"))
    def verification(self, statement: SettlementStatement) -> str:
        check = statement_verify(statement=statement)
        if check.is_consistent:
            return _("一致：各项金额均可由流水逐笔重算得出")
        return "；".join(check.problems)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path(
                "<path:object_id>/print/",
                wrap(self.print_view),
                name="settlement_settlementstatement_print",
            ),
            path(
                "<path:object_id>/export/",
                wrap(self.export_view),
                name="settlement_settlementstatement_export",
            ),
            *super().get_urls(),
        ]

    def _visible_statement(self, request: HttpRequest, object_id: str) -> SettlementStatement:
        statement = self.get_object(request, object_id)  # another store's: 404
        if not self.has_view_permission(request, statement):
            raise PermissionDenied
        return statement

    def print_view(self, request: HttpRequest, object_id: str):
        statement = self._visible_statement(request, object_id)
        return TemplateResponse(
            request,
            "settlement/statement_print.html",
            {
                "statement": statement,
                "store": statement.store,
                "entries": list(statement_entries(statement=statement)),
                "events": list(statement_events(statement=statement)),
                "check": statement_verify(statement=statement),
            },
        )

    def export_view(self, request: HttpRequest, object_id: str):
        statement = self._visible_statement(request, object_id)
        return statement_csv(statement, statement_entries(statement=statement))

    @admin.action(
        permissions=["confirm"],
        description=_("确认结算单"),
        description_plural=_("确认所选结算单"),
        location=BOTH_LOCATIONS,
    )
    def confirm_statements(self, request, queryset):
        run_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda statement: settlement_statement_confirm(statement=statement, actor=request.user),
            success=_("已确认 %(count)d 张结算单。"),
        )

    @admin.action(
        permissions=["pay_out"],
        description=_("标记已打款（填写打款流水号）"),
        description_plural=_("标记所选结算单已打款"),
        location=BOTH_LOCATIONS,
    )
    def mark_paid_out(self, request, queryset):
        form = PayoutForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            run_each(
                self,
                request,
                queryset.order_by("pk"),
                lambda statement: settlement_statement_mark_paid_out(
                    statement=statement,
                    actor=request.user,
                    payment_reference=form.cleaned_data["payment_reference"],
                ),
                success=_("已标记 %(count)d 张结算单为已打款。"),
            )
            return None
        return render_action_form(
            self,
            request,
            queryset.order_by("pk"),
            action="mark_paid_out",
            title=_("标记结算单已打款"),
            form=form,
            submit_label=_("确认已打款"),
            intro=_("将对以下结算单执行此操作："),
            describe=_with_payable,
            cancel_url=reverse(
                admin_urlname(self.opts, "changelist"), current_app=self.admin_site.name
            ),
        )


class SettledFilter(admin.SimpleListFilter):
    """Settled or not, without listing statements (a merchant must not see others' ids)."""

    title = _("是否已出结算单")
    parameter_name = "settled"

    def lookups(self, request, model_admin):
        return [("no", _("未出结算单")), ("yes", _("已出结算单"))]

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(statement__isnull=self.value() == "no")
        return queryset


@admin.register(LedgerEntry)
class LedgerEntryAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "store",
        "type",
        "amount",
        "order_number",
        "reference",
        "reason",
        "statement_link",
        "actor",
    ]
    list_filter = ["type", SettledFilter, "created_at", "store"]
    search_fields = ["order__number", "reference", "reason"]
    list_select_related = ["store", "order", "statement", "actor"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    actions = ["export_csv"]
    change_list_template = "settlement/admin_ledger_change_list.html"
    fields = [
        "created_at",
        "store",
        "type",
        "amount",
        "order",
        "reference",
        "reason",
        "statement",
        "actor",
        "idempotency_key",
    ]
    readonly_fields = fields

    def lookup_allowed(self, lookup, value, request=None):
        # The statement's 流水 link; the queryset is already scoped to the user's stores.
        return lookup == "statement__id__exact" or super().lookup_allowed(lookup, value, request)

    # Append-only: adding is the adjustment form (staff with the adjust permission).
    def has_add_permission(self, request):
        return user_can_adjust_ledger(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("订单号"), ordering="order__number")
    def order_number(self, entry: LedgerEntry) -> str:
        return entry.order.number if entry.order_id else "—"

    @admin.display(description=_("结算单"), ordering="statement__period_start")
    def statement_link(self, entry: LedgerEntry) -> str:
        if not entry.statement_id:
            return _("未出结算单")
        url = reverse("admin:settlement_settlementstatement_change", args=[entry.statement_id])
        return format_html('<a href="{}">{}</a>', url, f"{entry.statement.period_start:%Y-%m-%d}")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "balances": list(store_balances_for_user(user=request.user)[:50]),
        }
        return super().changelist_view(request, extra_context)

    @admin.action(permissions=["view"], description=_("导出所选流水为 CSV"))
    def export_csv(self, request, queryset):
        return ledger_csv(queryset.select_related("store", "order").order_by("created_at", "id"))

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AdjustmentForm(
            request.POST if request.method == "POST" else None,
            stores=stores_for_user(request.user).order_by("name"),
        )
        if form.is_bound and form.is_valid():
            try:
                entry = settlement_adjustment_add(
                    store=form.cleaned_data["store"],
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    idempotency_key=form.cleaned_data["token"],
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                self.message_user(
                    request,
                    _("已为「%(store)s」登记调账 ¥%(amount)s。")
                    % {"store": entry.store.name, "amount": entry.amount},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:settlement_ledgerentry_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("登记调账"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "settlement/admin_adjustment_form.html", context)


@admin.register(StatementEvent)
class StatementEventAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_field = "statement__store"
    list_display = ["created_at", "statement", "kind", "from_label", "to_label", "actor"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["statement__store", "actor"]
    readonly_fields = [
        "created_at",
        "statement",
        "kind",
        "from_status",
        "to_status",
        "actor",
        "reason",
        "payload",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
