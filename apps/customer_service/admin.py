"""Back office of customer service: the case queue and one action per move.

Staff (客服专员/主管/经理/总监, 平台运营) see every case; a merchant sees only the cases
about its own stores (apps.customer_service.selectors.case_list_for_user), never the internal
notes, and may only answer them. Every action calls one service; a refusal becomes a message.
"""

import csv
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.admin import ReadOnlyTabularInline, render_action_form, run_each
from apps.core.errors import ApplicationError
from apps.customer_service import forms as cs_forms
from apps.customer_service.models import (
    CalendarDay,
    CallbackEvent,
    CallbackVisit,
    CannedReply,
    Case,
    CaseAttachment,
    CaseEntry,
    CaseEvent,
    ConfidentialAccess,
    CustomerProfile,
    EvaluationForm,
    SlaPolicy,
    Survey,
    Tier,
)
from apps.customer_service.reports import service_dashboard
from apps.customer_service.selectors import (
    QUEUES,
    calendar_warnings,
    callbacks_due,
    case_customer_history,
    case_list_for_user,
    case_next_due,
    case_queue,
    sla_colour,
    survey_results,
    user_is_service_staff,
)
from apps.customer_service.services import (
    canned_reply_render,
    case_acknowledge,
    case_assign,
    case_claim,
    case_compensate_refund,
    case_entry_publish,
    case_lot_release,
    case_merge,
    case_open,
    case_pend,
    case_reject,
    case_reply,
    case_resolve,
    case_set_priority,
    case_start,
)
from apps.customer_service.services.callbacks import (
    callback_attempt_failed,
    callback_complete,
    customer_confidential_read,
    customer_tier_override,
)
from apps.customer_service.services.cases import (
    ASSIGN_PERMISSION,
    PARTNER_PERMISSION,
    PUBLISH_PERMISSION,
    SUPERVISE_PERMISSION,
)
from apps.customer_service.services.surveys import survey_invite
from apps.stores.models import Store
from apps.stores.selectors import store_ids_for_user

BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]
READ_ONLY_CONTEXT = {
    "show_save": False,
    "show_save_and_continue": False,
    "show_save_and_add_another": False,
    "show_delete": False,
}
COLOURS = {"red": "#c62828", "amber": "#ef8f00", "green": "#2e7d32"}


class QueueFilter(admin.SimpleListFilter):
    title = _("队列")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        labels = {
            "mine": _("我的"),
            "unassigned": _("未认领"),
            "due_soon": _("一小时内到期"),
            "breached": _("已超时"),
        }
        return [(key, labels[key]) for key in QUEUES]

    def queryset(self, request, queryset):
        if self.value() in QUEUES:
            ids = case_queue(user=request.user, queue=self.value()).values("pk")
            return queryset.filter(pk__in=ids)
        return queryset


class CaseEntryInline(ReadOnlyTabularInline):
    model = CaseEntry
    fields = ["created_at", "kind", "author", "is_public", "body"]
    readonly_fields = fields
    verbose_name_plural = _("回复与备注")

    def has_view_permission(self, request, obj=None):
        return True  # the parent page is already scoped

    def get_queryset(self, request):
        entries = super().get_queryset(request).select_related("author")
        if not user_is_service_staff(request.user):
            # A merchant never reads staff's internal notes.
            entries = entries.exclude(kind=CaseEntry.Kind.INTERNAL_NOTE)
        return entries


class CaseAttachmentInline(ReadOnlyTabularInline):
    model = CaseAttachment
    fields = ["preview", "created_at"]
    readonly_fields = fields
    verbose_name_plural = _("图片")

    def has_view_permission(self, request, obj=None):
        return True

    @admin.display(description=_("图片"))
    def preview(self, attachment: CaseAttachment) -> str:
        thumb = attachment.thumbnail or attachment.image
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" width="96" '
            'height="96" style="object-fit:cover"></a>',
            attachment.image.url,
            thumb.url,
        )


