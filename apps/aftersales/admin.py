"""Back office of after-sales and reviews: merchants handle their store's, staff see all.

Nothing is edited in place: every change is an action that calls a service, so the same
rules, events and notifications apply as in the API.
"""

from django.contrib import admin
from django.contrib.admin import ActionLocation
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.aftersales.forms import ApproveForm, ArbitrateForm, RejectForm, ReplyForm
from apps.aftersales.models import (
    AfterSale,
    AfterSaleEvent,
    AfterSaleLine,
    AfterSalePhoto,
    Review,
    ReviewPhoto,
)
from apps.aftersales.services import (
    aftersale_approve,
    aftersale_arbitrate,
    aftersale_mark_received,
    aftersale_refund_retry,
    aftersale_reject,
    review_reply,
    review_set_visible,
)
from apps.aftersales.services.aftersales import ARBITRATE_PERMISSION
from apps.aftersales.services.reviews import MODERATE_PERMISSION
from apps.core.admin import ReadOnlyTabularInline, render_action_form, run_each
from apps.stores.admin_mixins import StoreScopedAdminMixin

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]
READ_ONLY_CONTEXT = {
    "show_save": False,
    "show_save_and_continue": False,
    "show_save_and_add_another": False,
    "show_delete": False,
}


def _thumbnail(photo) -> str:
    if not photo.image:
        return "—"
    thumb = photo.thumbnail or photo.image
    return format_html(
        '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" width="96" height="96" '
        'style="object-fit:cover;border:1px solid #ddd"></a>',
        photo.image.url,
        thumb.url,
    )


class _ReadOnlyInline(ReadOnlyTabularInline):
    def has_view_permission(self, request, obj=None):
        # The parent page is already scoped to the user's stores.
        return True


class AfterSaleLineInline(_ReadOnlyInline):
    model = AfterSaleLine
    fields = ["product_title", "spec", "bought", "quantity", "amount"]
    readonly_fields = fields
    verbose_name_plural = _("售后商品")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")

    @admin.display(description=_("商品"))
    def product_title(self, line: AfterSaleLine) -> str:
        return line.order_line.title

    @admin.display(description=_("规格"))
    def spec(self, line: AfterSaleLine) -> str:
        return line.order_line.spec

    @admin.display(description=_("购买数量 / 实付"))
    def bought(self, line: AfterSaleLine) -> str:
        return f"{line.order_line.quantity} / ¥{line.order_line.paid_amount}"


class AfterSalePhotoInline(_ReadOnlyInline):
    model = AfterSalePhoto
    fields = ["preview", "created_at"]
    readonly_fields = fields
    verbose_name_plural = _("买家凭证")

    @admin.display(description=_("图片"))
    def preview(self, photo: AfterSalePhoto) -> str:
        return _thumbnail(photo)


class AfterSaleEventInline(_ReadOnlyInline):
    model = AfterSaleEvent
    fields = ["created_at", "from_label", "to_label", "actor_name", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("处理记录")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("原状态"))
    def from_label(self, event: AfterSaleEvent) -> str:
        return AfterSale.Status(event.from_status).label if event.from_status else "—"

    @admin.display(description=_("新状态"))
    def to_label(self, event: AfterSaleEvent) -> str:
        return event.to_label

    @admin.display(description=_("操作人"))
    def actor_name(self, event: AfterSaleEvent) -> str:
        return str(event.actor) if event.actor_id else _("系统")


