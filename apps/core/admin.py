"""Admin helpers shared by every app's back office.

Actions that need input (a reason, a limit, a payment reference) show one intermediate page,
render_action_form; actions that call a service per object use run_each, so a refusal becomes
an error message instead of a 500; history and line inlines use ReadOnlyTabularInline.
"""

from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_message_deliver

CHANGE_FORM_ACTION_FIELD = f"{ActionLocation.CHANGE_FORM.value}-action"
DEFAULT_INTRO = _("将对以下对象执行此操作：")


def render_action_form(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: Iterable,
    *,
    action: str,
    title: str,
    form,
    submit_label: str,
    intro: str = DEFAULT_INTRO,
    describe: Callable[[object], str] = str,
    body_class: str = "action-form",
    cancel_url: str | None = None,
) -> TemplateResponse:
    """The intermediate page of an action that needs input; it posts back to the same URL.

    The page keeps the action field name of where it came from, so a change-form action comes
    back to the change form and a changelist action to the changelist. `describe(obj)` is the
    text listed for each object; `intro` the line above the list (none if empty); `cancel_url`
    where "No, take me back" goes (the current page if None).
    """
    action_field = (
        CHANGE_FORM_ACTION_FIELD if CHANGE_FORM_ACTION_FIELD in request.POST else "action"
    )
    objects = list(queryset)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": model_admin.opts,
        "objects": objects,
        "object_labels": [describe(obj) for obj in objects],
        "form": form,
        "action": action,
        "action_field": action_field,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "submit_label": submit_label,
        "body_class": body_class,
        "cancel_url": cancel_url if cancel_url is not None else request.get_full_path(),
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/core/action_form.html", context)


def run_each(model_admin, request, objects, service, *, success: str) -> int:
    """Call `service(obj)` for each object; a refused one becomes an error message, not a 500."""
    done = 0
    for obj in objects:
        try:
            service(obj)
        except ApplicationError as exc:
            model_admin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        model_admin.message_user(request, success % {"count": done}, messages.SUCCESS)
    return done


class ReadOnlyTabularInline(admin.TabularInline):
    """An inline that lists related rows and lets nobody add, change or delete them here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What the outbox still owes and what it delivered (superusers; rows are written by
    apps.core.outbox only). "立即投递" delivers selected pending messages now."""

    list_display = (
        "id",
        "kind",
        "key",
        "attempts",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = (("delivered_at", admin.EmptyFieldListFilter), "kind")
    search_fields = ("kind", "key")
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["deliver_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("立即投递"), permissions=["view"])
    def deliver_now(self, request: HttpRequest, queryset) -> None:
        pending = list(queryset.filter(delivered_at__isnull=True).values_list("pk", flat=True))
        delivered = sum(outbox_message_deliver(message_id=pk) for pk in pending)
        self.message_user(
            request,
            _("已投递 %(delivered)s 条，%(failed)s 条仍待重试。")
            % {"delivered": delivered, "failed": len(pending) - delivered},
            messages.SUCCESS if delivered == len(pending) else messages.WARNING,
        )