class CaseEventInline(ReadOnlyTabularInline):
    model = CaseEvent
    fields = ["created_at", "kind", "from_label", "to_label", "actor", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("处理记录")

    def has_view_permission(self, request, obj=None):
        return True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("原状态"))
    def from_label(self, event: CaseEvent) -> str:
        return Case.Status(event.from_status).label if event.from_status else "—"

    @admin.display(description=_("新状态"))
    def to_label(self, event: CaseEvent) -> str:
        return event.to_label


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "subject",
        "status",
        "priority",
        "category",
        "store",
        "owner",
        "escalation_level",
        "sla_left",
        "created_at",
    ]
    list_filter = [QueueFilter, "status", "priority", "category", "escalation_level", "channel"]
    list_select_related = ["store", "owner"]
    search_fields = ["number", "subject", "contact_phone", "order__number", "lot__lot_number"]
    date_hierarchy = "created_at"
    inlines = [CaseEntryInline, CaseAttachmentInline, CaseEventInline]
    actions = [
        "acknowledge_cases",
        "assign_cases",
        "claim_cases",
        "start_cases",
        "pend_cases",
        "resolve_cases",
        "reply_to_cases",
        "partner_reply",
        "publish_partner_replies",
        "reject_cases",
        "merge_cases",
        "change_priority",
        "release_lot_hold",
        "compensate_refund",
    ]
    fieldsets = [
        (
            _("工单"),
            {
                "fields": [
                    "number",
                    "status",
                    "channel",
                    "category",
                    "priority",
                    "subject",
                    "description",
                ]
            },
        ),
        (
            _("时间 地点 人物 联系方式"),
            {"fields": ["occurred_at", "place", "people", "contact_name", "contact_phone"]},
        ),
        (_("关联"), {"fields": ["customer", "store", "order", "order_line", "lot", "aftersale"]}),
        (
            _("处理"),
            {
                "fields": [
                    "owner",
                    "responsible",
                    "root_cause",
                    "resolution",
                    "compensation",
                    "merged_into",
                ]
            },
        ),
        (
            _("SLA"),
            {
                "fields": [
                    "first_response_due",
                    "first_responded_at",
                    "resolution_due",
                    "resolved_at",
                    "callback_due",
                    "paused_minutes",
                    "escalation_level",
                    "reopen_count",
                ]
            },
        ),
    ]
    readonly_fields = [f for _name, opts in fieldsets for f in opts["fields"]]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not user_is_service_staff(request.user):
            return fieldsets  # a merchant never sees the customer's other stores' affairs
        return [*fieldsets, (_("客户的其他工单与订单"), {"fields": ["customer_history"]})]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "customer_history"]

    @admin.display(description=_("历史"))
    def customer_history(self, case: Case) -> str:
        history = case_customer_history(case=case)
        cases = format_html_join(
            "",
            '<li><a href="{}">{}</a> {} · {}</li>',
            (
                (
                    reverse("admin:customer_service_case_change", args=[c.pk]),
                    c.number,
                    c.subject,
                    c.get_status_display(),
                )
                for c in history.cases
            ),
        )
        orders = format_html_join(
            "",
            "<li>{} · {} · ¥{} · {}</li>",
            (
                (o.number, o.store.name, o.total_amount, o.get_status_display())
                for o in history.orders
            ),
        )
        return format_html(
            "<b>{}</b><ul>{}</ul><b>{}</b><ul>{}</ul>",
            _("更早的工单"),
            cases or "—",
            _("最近订单"),
            orders or "—",
        )

    # --- scope and permissions -----------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return case_list_for_user(user=request.user)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if user_is_service_staff(request.user):
            return [*filters, "store"]
        return [f for f in filters if f is not QueueFilter]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404  # another store's case answers like one that does not exist
        return obj

    def has_delete_permission(self, request, obj=None):
        return False

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return user_is_service_staff(request.user)

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ASSIGN_PERMISSION)

    def has_supervise_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(SUPERVISE_PERMISSION)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)

    def has_partner_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PARTNER_PERMISSION) and not user_is_service_staff(request.user)

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(dashboard_view),
                name="customer_service_dashboard",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"dashboard_url": reverse("admin:customer_service_dashboard")}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:
            return self.register_view(request)
        return super().changeform_view(
            request, object_id, form_url, {**READ_ONLY_CONTEXT, **(extra_context or {})}
        )

    @admin.display(description=_("剩余时间"))
    def sla_left(self, case: Case) -> str:
        colour = sla_colour(case)
        due = case_next_due(case)
        if not colour or due is None:
            return "—"
        minutes = int((due - timezone.now()).total_seconds() // 60)
        text = (
            _("超时 %(m)d 分钟") % {"m": -minutes}
            if minutes < 0
            else _("剩 %(h)d 小时 %(m)d 分") % {"h": minutes // 60, "m": minutes % 60}
        )
        return format_html(
            '<span style="color:{};font-weight:600" data-sla="{}">{}</span>',
            COLOURS[colour],
            colour,
            text,
        )

    # --- registering a phone call or a walk-in -------------------------------------------

    def register_view(self, request: HttpRequest):
        """Staff register a phone call or a walk-in; a merchant files a case about its store."""
        staff = user_is_service_staff(request.user)
        own_stores = [] if staff else store_ids_for_user(request.user)
        if not self.has_add_permission(request) or not (staff or own_stores):
            raise Http404
        form = cs_forms.CaseRegisterForm(request.POST or None, for_merchant=not staff)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                linked = _linked_by_number(
                    data["order_number"], data["lot_number"], store_ids=own_stores or None
                )
                if not staff and "order" not in linked and "lot" not in linked:
                    linked["store"] = Store.objects.get(pk=own_stores[0])
                case = case_open(
                    channel=data["channel"] if staff else Case.Channel.MERCHANT,
                    category=data["category"],
                    priority=data["priority"],
                    subject=data["subject"],
                    description=data["description"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    occurred_at=data["occurred_at"],
                    place=data["place"],
                    people=data["people"],
                    opened_by=request.user,
                    **linked,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("已登记工单 %s") % case.number, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:customer_service_case_change", args=[case.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("登记来电/来访投诉"),
            "intro": _("电话或来访时代客户登记：先致歉，再记录时间、地点、人物、事件和联系方式。"),
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/customer_service/case_register.html", context)

    # --- actions -------------------------------------------------------------------------

    def _form_action(
        self, request, queryset, *, action, form_class, title, submit, call, success, **form_kw
    ):
        if "apply" in request.POST:
            form = form_class(request.POST, **form_kw)
            if form.is_valid():
                run_each(
                    self,
                    request,
                    queryset,
                    lambda case: call(case, form.cleaned_data),
                    success=success,
                )
                return None
        else:
            form = form_class(**form_kw)
        return render_action_form(
            self, request, queryset, action=action, title=title, form=form, submit_label=submit
        )

    @admin.action(permissions=["handle"], description=_("受理并致歉"), location=BOTH)
    def acknowledge_cases(self, request, queryset):
        first = queryset.first()
        initial = {}
        if first is not None:
            initial = {
                "occurred_at": first.occurred_at,
                "place": first.place,
                "people": first.people,
                "contact_name": first.contact_name,
                "contact_phone": first.contact_phone,
            }
        return self._form_action(
            request,
            queryset,
            action="acknowledge_cases",
            form_class=cs_forms.AcknowledgeForm,
            title=_("受理工单"),
            submit=_("受理"),
            success=_("已受理 %(count)d 个工单。"),
            call=lambda case, data: case_acknowledge(case=case, actor=request.user, **data),
            initial=initial,
        )

    @admin.action(permissions=["assign"], description=_("指派责任人/改派"), location=BOTH)
    def assign_cases(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            action="assign_cases",
            form_class=cs_forms.AssignForm,
            title=_("指派工单"),
            submit=_("指派"),
            success=_("已指派 %(count)d 个工单。"),
            call=lambda case, data: case_assign(case=case, actor=request.user, **data),
        )

    @admin.action(permissions=["handle"], description=_("认领（由我处理）"), location=BOTH)
    def claim_cases(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda case: case_claim(case=case, actor=request.user),
            success=_("已认领 %(count)d 个工单。"),
        )

    @admin.action(permissions=["handle"], description=_("开始处理/恢复处理"), location=BOTH)
    def start_cases(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda case: case_start(case=case, actor=request.user),
            success=_("%(count)d 个工单处理中。"),
        )

    @admin.action(permissions=["handle"], description=_("等待客户/商家（暂停计时）"), location=BOTH)
    def pend_cases(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            action="pend_cases",
            form_class=cs_forms.PendForm,
            title=_("等待对方"),
            submit=_("确定"),
            success=_("%(count)d 个工单已暂停计时。"),
            call=lambda case, data: case_pend(case=case, actor=request.user, **data),
        )

    @admin.action(
        permissions=["handle"], description=_("解决（填写原因、结果、补偿）"), location=BOTH
    )
    def resolve_cases(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            action="resolve_cases",
            form_class=cs_forms.ResolveForm,
            title=_("解决工单"),
            submit=_("提交处理结果"),
            success=_("已解决 %(count)d 个工单。"),
            call=lambda case, data: case_resolve(case=case, actor=request.user, **data),
        )

    @admin.action(permissions=["handle"], description=_("回复客户/内部备注"), location=BOTH)
    def reply_to_cases(self, request, queryset):
        def reply(case, data):
            parts = [data["body"].strip()] if data["body"].strip() else []
            if data["canned"] is not None:
                parts.append(
                    canned_reply_render(body=data["canned"].body, case=case, agent=request.user)
                )
            return case_reply(
                case=case, actor=request.user, body="\n".join(parts), kind=data["kind"]
            )

        return self._form_action(
            request,
            queryset,
            action="reply_to_cases",
            form_class=cs_forms.StaffReplyForm,
            title=_("回复"),
            submit=_("发送"),
            success=_("已回复 %(count)d 个工单。"),
            call=reply,
        )

    @admin.action(permissions=["partner"], description=_("商家回复"), location=BOTH)
    def partner_reply(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            action="partner_reply",
            form_class=cs_forms.PartnerReplyForm,
            title=_("商家回复"),
            submit=_("提交回复"),
            success=_("已回复 %(count)d 个工单。"),
            call=lambda case, data: case_reply(
                case=case, actor=request.user, body=data["body"], kind=CaseEntry.Kind.PARTNER
            ),
        )

    @admin.action(permissions=["publish"], description=_("公开商家回复"), location=BOTH)
    def publish_partner_replies(self, request, queryset):
        entries = CaseEntry.objects.filter(
            case__in=queryset, kind=CaseEntry.Kind.PARTNER, is_public=False
        ).select_related("case")
        run_each(
            self,
            request,
            entries,
            lambda entry: case_entry_publish(entry=entry, actor=request.user),
            success=_("已公开 %(count)d 条商家回复。"),
        )

    @admin.action(permissions=["supervise"], description=_("不予受理并关闭"), location=BOTH)
    def reject_cases(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            action="reject_cases",
            form_class=cs_forms.ReasonForm,
            title=_("不予受理"),
            submit=_("确认"),
            success=_("已关闭 %(count)d 个工单。"),
            call=lambda case, data: case_reject(case=case, actor=request.user, **data),
        )

    @admin.action(permissions=["supervise"], description=_("合并到另一工单"), location=BOTH)
    def merge_cases(self, request, queryset):
        def merge(case, data):
            into = Case.objects.filter(number=data["into"].strip()).first()
            if into is None:
                raise ApplicationError(_("工单号不存在。"), code="case_not_found")
            return case_merge(case=case, into=into, actor=request.user, reason=data["reason"])

        return self._form_action(
            request,
            queryset,
            action="merge_cases",
            form_class=cs_forms.MergeForm,
            title=_("合并工单"),
            submit=_("合并"),
            success=_("已合并 %(count)d 个工单。"),
            call=merge,
        )

    @admin.action(permissions=["supervise"], description=_("调整优先级"), location=BOTH)
    def change_priority(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            action="change_priority",
            form_class=cs_forms.PriorityForm,
            title=_("调整优先级"),
            submit=_("确定"),
            success=_("已调整 %(count)d 个工单。"),
            call=lambda case, data: case_set_priority(case=case, actor=request.user, **data),
        )

    @admin.action(
        permissions=["handle"], description=_("补偿：部分退款（生成售后单）"), location=BOTH
    )
    def compensate_refund(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            action="compensate_refund",
            form_class=CompensationForm,
            title=_("部分退款补偿"),
            submit=_("生成售后单"),
            success=_("已为 %(count)d 个工单生成退款售后单。"),
            call=lambda case, data: case_compensate_refund(case=case, actor=request.user, **data),
        )

    @admin.action(permissions=["supervise"], description=_("解除批次暂停销售"), location=BOTH)
    def release_lot_hold(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            action="release_lot_hold",
            form_class=cs_forms.ReasonForm,
            title=_("解除批次暂停销售"),
            submit=_("解除"),
            success=_("已解除 %(count)d 个批次的暂停。"),
            call=lambda case, data: case_lot_release(case=case, actor=request.user, **data),
        )


class CompensationForm(forms.Form):
    amount = forms.DecimalField(label=_("退款金额（元）"), min_value=0.01, decimal_places=2)
    quantity = forms.IntegerField(label=_("涉及件数"), min_value=1, initial=1)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


def _linked_by_number(order_number: str, lot_number: str, *, store_ids=None) -> dict:
    """Order and lot typed by number; a merchant (`store_ids`) finds only its own stores'."""
    from apps.orders.models import Order
    from apps.traceability.models import Lot

    linked = {}
    orders = (
        Order.objects.all() if store_ids is None else Order.objects.filter(store_id__in=store_ids)
    )
    if order_number:
        order = orders.filter(number=order_number.strip()).first()
        if order is None:
            raise ApplicationError(_("订单号不存在。"), code="case_order_not_yours")
        linked["order"] = order
        linked["customer"] = order.buyer
    if lot_number:
        lots = Lot.objects.filter(lot_number=lot_number.strip())
        if store_ids is not None:
            lots = lots.filter(store_id__in=store_ids)
        if "order" in linked:
            lots = lots.filter(store_id=linked["order"].store_id)
        lot = lots.first()
        if lot is None:
            raise ApplicationError(_("批次号不存在。"), code="case_lot_unknown")
        linked["lot"] = lot
    return linked


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "priority",
        "first_response_minutes",
        "first_response_business",
        "resolution_minutes",
        "resolution_business",
        "callback_days",
    ]


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "name"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ["date", "is_workday", "name"]
    date_hierarchy = "date"

    def changelist_view(self, request, extra_context=None):
        for year in calendar_warnings():
            self.message_user(
                request,
                _(
                    "%(year)d 年的法定节假日和调休尚无数据"
                    "（内置的节假日数据未收录，本表也未填写），SLA 目前只按周一至周五计算。"
                    "请在本表录入该年的放假和调休日期。"
                )
                % {"year": year},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["title", "body"]


# --- callbacks, archives, surveys, dashboard ----------------------------------------------


class DueFilter(admin.SimpleListFilter):
    title = _("回访日期")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("today", _("今天及以前待回访")), ("overdue", _("已逾期"))]

    def queryset(self, request, queryset):
        if self.value() == "today":
            return queryset.filter(pk__in=callbacks_due().values("pk"))
        if self.value() == "overdue":
            return queryset.filter(is_overdue=True)
        return queryset


class CallbackEventInline(ReadOnlyTabularInline):
    model = CallbackEvent
    fields = ["created_at", "kind", "to_label", "actor", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("回访过程")

    def has_view_permission(self, request, obj=None):
        return True


@admin.register(CallbackVisit)
class CallbackVisitAdmin(admin.ModelAdmin):
    list_display = [
        "due_date",
        "kind",
        "required_role",
        "customer",
        "case",
        "status",
        "attempts",
        "score",
        "is_overdue",
        "evaluate_link",
    ]
    list_filter = [DueFilter, "kind", "status", "required_role", "is_overdue"]
    list_select_related = ["customer", "case"]
    search_fields = ["case__number", "customer__phone", "customer__name", "contact_phone"]
    readonly_fields = [
        "kind",
        "required_role",
        "status",
        "customer",
        "case",
        "contact_phone",
        "due_date",
        "form",
        "attempts",
        "score",
        "answers",
        "note",
        "completed_at",
        "completed_by",
        "is_overdue",
    ]
    fields = ["assigned_to", *readonly_fields]
    inlines = [CallbackEventInline]
    actions = ["mark_attempt_failed"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "<int:pk>/evaluate/",
                self.admin_site.admin_view(self.evaluate_view),
                name="customer_service_callbackvisit_evaluate",
            ),
            path(
                "<int:pk>/print/",
                self.admin_site.admin_view(self.print_view),
                name="customer_service_callbackvisit_print",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("评价表"))
    def evaluate_link(self, visit: CallbackVisit) -> str:
        if visit.status == CallbackVisit.Status.SCHEDULED:
            url = reverse("admin:customer_service_callbackvisit_evaluate", args=[visit.pk])
            return format_html('<a href="{}">{}</a>', url, _("填写"))
        url = reverse("admin:customer_service_callbackvisit_print", args=[visit.pk])
        return format_html('<a href="{}">{}</a>', url, _("打印"))

    def _visit(self, request, pk) -> CallbackVisit:
        if not self.has_change_permission(request):
            raise Http404
        visit = CallbackVisit.objects.select_related("form", "case", "customer").filter(pk=pk)
        visit = visit.first()
        if visit is None:
            raise Http404
        return visit

    def evaluate_view(self, request, pk):
        visit = self._visit(request, pk)
        questions = list(visit.form.questions) if visit.form else []
        form = cs_forms.EvaluationAnswerForm(request.POST or None, questions=questions)
        if request.method == "POST" and form.is_valid():
            try:
                callback_complete(
                    visit=visit,
                    actor=request.user,
                    score=int(form.cleaned_data["score"]),
                    answers=form.answers(),
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("回访评价已归档。"), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:customer_service_callbackvisit_print", args=[visit.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("回访评价表"),
            "intro": _("评分 1–5，并回答评价表的每个问题；提交后归档，可打印。"),
            "submit_label": _("提交并归档"),
            "opts": self.opts,
            "form": form,
            "visit": visit,
        }
        return TemplateResponse(request, "admin/customer_service/case_register.html", context)

    def print_view(self, request, pk):
        visit = self._visit(request, pk)
        return TemplateResponse(
            request,
            "customer_service/callback_print.html",
            {"visit": visit, "answers": list((visit.answers or {}).items())},
        )

    @admin.action(permissions=["change"], description=_("记一次未联系上（三次后结束）"))
    def mark_attempt_failed(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda visit: callback_attempt_failed(visit=visit, actor=request.user),
            success=_("已记录 %(count)d 次未联系上。"),
        )


@admin.register(EvaluationForm)
class EvaluationFormAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]


class TierForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("人工等级"), choices=[("", _("取消人工调整")), *Tier.choices], required=False
    )
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


@admin.register(CustomerProfile)
class CustomerProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "tier_display",
        "tier_computed",
        "tier_override",
        "purchases_12m",
        "credit_rating",
        "account_manager",
    ]
    list_filter = ["tier_computed", "tier_override", "credit_rating"]
    list_select_related = ["user", "account_manager"]
    search_fields = ["user__name", "user__email"]
    # Confidential fields never appear here; the "查看保密信息" page logs each view.
    fields = [
        "user",
        "organisation",
        "account_manager",
        "credit_rating",
        "notes",
        "tier_computed",
        "purchases_12m",
        "tier_override",
        "tier_override_reason",
        "history",
    ]
    readonly_fields = [
        "user",
        "tier_computed",
        "purchases_12m",
        "tier_override",
        "tier_override_reason",
        "history",
    ]
    raw_id_fields = ["organisation", "account_manager"]
    actions = ["override_tier"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_override_permission(self, request) -> bool:
        return request.user.has_perm("customer_service.override_tier")

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "<int:pk>/confidential/",
                self.admin_site.admin_view(self.confidential_view),
                name="customer_service_customerprofile_confidential",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("等级"))
    def tier_display(self, profile: CustomerProfile) -> str:
        return profile.tier or "—"

    @admin.display(description=_("投诉与订单"))
    def history(self, profile: CustomerProfile) -> str:
        cases = reverse("admin:customer_service_case_changelist")
        orders = reverse("admin:orders_order_changelist")
        secret = reverse("admin:customer_service_customerprofile_confidential", args=[profile.pk])
        return format_html(
            '<a href="{}?customer__id__exact={}">{}</a> · <a href="{}?buyer__id__exact={}">{}</a>'
            ' · <a href="{}">{}</a>',
            cases,
            profile.user_id,
            _("历史投诉"),
            orders,
            profile.user_id,
            _("交易记录"),
            secret,
            _("查看保密信息（留痕）"),
        )

    def confidential_view(self, request, pk):
        profile = CustomerProfile.objects.filter(pk=pk).first()
        if profile is None or not self.has_view_permission(request):
            raise Http404
        try:
            values = customer_confidential_read(profile=profile, actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:customer_service_customerprofile_change", args=[pk])
            )
        labels = {name: CustomerProfile._meta.get_field(name).verbose_name for name in values}
        context = {
            **self.admin_site.each_context(request),
            "title": _("客户保密信息"),
            "opts": self.opts,
            "profile": profile,
            "rows": [(labels[name], value) for name, value in values.items()],
        }
        return TemplateResponse(request, "admin/customer_service/confidential.html", context)

    @admin.action(permissions=["override"], description=_("人工调整等级（需填写原因）"))
    def override_tier(self, request, queryset):
        if "apply" in request.POST:
            form = TierForm(request.POST)
            if form.is_valid():
                run_each(
                    self,
                    request,
                    queryset,
                    lambda profile: customer_tier_override(
                        profile=profile,
                        actor=request.user,
                        tier=form.cleaned_data["tier"],
                        reason=form.cleaned_data["reason"],
                    ),
                    success=_("已调整 %(count)d 位客户的等级。"),
                )
                return None
        else:
            form = TierForm()
        return render_action_form(
            self,
            request,
            queryset,
            action="override_tier",
            title=_("人工调整等级"),
            form=form,
            submit_label=_("确定"),
        )


@admin.register(ConfidentialAccess)
class ConfidentialAccessAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "profile", "is_granted"]
    list_filter = ["is_granted"]
    list_select_related = ["user", "profile__user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "is_active", "created_at", "response_count"]
    readonly_fields = ["results"]
    actions = ["invite_recent_customers"]

    @admin.display(description=_("回答数"))
    def response_count(self, survey: Survey) -> int:
        return survey.responses.count()

    @admin.display(description=_("汇总"))
    def results(self, survey: Survey) -> str:
        if survey.pk is None:
            return "—"
        rows = []
        for row in survey_results(survey):
            if row["kind"] == "score":
                average = row["average"] if row["average"] is not None else "—"
                value = _("%(avg)s 分（%(n)d 人）") % {"avg": average, "n": row["count"]}
            else:
                value = "；".join(row["answers"][:10])
            rows.append((row["text"], value))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}：{}</li>", rows))

    @admin.action(permissions=["change"], description=_("邀请近 30 天有投诉结案的客户"))
    def invite_recent_customers(self, request, queryset):
        since = timezone.now() - timedelta(days=30)
        users = User.objects.filter(
            service_cases__resolved_at__gte=since, is_active=True
        ).distinct()
        for survey in queryset:
            count = survey_invite(survey=survey, users=users)
            self.message_user(request, _("「%(s)s」已邀请 %(n)d 人。") % {"s": survey, "n": count})


