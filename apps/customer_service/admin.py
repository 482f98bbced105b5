"""Back office of customer service: the case queue and one action per move.

Staff (客服专员/主管/经理/总监, 平台运营) see every case; a merchant sees only the cases
about its own stores (apps.customer_service.selectors.case_list_for_user), never the internal
notes, and may only answer them. Every action calls one service; a refusal becomes a message.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyTabularInline, render_action_form, run_each
from apps.core.errors import ApplicationError
from apps.customer_service import forms as cs_forms
from apps.customer_service.models import (
    CalendarDay,
    CannedReply,
    Case,
    CaseAttachment,
    CaseEntry,
    CaseEvent,
    SlaPolicy,
)
from apps.customer_service.selectors import (
    QUEUES,
    calendar_warnings,
    case_list_for_user,
    case_next_due,
    case_queue,
    sla_colour,
    user_is_service_staff,
)
from apps.customer_service.services import (
    canned_reply_render,
    case_acknowledge,
    case_assign,
    case_claim,
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
from apps.customer_service.services.cases import (
    ASSIGN_PERMISSION,
    PARTNER_PERMISSION,
    PUBLISH_PERMISSION,
    SUPERVISE_PERMISSION,
)

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
        if not self.has_add_permission(request) or not user_is_service_staff(request.user):
            raise Http404
        form = cs_forms.CaseRegisterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                case = case_open(
                    channel=data["channel"],
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
                    **_linked_by_number(data["order_number"], data["lot_number"]),
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


def _linked_by_number(order_number: str, lot_number: str) -> dict:
    """Order and lot an agent typed by number (looked up through their own apps' models)."""
    from apps.orders.models import Order
    from apps.traceability.models import Lot

    linked = {}
    if order_number:
        order = Order.objects.filter(number=order_number.strip()).first()
        if order is None:
            raise ApplicationError(_("订单号不存在。"), code="case_order_not_yours")
        linked["order"] = order
        linked["customer"] = order.buyer
    if lot_number:
        lots = Lot.objects.filter(lot_number=lot_number.strip())
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
                    "（chinesecalendar 未收录，本表也未填写），SLA 目前只按周一至周五计算。"
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
