"""Customer service (客服): complaint cases with their SLA and escalation, replies and notes.

A case follows DOMAIN.md's unified complaint procedure: receive and apologise (acknowledge,
recording time, place, people, event and contact), assign a responsible person, follow up,
resolve with root cause / resolution / compensation, let the customer confirm, call back with
an evaluation form, close. Every move is a `CaseEvent` written by apps.core.transitions.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.models import AppendOnlyModel, StatusEvent, TimeStampedModel
from apps.customer_service.errors import CallbackErrorCode, CaseErrorCode


class Priority(models.TextChoices):
    P1 = "p1", _("P1 紧急")
    P2 = "p2", _("P2 重要")
    P3 = "p3", _("P3 一般")


class SlaPolicy(models.Model):
    """Due times per priority (DOMAIN.md defaults, editable by staff in the admin).

    Each clock is a number of minutes, counted either on the wall clock or in working minutes
    of the business calendar (working days × CUSTOMER_SERVICE_WORKDAY_START..END).
    """

    priority = models.CharField(_("优先级"), max_length=2, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(_("首次响应时限（分钟）"))
    first_response_business = models.BooleanField(_("首次响应按工作时间计"), default=True)
    resolution_minutes = models.PositiveIntegerField(_("解决时限（分钟）"))
    resolution_business = models.BooleanField(_("解决时限按工作时间计"), default=True)
    callback_days = models.PositiveIntegerField(_("解决后回访时限（天）"), default=3)

    class Meta:
        verbose_name = _("SLA 时限")
        verbose_name_plural = _("SLA 时限")
        ordering = ["priority"]

    def __str__(self) -> str:
        return self.get_priority_display()


class CalendarDay(models.Model):
    """A day whose working status staff set by hand: holidays and make-up working days (调休)
    of years the chinesecalendar package does not know yet, or a correction of one it does."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是工作日"), help_text=_("调休上班选“是”，放假选“否”。"))
    name = models.CharField(_("说明"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


def _public_key() -> str:
    return secrets.token_urlsafe(24)


class Case(TimeStampedModel):
    class Status(models.TextChoices):
        NEW = "new", _("新建")
        ACKNOWLEDGED = "acknowledged", _("已受理")
        ASSIGNED = "assigned", _("已指派")
        IN_PROGRESS = "in_progress", _("处理中")
        PENDING_CUSTOMER = "pending_customer", _("待客户补充")
        PENDING_PARTNER = "pending_partner", _("待商家处理")
        RESOLVED = "resolved", _("已解决")
        REOPENED = "reopened", _("已重开")
        CONFIRMED = "confirmed", _("客户已确认")
        CALLBACK_DONE = "callback_done", _("已回访")
        REJECTED = "rejected", _("不予受理")
        MERGED = "merged", _("已合并")
        CLOSED = "closed", _("已关闭")

    class Channel(models.TextChoices):
        PHONE = "phone", _("电话")
        WEB = "web", _("网页表单")
        IN_ORDER = "in_order", _("订单内")
        TRACE_PAGE = "trace_page", _("追溯页")
        AFTERSALE = "aftersale", _("售后单")
        MERCHANT = "merchant", _("商家提交")
        WALK_IN = "walk_in", _("来访")

    class Category(models.TextChoices):
        QUALITY = "quality", _("质量")
        DELIVERY = "delivery", _("配送")
        SERVICE = "service", _("服务")
        PRICE = "price", _("价格")
        FOOD_SAFETY = "food_safety", _("食品安全")
        OTHER = "other", _("其他")

    TRANSITIONS = {
        Status.NEW: {Status.ACKNOWLEDGED, Status.REJECTED, Status.MERGED},
        Status.ACKNOWLEDGED: {Status.ASSIGNED, Status.REJECTED, Status.MERGED},
        Status.ASSIGNED: {Status.IN_PROGRESS, Status.REJECTED, Status.MERGED},
        Status.IN_PROGRESS: {Status.PENDING_CUSTOMER, Status.PENDING_PARTNER, Status.RESOLVED},
        Status.PENDING_CUSTOMER: {Status.IN_PROGRESS},
        Status.PENDING_PARTNER: {Status.IN_PROGRESS},
        Status.RESOLVED: {Status.CONFIRMED, Status.REOPENED},
        Status.REOPENED: {Status.IN_PROGRESS},
        Status.CONFIRMED: {Status.CALLBACK_DONE},
        Status.CALLBACK_DONE: {Status.CLOSED},
        Status.REJECTED: {Status.CLOSED},
        Status.MERGED: {Status.CLOSED},
        Status.CLOSED: set(),
    }
    TRANSITION_ERROR_CODE = CaseErrorCode.INVALID_TRANSITION
    STATUS_TIMESTAMPS = {
        Status.ACKNOWLEDGED: "acknowledged_at",
        Status.ASSIGNED: "assigned_at",
        Status.RESOLVED: "resolved_at",
        Status.CONFIRMED: "confirmed_at",
        Status.CLOSED: "closed_at",
    }
    # The SLA clock stops in these (waiting on someone else) and in every finished state.
    PAUSED_STATUSES = frozenset({Status.PENDING_CUSTOMER, Status.PENDING_PARTNER})
    # Before resolution: the states the SLA monitor watches.
    OPEN_STATUSES = frozenset(
        {
            Status.NEW,
            Status.ACKNOWLEDGED,
            Status.ASSIGNED,
            Status.IN_PROGRESS,
            Status.REOPENED,
        }
    )
    FINISHED_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})
    MAX_ESCALATION = 3

    number = models.CharField(_("工单号"), max_length=32, unique=True)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    priority = models.CharField(_("优先级"), max_length=2, choices=Priority.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    # Who the case is about. Anonymous filings have no customer, only a verified phone.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_cases",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_phone_verified = models.BooleanField(_("电话已验证"), default=False)
    occurred_at = models.DateTimeField(_("发生时间"), null=True, blank=True)
    place = models.CharField(_("发生地点"), max_length=200, blank=True)
    people = models.CharField(_("涉及人员"), max_length=200, blank=True)
    subject = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("问题描述"), max_length=2000)
    store = models.ForeignKey(
        "stores.Store",
        verbose_name=_("店铺"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_cases",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("订单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_cases",
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("订单商品"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_cases",
    )
    lot = models.ForeignKey(
        "traceability.Lot",
        verbose_name=_("批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_cases",
    )
    aftersale = models.ForeignKey(
        "aftersales.AfterSale",
        verbose_name=_("售后单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_cases",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理客服"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_service_cases",
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_service_cases",
    )
    # SLA: due times move forward by the time a case spends paused (pending_*).
    first_response_due = models.DateTimeField(_("首次响应截止"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("解决截止"), null=True, blank=True)
    callback_due = models.DateTimeField(_("回访截止"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停计时于"), null=True, blank=True)
    paused_minutes = models.PositiveIntegerField(_("累计暂停（分钟）"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("升级级别"), default=0)
    escalated_at = models.DateTimeField(_("最近升级时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("指派时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重开次数"), default=0)
    root_cause = models.TextField(_("原因分析"), max_length=1000, blank=True)
    resolution = models.TextField(_("处理结果"), max_length=1000, blank=True)
    compensation = models.CharField(_("补偿"), max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
    )
    # Whether a merchant's reply waits for staff before the customer sees it.
    partner_replies_reviewed = models.BooleanField(_("商家回复需审核"), default=True)
    # Lets an anonymous filer follow the case without an account (the link is the secret).
    public_key = models.CharField(max_length=40, unique=True, default=_public_key, editable=False)

    class Meta:
        verbose_name = _("客服工单")
        verbose_name_plural = _("客服工单")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("assign_case", _("可指派/改派工单")),
            ("supervise_case", _("可驳回、合并工单和解除批次暂停")),
            ("reply_case_as_partner", _("可作为商家回复本店工单")),
            ("view_service_dashboard", _("可查看客服统计")),
        ]
        indexes = [
            models.Index(fields=["status", "first_response_due"], name="case_first_due_idx"),
            models.Index(fields=["status", "resolution_due"], name="case_resolution_due_idx"),
            models.Index(fields=["customer", "-created_at"], name="case_customer_idx"),
            models.Index(fields=["store", "status"], name="case_store_idx"),
            # "Mine" and "unassigned" queues: per status, in due order (replaces owner+status).
            models.Index(fields=["owner", "status", "resolution_due"], name="case_owner_due_idx"),
            # Earlier cases of an anonymous filer (by phone) beside the case page. Partial, so
            # the SLA monitor's updates of customers' cases never touch it.
            models.Index(
                fields=["contact_phone", "-created_at"],
                condition=Q(customer__isnull=True),
                name="case_anonymous_phone_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(escalation_level__lte=3), name="case_escalation_level_0_3"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("customer_service:case_detail", kwargs={"number": self.number})

    @property
    def is_paused(self) -> bool:
        return self.status in self.PAUSED_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES or self.is_paused


class CaseEvent(StatusEvent):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")

    # What the back office's timeline calls the facts that are not moves (event_record kinds).
    KIND_LABELS = {
        "status": _("状态变更"),
        "claim": _("认领"),
        "reassign": _("改派"),
        "escalation": _("超时升级"),
        "compensation": _("补偿"),
        "lot_hold": _("批次暂停销售"),
        "lot_release": _("解除批次暂停"),
        "merged_in": _("并入重复工单"),
        "priority": _("调整优先级"),
        "publish": _("公开商家回复"),
    }

    @property
    def to_label(self) -> str:
        return Case.Status(self.to_status).label if self.to_status else ""

    @property
    def kind_label(self) -> str:
        return str(self.KIND_LABELS.get(self.kind, self.kind))


class CaseEntry(models.Model):
    """A message on a case: a public reply, an internal note, the customer's addition, a
    merchant's reply (public once staff release it, or at once if the case is so set)."""

    class Kind(models.TextChoices):
        PUBLIC_REPLY = "public_reply", _("公开回复")
        INTERNAL_NOTE = "internal_note", _("内部备注")
        CUSTOMER = "customer", _("客户补充")
        PARTNER = "partner", _("商家回复")
        SYSTEM = "system", _("系统")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作者"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("内容"), max_length=2000)
    is_public = models.BooleanField(_("客户可见"), default=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("工单留言")
        verbose_name_plural = _("工单留言")
        ordering = ["created_at", "id"]
        permissions = [("publish_caseentry", _("可公开商家回复"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class CaseAttachment(models.Model):
    """A photo added to a case (checked and re-encoded like every uploaded image)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(
        CaseEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    image = models.ImageField(_("图片"), upload_to="service/%Y/%m/")
    thumbnail = models.ImageField(_("缩略图"), upload_to="service/thumbs/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("工单图片")
        verbose_name_plural = _("工单图片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class CannedReply(models.Model):
    """A reply template; {customer}, {case}, {agent} are filled in when used."""

    title = models.CharField(_("标题"), max_length=60, unique=True)
    body = models.TextField(_("内容"), max_length=2000)
    category = models.CharField(
        _("适用类别"), max_length=12, choices=Case.Category.choices, blank=True
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("快捷回复")
        verbose_name_plural = _("快捷回复")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


# --- callbacks, archives, surveys ---------------------------------------------------------


class Tier(models.TextChoices):
    A = "A", _("A 类（重点客户）")
    B = "B", _("B 类")
    C = "C", _("C 类")


class EvaluationForm(models.Model):
    """The questions asked on a callback (besides the 1–5 score)."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    questions = models.JSONField(_("问题"), default=list, help_text=_("问题文字的列表"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("回访评价表")
        verbose_name_plural = _("回访评价表")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CallbackVisit(TimeStampedModel):
    """A callback or visit with its evaluation form, kept as the archived record."""

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉回访")
        KEY_ACCOUNT = "key_account", _("重点客户季度回访")
        PRESIDENT = "president", _("总经理年度走访")
        SURVEY = "survey", _("满意度电话调查")

    class Role(models.TextChoices):
        AGENT = "agent", _("客服专员")
        SENIOR_MANAGER = "senior_manager", _("高级经理")
        PRESIDENT = "president", _("总经理")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("待回访")
        DONE = "done", _("已完成")
        UNREACHABLE = "unreachable", _("三次未联系上")
        CANCELLED = "cancelled", _("已取消")

    TRANSITIONS = {
        Status.SCHEDULED: {Status.DONE, Status.UNREACHABLE, Status.CANCELLED},
        Status.DONE: set(),
        Status.UNREACHABLE: set(),
        Status.CANCELLED: set(),
    }
    TRANSITION_ERROR_CODE = CallbackErrorCode.INVALID_TRANSITION
    STATUS_TIMESTAMPS = {Status.DONE: "completed_at", Status.UNREACHABLE: "completed_at"}
    MAX_ATTEMPTS = 3

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    required_role = models.CharField(_("执行角色"), max_length=16, choices=Role.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_callbacks",
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("工单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
    )
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    due_date = models.DateField(_("应回访日期"), db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("执行人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    form = models.ForeignKey(
        EvaluationForm, verbose_name=_("评价表"), on_delete=models.PROTECT, null=True, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("未接通次数"), default=0)
    score = models.PositiveSmallIntegerField(_("评分（1–5）"), null=True, blank=True)
    answers = models.JSONField(_("评价表回答"), default=dict, blank=True)
    note = models.TextField(_("回访记录"), max_length=2000, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_overdue = models.BooleanField(_("已逾期"), default=False, db_index=True)
    # Makes scheduling idempotent: one visit per customer, kind and period.
    schedule_key = models.CharField(max_length=80, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=1) & Q(score__lte=5)),
                name="callback_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_date}"


class CallbackEvent(StatusEvent):
    visit = models.ForeignKey(CallbackVisit, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")


class CustomerProfile(TimeStampedModel):
    """A customer's archive. Transaction history is a query over orders, never a copy."""

    class CreditRating(models.TextChoices):
        GOOD = "good", _("良好")
        NORMAL = "normal", _("一般")
        POOR = "poor", _("较差")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="service_profile",
    )
    organisation = models.ForeignKey(
        "wholesale.BuyerOrganisation",
        verbose_name=_("批发采购单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_service_profiles",
    )
    credit_rating = models.CharField(
        _("信用等级"), max_length=8, choices=CreditRating.choices, default=CreditRating.NORMAL
    )
    tier_computed = models.CharField(_("计算等级"), max_length=1, choices=Tier.choices, blank=True)
    tier_override = models.CharField(_("人工等级"), max_length=1, choices=Tier.choices, blank=True)
    tier_override_reason = models.CharField(_("人工调整原因"), max_length=200, blank=True)
    purchases_12m = models.DecimalField(
        _("近 12 个月实付"), max_digits=14, decimal_places=2, default=0
    )
    tier_computed_at = models.DateTimeField(_("等级计算时间"), null=True, blank=True)
    notes = models.TextField(_("备注"), max_length=2000, blank=True)
    # Confidential: shown only with view_confidential_customerprofile, and every view logged.
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    credit_notes = models.TextField(_("信用备注"), max_length=1000, blank=True)

    CONFIDENTIAL_FIELDS = ("contact_phone", "address", "credit_notes")

    class Meta:
        verbose_name = _("客户档案")
        verbose_name_plural = _("客户档案")
        ordering = ["-purchases_12m", "id"]
        permissions = [
            ("view_confidential_customerprofile", _("可查看客户档案中的保密信息")),
            ("override_tier", _("可人工调整客户等级")),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def tier(self) -> str:
        return self.tier_override or self.tier_computed


class ConfidentialAccess(AppendOnlyModel):
    """Who looked at (or tried to look at) a customer's confidential fields, and when."""

    profile = models.ForeignKey(
        CustomerProfile, on_delete=models.CASCADE, related_name="confidential_accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    is_granted = models.BooleanField(_("已允许"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    APPEND_ONLY_UPDATABLE = ("user",)

    class Meta:
        verbose_name = _("保密信息查看记录")
        verbose_name_plural = _("保密信息查看记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.profile_id}"


class Survey(TimeStampedModel):
    """A satisfaction survey: staff write the questions, customers answer once by link."""

    title = models.CharField(_("标题"), max_length=100)
    questions = models.JSONField(
        _("问题"),
        default=list,
        help_text=_(
            'JSON 列表，每项一道题：{"text": "配送速度满意吗？", "kind": "score"} 是评分题，'
            '{"text": "还有什么建议？", "kind": "text"} 是文字题'
        ),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class SurveyInvite(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invites")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_invites"
    )
    token = models.CharField(max_length=40, unique=True, default=_public_key, editable=False)
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    used_at = models.DateTimeField(_("填写时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调查邀请")
        verbose_name_plural = _("调查邀请")
        constraints = [
            models.UniqueConstraint(fields=["survey", "user"], name="uniq_survey_invite_user"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.user_id}"

    def get_absolute_url(self) -> str:
        return reverse("customer_service:survey_answer", kwargs={"token": self.token})


class SurveyResponse(models.Model):
    invite = models.OneToOneField(SurveyInvite, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    answers = models.JSONField(_("回答"), default=list)
    average_score = models.DecimalField(
        _("平均分"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("调查回答")
        verbose_name_plural = _("调查回答")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.survey_id} #{self.pk}"