def dashboard_view(request):
    """The figures: by category, store, product and lot; SLA met; medians; reopen rate;
    callback completion; satisfaction; trend by week (table and CSV)."""
    if not request.user.has_perm("customer_service.view_service_dashboard"):
        raise Http404
    days = int(request.GET.get("days", "90")) if request.GET.get("days", "").isdigit() else 90
    board = service_dashboard(days=days)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="service-weekly.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([_("周"), _("新增"), _("已解决"), _("按时解决")])
        for row in board.weekly:
            writer.writerow([row["week"].date(), row["opened"], row["resolved"], row["in_time"]])
        writer.writerow([])
        writer.writerow([_("类别"), _("数量")])
        writer.writerows(board.by_category)
        return response
    context = {
        **admin.site.each_context(request),
        "title": _("客服统计"),
        "board": board,
        "chart_data": {
            "labels": {
                "opened": str(_("新增")),
                "resolved": str(_("已解决")),
                "in_time": str(_("按时解决")),
            },
            "weeks": [row["week"].date().isoformat() for row in board.weekly],
            "opened": [row["opened"] for row in board.weekly],
            "resolved": [row["resolved"] for row in board.weekly],
            "in_time": [row["in_time"] for row in board.weekly],
            "categories": [label for label, _n in board.by_category],
            "category_counts": [n for _label, n in board.by_category],
        },
        "tables": [
            (_("按类别"), board.by_category),
            (_("按店铺"), board.by_store),
            (_("按商品"), board.by_product),
            (_("按批次"), board.by_lot),
        ],
        "days": days,
    }
    return TemplateResponse(request, "admin/customer_service/dashboard.html", context)