@admin.register(AfterSale)
class AfterSaleAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "order",
        "store",
        "buyer",
        "type",
        "status_label",
        "amount_requested",
        "amount_approved",
        "created_at",
    ]
    list_filter = ["status", "type", "reason", "is_arbitrated", "store", "created_at"]
    list_select_related = ["order", "store", "buyer"]
    search_fields = ["number", "order__number", "buyer__email", "buyer__phone", "buyer__name"]
    date_hierarchy = "created_at"
    inlines = [AfterSaleLineInline, AfterSalePhotoInline, AfterSaleEventInline]
    actions = [
        "approve_aftersales",
        "reject_aftersales",
        "mark_received",
        "arbitrate_aftersales",
        "retry_refunds",
    ]
    fieldsets = [
        (_("售后"), {"fields": ["number", "status_label", "type", "order", "store", "buyer"]}),
        (_("买家申请"), {"fields": ["reason", "reason_text", "amount_requested", "created_at"]}),
        (
            _("处理"),
            {
                "fields": [
                    "amount_approved",
                    "approved_at",
                    "reject_reason",
                    "rejected_at",
                    "dispute_reason",
                    "is_arbitrated",
                ]
            },
        ),
        (
            _("退货与退款"),
            {
                "fields": [
                    "return_carrier",
                    "return_tracking_number",
                    "returned_at",
                    "received_at",
                    "refund_started_at",
                    "refunded_at",
                ]
            },
        ),
    ]
    readonly_fields = [f for _name, opts in fieldsets for f in opts["fields"]]

    def has_add_permission(self, request, *args):
        return False  # buyers apply; the back office decides

    def has_delete_permission(self, request, obj=None):
        return False

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return super().has_change_permission(request)

    def has_arbitrate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ARBITRATE_PERMISSION)

    def has_retry_refund_permission(self, request: HttpRequest) -> bool:
        return self.sees_all_stores(request) and super().has_change_permission(request)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(
            request, object_id, form_url, {**READ_ONLY_CONTEXT, **(extra_context or {})}
        )

    @admin.display(description=_("状态"), ordering="status")
    def status_label(self, obj: AfterSale) -> str:
        return obj.status_display

    def _select(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("order__payment_order", "buyer", "store")

    @admin.action(
        permissions=["handle"],
        description=_("同意售后（仅退款立即退款）"),
        location=BOTH_LOCATIONS,
    )
    def approve_aftersales(self, request, queryset):
        queryset = self._select(queryset)
        if "apply" in request.POST:
            form = ApproveForm(request.POST)
            if form.is_valid():
                amount = form.cleaned_data["amount"]
                if amount is not None and queryset.count() > 1:
                    form.add_error("amount", _("指定金额时只能选择一个售后单。"))
                else:
                    run_each(
                        self,
                        request,
                        queryset,
                        lambda aftersale: aftersale_approve(
                            aftersale=aftersale,
                            actor=request.user,
                            amount=amount,
                            note=form.cleaned_data["note"],
                        ),
                        success=_("已同意 %(count)d 个售后。"),
                    )
                    return None
        else:
            form = ApproveForm()
        return render_action_form(
            self,
            request,
            queryset,
            action="approve_aftersales",
            title=_("同意售后"),
            form=form,
            submit_label=_("确认同意"),
        )

    @admin.action(
        permissions=["handle"], description=_("拒绝售后（需填写原因）"), location=BOTH_LOCATIONS
    )
    def reject_aftersales(self, request, queryset):
        queryset = self._select(queryset)
        if "apply" in request.POST:
            form = RejectForm(request.POST)
            if form.is_valid():
                run_each(
                    self,
                    request,
                    queryset,
                    lambda aftersale: aftersale_reject(
                        aftersale=aftersale, actor=request.user, reason=form.cleaned_data["reason"]
                    ),
                    success=_("已拒绝 %(count)d 个售后。"),
                )
                return None
        else:
            form = RejectForm()
        return render_action_form(
            self,
            request,
            queryset,
            action="reject_aftersales",
            title=_("拒绝售后"),
            form=form,
            submit_label=_("确认拒绝"),
        )

    @admin.action(
        permissions=["handle"],
        description=_("确认收到退货并退款（商品回库）"),
        location=BOTH_LOCATIONS,
    )
    def mark_received(self, request, queryset):
        run_each(
            self,
            request,
            self._select(queryset),
            lambda aftersale: aftersale_mark_received(aftersale=aftersale, actor=request.user),
            success=_("已确认收货 %(count)d 个售后，退款已发起。"),
        )

    @admin.action(
        permissions=["arbitrate"],
        description=_("平台仲裁（需填写裁决说明）"),
        location=BOTH_LOCATIONS,
    )
    def arbitrate_aftersales(self, request, queryset):
        queryset = self._select(queryset)
        if "apply" in request.POST:
            form = ArbitrateForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                if data["amount"] is not None and queryset.count() > 1:
                    form.add_error("amount", _("指定金额时只能选择一个售后单。"))
                else:
                    run_each(
                        self,
                        request,
                        queryset,
                        lambda aftersale: aftersale_arbitrate(
                            aftersale=aftersale,
                            actor=request.user,
                            approve=data["decision"] == "approve",
                            reason=data["reason"],
                            amount=data["amount"],
                        ),
                        success=_("已仲裁 %(count)d 个售后。"),
                    )
                    return None
        else:
            form = ArbitrateForm()
        return render_action_form(
            self,
            request,
            queryset,
            action="arbitrate_aftersales",
            title=_("平台仲裁"),
            form=form,
            submit_label=_("确认裁决"),
        )

    @admin.action(
        permissions=["retry_refund"],
        description=_("重新发起退款（退款失败时）"),
        location=BOTH_LOCATIONS,
    )
    def retry_refunds(self, request, queryset):
        run_each(
            self,
            request,
            self._select(queryset),
            lambda aftersale: aftersale_refund_retry(aftersale=aftersale, actor=request.user),
            success=_("已重新发起 %(count)d 笔退款。"),
        )


class ReviewPhotoInline(_ReadOnlyInline):
    model = ReviewPhoto
    fields = ["preview", "created_at"]
    readonly_fields = fields
    verbose_name_plural = _("评价图片")

    @admin.display(description=_("图片"))
    def preview(self, photo: ReviewPhoto) -> str:
        return _thumbnail(photo)


class HasReplyFilter(admin.SimpleListFilter):
    title = _("商家回复")
    parameter_name = "replied"

    def lookups(self, request, model_admin):
        return [("no", _("未回复")), ("yes", _("已回复"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(replied_at__isnull=self.value() == "no")
        return queryset


@admin.register(Review)
class ReviewAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "product",
        "store",
        "buyer",
        "rating_stars",
        "short_text",
        "has_reply_display",
        "is_visible",
        "created_at",
    ]
    list_filter = ["rating", HasReplyFilter, "is_visible", "store", "created_at"]
    list_select_related = ["product", "store", "buyer"]
    search_fields = ["product__title", "text", "buyer__email", "buyer__phone"]
    date_hierarchy = "created_at"
    inlines = [ReviewPhotoInline]
    actions = ["reply_reviews", "hide_reviews", "show_reviews"]
    fieldsets = [
        (_("评价"), {"fields": ["product", "store", "buyer", "order_line", "rating", "text"]}),
        (_("商家回复"), {"fields": ["reply_text", "replied_at", "replied_by"]}),
        (_("平台"), {"fields": ["is_visible", "created_at"]}),
    ]
    readonly_fields = [f for _name, opts in fieldsets for f in opts["fields"]]

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # staff hide a review instead; the buyer's words stay on record

    def has_reply_permission(self, request: HttpRequest) -> bool:
        return super().has_change_permission(request)

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MODERATE_PERMISSION)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(
            request, object_id, form_url, {**READ_ONLY_CONTEXT, **(extra_context or {})}
        )

    @admin.display(description=_("评分"), ordering="rating")
    def rating_stars(self, review: Review) -> str:
        return "★" * review.rating + "☆" * (5 - review.rating)

    @admin.display(description=_("内容"))
    def short_text(self, review: Review) -> str:
        return review.text[:40] + ("…" if len(review.text) > 40 else "")

    @admin.display(description=_("已回复"), boolean=True)
    def has_reply_display(self, review: Review) -> bool:
        return review.has_reply

    @admin.action(
        permissions=["reply"], description=_("回复评价（每条仅一次）"), location=BOTH_LOCATIONS
    )
    def reply_reviews(self, request, queryset):
        if "apply" in request.POST:
            form = ReplyForm(request.POST)
            if form.is_valid():
                run_each(
                    self,
                    request,
                    queryset,
                    lambda review: review_reply(
                        review=review, actor=request.user, text=form.cleaned_data["text"]
                    ),
                    success=_("已回复 %(count)d 条评价。"),
                )
                return None
        else:
            form = ReplyForm()
        return render_action_form(
            self,
            request,
            queryset.select_related("product"),
            action="reply_reviews",
            title=_("回复评价"),
            form=form,
            submit_label=_("发布回复"),
        )

    @admin.action(permissions=["moderate"], description=_("前台隐藏"), location=BOTH_LOCATIONS)
    def hide_reviews(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda review: review_set_visible(review=review, actor=request.user, is_visible=False),
            success=_("已隐藏 %(count)d 条评价。"),
        )

    @admin.action(permissions=["moderate"], description=_("前台显示"), location=BOTH_LOCATIONS)
    def show_reviews(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda review: review_set_visible(review=review, actor=request.user, is_visible=True),
            success=_("已恢复显示 %(count)d 条评价。"),
        )
