"""Read-only views of payments, notifications and refunds for platform staff.

Merchants do not see this section at all: a payment covers one checkout across several
stores, so it belongs to the platform; a merchant sees whether its own order is paid on the
order itself. Only the platform operations group holds the view permissions (core.roles).
Nothing here creates money movements: refunds come from after-sales (refund_create) or from
late/duplicate payments; the one action re-sends a refund the provider failed to carry out.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from apps.core.admin import ReadOnlyTabularInline
from apps.core.errors import ApplicationError
from apps.payments import selectors
from apps.payments.models import Payment, PaymentEvent, PaymentNotification, Refund
from apps.payments.providers import provider_label
from apps.payments.services import refund_retry


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PaymentEventInline(ReadOnlyTabularInline):
    model = PaymentEvent
    fields = ["created_at", "from_label", "to_label", "actor", "reason", "payload"]
    readonly_fields = fields


class RefundInline(ReadOnlyTabularInline):
    model = Refund
    fields = ["out_request_no", "reference", "amount", "status", "reason", "error", "created_at"]
    readonly_fields = fields


class PaymentNotificationInline(ReadOnlyTabularInline):
    model = PaymentNotification
    fields = ["created_at", "result", "error", "remote_addr"]
    readonly_fields = fields


class ProviderFilter(admin.SimpleListFilter):
    """The payment channels by their names (支付宝), not their codes (alipay)."""

    title = _lazy("支付渠道")
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        names = model_admin.get_queryset(request).values_list("provider", flat=True).distinct()
        return [(name, provider_label(name)) for name in sorted(set(names))]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


class ProviderLabelMixin:
    @admin.display(description=_lazy("支付渠道"), ordering="provider")
    def provider_name(self, obj) -> str:
        return provider_label(obj.provider)


@admin.register(Payment)
class PaymentAdmin(ProviderLabelMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "out_trade_no",
        "payment_order",
        "provider_name",
        "amount",
        "status",
        "refunded_amount",
        "paid_at",
        "created_at",
    ]
    list_filter = ["status", ProviderFilter]
    search_fields = ["out_trade_no", "provider_trade_no", "payment_order__number"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [PaymentEventInline, RefundInline, PaymentNotificationInline]
    list_select_related = ["payment_order"]

    def get_queryset(self, request: HttpRequest):
        return selectors.payment_list_for_admin()


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ProviderLabelMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "provider_name", "out_trade_no", "result", "is_processed"]
    list_filter = ["result", ProviderFilter, "is_processed"]
    search_fields = ["out_trade_no", "nonce"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in PaymentNotification._meta.fields]

    def get_queryset(self, request: HttpRequest):
        return selectors.notification_list_for_admin()


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "out_request_no",
        "reference",
        "payment",
        "amount",
        "status",
        "provider_refund_id",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["out_request_no", "reference", "payment__out_trade_no"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Refund._meta.fields]
    actions = ["retry_failed"]

    def get_queryset(self, request: HttpRequest):
        return selectors.refund_list_for_admin()

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.retry_refund")

    @admin.action(description=_("重新发起失败的退款"), permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        for refund in queryset.filter(status=Refund.Status.FAILED):
            try:
                refund = refund_retry(refund=refund, actor=request.user)
            except ApplicationError as exc:
                self.message_user(
                    request, f"{refund.out_request_no}: {exc.message}", messages.ERROR
                )
                continue
            level = messages.SUCCESS if refund.status == Refund.Status.SUCCEEDED else messages.ERROR
            self.message_user(
                request, f"{refund.out_request_no}: {refund.get_status_display()}", level
            )
