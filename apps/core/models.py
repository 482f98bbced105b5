"""Base models shared by every app: timestamps, the append-only base and the one event row.

Every ledger, hash chain and event table derives from `AppendOnlyModel`; every state machine
writes its moves as rows of a `StatusEvent` subclass through `apps.core.transitions`.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError

APPEND_ONLY_CODE = "append_only"


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(ApplicationError):
    """A row of an append-only table was about to be changed or deleted."""

    def __init__(self, message=None, *, code: str = APPEND_ONLY_CODE, **kwargs) -> None:
        super().__init__(message or _("这条记录只能追加，不能修改或删除。"), code=code, **kwargs)


class AppendOnlyQuerySet(models.QuerySet):
    """Set-based updates and deletes are refused, except of the columns a model declares
    in `APPEND_ONLY_UPDATABLE` (bookkeeping links such as the statement an entry was collected
    into, or forgetting a deleted account).

    Raw SQL can still change rows; tables that must prove they were not touched (the trace
    chain) carry hashes that detect it.
    """

    def update(self, **kwargs):
        if not set(kwargs) <= set(getattr(self.model, "APPEND_ONLY_UPDATABLE", ())):
            raise self.model.append_only_error()
        return super().update(**kwargs)

    def delete(self):
        raise self.model.append_only_error()

    update.queryset_only = True
    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """Rows are inserted once and never changed or deleted through the ORM."""

    # Column names a set-based update may still change (see AppendOnlyQuerySet).
    APPEND_ONLY_UPDATABLE: Iterable[str] = ()
    # Subclasses may give their own error (message and code) for a refused change.
    APPEND_ONLY_MESSAGE = None
    APPEND_ONLY_CODE = APPEND_ONLY_CODE

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.append_only_error()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.append_only_error()

    @classmethod
    def append_only_error(cls) -> AppendOnlyError:
        return AppendOnlyError(cls.APPEND_ONLY_MESSAGE, code=cls.APPEND_ONLY_CODE)


class StatusEvent(AppendOnlyModel):
    """One row per state change of a stateful object (and notable facts about it): from, to,
    who, why and a JSON payload. Subclasses add the foreign key to their object with
    `related_name="events"` (what `apps.core.transitions.transition` writes through)."""

    STATUS_LENGTH = 30
    KIND_LENGTH = 30

    from_status = models.CharField(_("原状态"), max_length=STATUS_LENGTH, blank=True)
    to_status = models.CharField(_("新状态"), max_length=STATUS_LENGTH, blank=True)
    kind = models.CharField(_("类型"), max_length=KIND_LENGTH, default="status")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    payload = models.JSONField(_("附加信息"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    # Deleting a user sets `actor` to NULL: the one in-place change an event row allows.
    APPEND_ONLY_UPDATABLE = ("actor",)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.status_label(self.from_status) or '—'} → {self.status_label(self.to_status)}"

    def status_label(self, code: str) -> str:
        """The label of one of the owner's status codes (its model's `Status`), so history
        rows read 待发货 → 已发货, never paid → shipped."""
        for field in self._meta.concrete_fields:
            if not field.is_relation or field.name == "actor":
                continue
            status = getattr(field.related_model, "Status", None)
            if status is not None:
                return str(dict(status.choices).get(code, code))
        return code

    def _from_label(self) -> str:
        return self.status_label(self.from_status)

    def _to_label(self) -> str:
        return self.status_label(self.to_status)

    # Column headers where an admin inline lists them as read-only fields.
    _from_label.short_description = _("原状态")
    _to_label.short_description = _("新状态")
    from_label = property(_from_label)
    to_label = property(_to_label)


class OutboxMessage(models.Model):
    """A side effect owed because of a committed change (an e-mail, an SMS, a webhook…).

    Written in the same transaction as the change through `apps.core.outbox.outbox_message_record`
    and delivered from there, retried with back-off until its handler succeeds, so a broker or
    worker outage delays a side effect but never loses it. Rows are only ever inserted and
    then marked (attempts, error, delivered); none is deleted by the code.
    """

    kind = models.CharField(_("类型"), max_length=100)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    # Unique when given: recording the same side effect twice gives back the first row, and a
    # receiver can use it to recognise a repeated delivery.
    key = models.CharField(_("幂等键"), max_length=200, unique=True, null=True, blank=True)
    attempts = models.PositiveIntegerField(_("投递次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("下次投递时间"))
    delivered_at = models.DateTimeField(_("投递时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("待投递消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The dispatcher's one query: undelivered messages that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="core_outbox_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None
