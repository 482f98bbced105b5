"""Third-party apps, their API tokens and call log, and the webhooks sent to them.

An `App` belongs to one store (an integration a merchant uses: an ERP, a listing tool) or to
the platform (a county system: the logistics park, the market-price office). Its tokens act as
the app's `acting_user` — a member of the app's store, or a platform service account staff
chose — and each token's scopes narrow what that user may do through the API.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import AppendOnlyModel, StatusEvent, TimeStampedModel
from apps.open_platform.errors import OpenPlatformErrorCode
from apps.open_platform.scopes import EventType, Scope


class App(TimeStampedModel):
    name = models.CharField(_("应用名称"), max_length=80)
    # Empty: a platform app (county systems), registered by staff only.
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="open_apps",
        verbose_name=_("所属店铺"),
        help_text=_("留空表示平台应用（仅平台运营可登记）。"),
    )
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("代表的账号"),
        help_text=_("令牌以此账号的身份调用接口；店铺应用须为该店铺的成员。"),
    )
    contact_name = models.CharField(_("联系人"), max_length=40)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )

    class Meta:
        verbose_name = _("第三方应用")
        verbose_name_plural = _("第三方应用")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class AppToken(models.Model):
    """An API token: shown once, stored as its prefix (to find it) and SHA-256 (to check it)."""

    app = models.ForeignKey(
        App, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("应用")
    )
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(_("令牌前缀"), max_length=16, unique=True)
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("权限范围"), default=list)
    # Empty: the setting OPEN_PLATFORM_TOKEN_RATE ("600/m").
    rate = models.CharField(
        _("频率限制"), max_length=20, blank=True, help_text=_("如 600/m；留空用平台默认值。")
    )
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("吊销人"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("应用令牌")
        verbose_name_plural = _("应用令牌")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} (tj_{self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > timezone.now())
            and self.app.is_active
        )

    @property
    def throttle_key(self) -> str:
        """The rate-limit counter of this token (apps/core/throttling.py reads it)."""
        return f"app-token:{self.pk}"

    def scope_labels(self) -> str:
        labels = dict(Scope.choices)
        return "、".join(str(labels.get(scope, scope)) for scope in self.scopes)


class ApiCallLog(models.Model):
    """One row per API call made with an app token (written by ApiCallLogMiddleware)."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+", verbose_name=_("应用"))
    token = models.ForeignKey(
        AppToken, on_delete=models.CASCADE, related_name="calls", verbose_name=_("令牌")
    )
    scope = models.CharField(_("所需权限"), max_length=30, blank=True)
    method = models.CharField(_("方法"), max_length=10)
    path = models.CharField(_("路径"), max_length=300)
    status_code = models.PositiveSmallIntegerField(_("状态码"))
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("接口调用记录")
        verbose_name_plural = _("接口调用记录")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code}"


class WebhookSubscription(TimeStampedModel):
    """An app's subscription: paused (after repeated failures or a delivery given up) and
    resumed through core.transitions, each move a WebhookSubscriptionEvent row."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        PAUSED = "paused", _("已暂停")

    TRANSITIONS = {Status.ACTIVE: {Status.PAUSED}, Status.PAUSED: {Status.ACTIVE}}
    TRANSITION_ERROR_CODE = OpenPlatformErrorCode.INVALID_TRANSITION
    STATUS_TIMESTAMPS = {Status.PAUSED: "paused_at"}
    EVENTS_RELATED_NAME = "status_changes"  # `events` is the list of event types subscribed

    app = models.ForeignKey(
        App, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("应用")
    )
    url = models.URLField(_("接收地址"), max_length=500)
    events = models.JSONField(_("订阅事件"), default=list)
    secret = models.CharField(_("签名密钥"), max_length=64, editable=False)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    paused_reason = models.CharField(_("暂停原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("事件订阅")
        verbose_name_plural = _("事件订阅")
        ordering = ["app", "pk"]

    def __str__(self) -> str:
        return f"{self.app} → {self.url}"

    @property
    def is_paused(self) -> bool:
        return self.status == self.Status.PAUSED

    def event_labels(self) -> str:
        labels = dict(EventType.choices)
        return "、".join(str(labels.get(event, event)) for event in self.events)


class WebhookSubscriptionEvent(StatusEvent):
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="status_changes"
    )

    class Meta(StatusEvent.Meta):
        verbose_name = verbose_name_plural = _("事件订阅记录")


class WebhookEvent(AppendOnlyModel):
    """A fact an app may hear about, written in the transaction of the change that made it.
    Append-only: what was announced is never rewritten (a redelivery sends the same row)."""

    # A deleted store leaves its events without a store: the one in-place change allowed.
    APPEND_ONLY_UPDATABLE = ("store",)

    event_id = models.UUIDField(_("事件编号"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("事件类型"), max_length=30, choices=EventType.choices)
    # Empty: a platform-wide fact (a price alert), sent to every subscriber of its type.
    store = models.ForeignKey(
        "stores.Store",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("店铺"),
    )
    payload = models.JSONField(_("内容"))
    # Set where one fact may be announced twice (a price alert rebuilt by a rerun).
    key = models.CharField(_("去重键"), max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("开放平台事件")
        verbose_name_plural = _("开放平台事件")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(TimeStampedModel):
    """One event on its way to one subscription; retried until it succeeds or is given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待投递")
        SUCCEEDED = "succeeded", _("已送达")
        FAILED = "failed", _("已放弃")
        HELD = "held", _("订阅暂停，暂缓投递")

    # Sent, given up or held, a delivery goes back to pending only when it is queued again
    # (resume, redelivery by hand), with a fresh round.
    TRANSITIONS = {
        Status.PENDING: {Status.SUCCEEDED, Status.FAILED, Status.HELD},
        Status.HELD: {Status.PENDING},
        Status.SUCCEEDED: {Status.PENDING},
        Status.FAILED: {Status.PENDING},
    }
    TRANSITION_ERROR_CODE = OpenPlatformErrorCode.INVALID_TRANSITION
    STATUS_TIMESTAMPS = {Status.SUCCEEDED: "delivered_at"}

    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("订阅"),
    )
    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("事件")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Attempts since it was (re)queued; the back-off and the give-up count read it.
    attempts = models.PositiveIntegerField(_("本轮尝试次数"), default=0)
    # Every hand redelivery starts a round: its outbox message key carries the round.
    round = models.PositiveIntegerField(_("投递轮次"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事件投递")
        verbose_name_plural = _("事件投递")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_once_per_subscription"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}"


class WebhookDeliveryEvent(StatusEvent):
    """Every move of a delivery (and each failed attempt that will be retried)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = verbose_name_plural = _("事件投递记录")


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery and what came back (kept for the owner to read)."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("投递"),
    )
    url = models.CharField(_("地址"), max_length=500)
    request_headers = models.JSONField(_("请求头"))
    request_body = models.TextField(_("请求体"))
    status_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    response_body = models.TextField(_("响应体（截断）"), blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("投递尝试")
        verbose_name_plural = _("投递尝试")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
