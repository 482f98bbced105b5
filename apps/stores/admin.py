"""Store back office: application review for platform staff, store profiles for merchants.

Every status change goes through apps.stores.services; the admin only collects input.
"""

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyTabularInline, render_action_form, run_each
from apps.core.errors import ApplicationError
from apps.stores.admin_mixins import ScopedHistoryInline, StoreScopedAdminMixin
from apps.stores.forms import RejectApplicationForm, StoreAdminForm, StoreStatusForm
from apps.stores.models import Store, StoreApplication, StoreEvent, StoreMember
from apps.stores.services import (
    store_application_approve,
    store_application_reject,
    store_change_status,
    store_member_add,
    store_member_remove,
    store_save,
)

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def image_preview(field_file, *, max_width: int = 360) -> str:
    if not field_file:
        return "—"
    return format_html(
        '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="" '
        'style="max-width:{1}px;max-height:{1}px;border:1px solid #ddd"></a>',
        field_file.url,
        max_width,
    )


# --- 入驻申请 ---------------------------------------------------------------------------------


@admin.register(StoreApplication)
class StoreApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "store_name",
        "applicant_name",
        "store_type",
        "county_name",
        "contact_phone",
        "status",
        "created_at",
        "reviewed_by",
    ]
    list_filter = ["status", "store_type", "created_at"]
    search_fields = [
        "store_name",
        "licence_number",
        "contact_name",
        "contact_phone",
        "applicant__email",
        "applicant__phone",
    ]
    list_select_related = ["applicant", "reviewed_by"]
    date_hierarchy = "created_at"
    actions = ["approve_applications", "reject_applications"]
    fieldsets = [
        (_("申请"), {"fields": ["status", "applicant_name", "created_at", "store_opened"]}),
        (
            _("店铺信息"),
            {"fields": ["store_name", "store_type", "description", "county_name", "township"]},
        ),
        (_("联系人"), {"fields": ["contact_name", "contact_phone"]}),
        (
            _("资质"),
            {
                "fields": [
                    "licence_number",
                    "licence_preview",
                    "food_permit_number",
                    "food_permit_preview",
                ]
            },
        ),
        (_("审核"), {"fields": ["reviewed_by", "reviewed_at", "reject_reason"]}),
    ]
    readonly_fields = [
        "status",
        "applicant_name",
        "created_at",
        "store_opened",
        "store_name",
        "store_type",
        "description",
        "county_name",
        "township",
        "contact_name",
        "contact_phone",
        "licence_number",
        "licence_preview",
        "food_permit_number",
        "food_permit_preview",
        "reviewed_by",
        "reviewed_at",
        "reject_reason",
    ]

    # Applications are the applicant's words: reviewers approve or reject, never edit them.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("stores.review_storeapplication")

    @admin.display(description=_("申请人"))
    def applicant_name(self, obj: StoreApplication) -> str:
        user = obj.applicant
        contact = " / ".join(filter(None, [user.email, user.masked_phone]))
        return f"{user} ({contact})" if contact else str(user)

    @admin.display(description=_("开通的店铺"))
    def store_opened(self, obj: StoreApplication) -> str:
        if obj.store_id is None:
            return "—"
        url = reverse("admin:stores_store_change", args=[obj.store_id])
        return format_html('<a href="{}">{}</a>', url, obj.store)

    @admin.display(description=_("营业执照"))
    def licence_preview(self, obj: StoreApplication) -> str:
        return image_preview(obj.licence_image, max_width=480)

    @admin.display(description=_("食品经营许可证"))
    def food_permit_preview(self, obj: StoreApplication) -> str:
        return image_preview(obj.food_permit_image, max_width=480)

    @admin.action(
        permissions=["review"],
        description=_("通过：开通店铺并设申请人为店主"),
        description_plural=_("通过所选的入驻申请"),
        location=BOTH_LOCATIONS,
    )
    def approve_applications(self, request, queryset):
        run_each(
            self,
            request,
            queryset.select_related("applicant"),
            lambda application: store_application_approve(
                application=application, actor=request.user
            ),
            success=_("已通过 %(count)d 份入驻申请，店铺已开通。"),
        )

    @admin.action(
        permissions=["review"],
        description=_("驳回（需填写原因）"),
        description_plural=_("驳回所选的入驻申请"),
        location=BOTH_LOCATIONS,
    )
    def reject_applications(self, request, queryset):
        queryset = queryset.select_related("applicant")
        if "apply" in request.POST:
            form = RejectApplicationForm(request.POST)
            if form.is_valid():
                run_each(
                    self,
                    request,
                    queryset,
                    lambda application: store_application_reject(
                        application=application,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    ),
                    success=_("已驳回 %(count)d 份入驻申请。"),
                )
                return None
        else:
            form = RejectApplicationForm()
        return render_action_form(
            self,
            request,
            queryset,
            action="reject_applications",
            title=_("驳回入驻申请"),
            form=form,
            submit_label=_("确认驳回"),
            body_class="action-reason",
        )


# --- 店铺 -------------------------------------------------------------------------------------


class StoreEventInline(ScopedHistoryInline):
    """The store's status history. Shown to whoever may see the store itself (the page is
    already scoped), so a merchant can read why their store was suspended."""

    model = StoreEvent
    parent_permission = "stores.view_store"
    fields = ["event_time", "from_label", "to_label", "actor_name", "reason_text"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]  # newest first (the event rows' own order is by time)
    verbose_name_plural = _("状态变更记录")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("时间"))
    def event_time(self, event: StoreEvent):
        return event.created_at

    @admin.display(description=_("原状态"))
    def from_label(self, event: StoreEvent) -> str:
        return Store.Status(event.from_status).label if event.from_status else "—"

    @admin.display(description=_("新状态"))
    def to_label(self, event: StoreEvent) -> str:
        return Store.Status(event.to_status).label

    @admin.display(description=_("操作人"))
    def actor_name(self, event: StoreEvent) -> str:
        return str(event.actor) if event.actor_id else _("系统")

    @admin.display(description=_("原因"))
    def reason_text(self, event: StoreEvent) -> str:
        return event.reason or "—"


class StoreMemberInline(StoreScopedAdminMixin, ReadOnlyTabularInline):
    """Who works for the store, read-only here (platform staff edit members on their page)."""

    model = StoreMember
    fields = ["user", "role", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


# What a merchant may change about their own store; the rest is the platform's.
MERCHANT_EDITABLE_STORE_FIELDS = {"description", "banner", "contact_name", "contact_phone"}


@admin.register(Store)
class StoreAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_field = "pk"
    form = StoreAdminForm
    list_display = [
        "name",
        "type",
        "status",
        "is_self_operated_display",
        "county_name",
        "commission_percent",
        "is_featured",
        "created_at",
    ]
    list_filter = ["status", "type", "is_featured"]
    search_fields = ["name", "slug", "contact_name", "contact_phone", "licence_number"]
    actions = ["activate_stores", "suspend_stores", "close_stores"]
    inlines = [StoreMemberInline, StoreEventInline]
    fieldsets = [
        (_("基本信息"), {"fields": ["name", "slug", "type", "status", "is_featured"]}),
        (_("店铺展示"), {"fields": ["description", "banner", "banner_preview"]}),
        (_("所在地"), {"fields": ["county_code", "county_name", "township"]}),
        (_("联系人"), {"fields": ["contact_name", "contact_phone"]}),
        (
            _("资质"),
            {
                "fields": [
                    "licence_number",
                    "licence_image",
                    "licence_preview",
                    "food_permit_number",
                    "food_permit_image",
                ]
            },
        ),
        (_("平台"), {"fields": ["commission_rate", "created_at", "updated_at"]}),
    ]
    always_readonly = ["status", "county_name", "banner_preview", "licence_preview"]

    def get_readonly_fields(self, request, obj=None):
        if self.sees_all_stores(request):
            return [*self.always_readonly, "created_at", "updated_at"]
        all_fields = [f for _name, opts in self.fieldsets for f in opts["fields"]]
        return [f for f in all_fields if f not in MERCHANT_EDITABLE_STORE_FIELDS]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # the add form: status starts pending, times do not exist yet
            hidden = {"status", "created_at", "updated_at", "banner_preview", "licence_preview"}
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
                for name, opts in fieldsets
            ]
        return fieldsets

    def has_delete_permission(self, request, obj=None):
        # A store is closed (store_change_status), never deleted: orders will point at it.
        return False

    def has_manage_status_permission(self, request: HttpRequest) -> bool:
        return self.sees_all_stores(request) and super().has_change_permission(request)

    @admin.display(description=_("自营"), boolean=True)
    def is_self_operated_display(self, obj: Store) -> bool:
        return obj.is_self_operated

    @admin.display(description=_("佣金率"), ordering="commission_rate")
    def commission_percent(self, obj: Store) -> str:
        return f"{obj.commission_rate * 100:.2f}%"

    @admin.display(description=_("店招预览"))
    def banner_preview(self, obj: Store) -> str:
        return image_preview(obj.banner)

    @admin.display(description=_("营业执照预览"))
    def licence_preview(self, obj: Store) -> str:
        return image_preview(obj.licence_image)

    def save_model(self, request, obj, form, change):
        self.prepare_for_save(request, obj)
        store_save(store=obj)

    def _change_status(self, request, queryset, *, to_status: str, action: str, title):
        reason_required = to_status != Store.Status.ACTIVE
        if "apply" in request.POST:
            form = StoreStatusForm(request.POST, reason_required=reason_required)
            if form.is_valid():
                run_each(
                    self,
                    request,
                    queryset,
                    lambda store: store_change_status(
                        store=store,
                        to_status=to_status,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    ),
                    success=_("已将 %%(count)d 家店铺设为「%(label)s」。")
                    % {"label": Store.Status(to_status).label},
                )
                return None
        else:
            form = StoreStatusForm(reason_required=reason_required)
        return render_action_form(
            self,
            request,
            queryset,
            action=action,
            title=title,
            form=form,
            submit_label=_("确认"),
            body_class="action-reason",
        )

    @admin.action(
        permissions=["manage_status"],
        description=_("恢复营业 / 开业"),
        location=BOTH_LOCATIONS,
    )
    def activate_stores(self, request, queryset):
        return self._change_status(
            request,
            queryset,
            to_status=Store.Status.ACTIVE,
            action="activate_stores",
            title=_("店铺恢复营业"),
        )

    @admin.action(
        permissions=["manage_status"],
        description=_("暂停营业（商品下架不可购买，需填写原因）"),
        location=BOTH_LOCATIONS,
    )
    def suspend_stores(self, request, queryset):
        return self._change_status(
            request,
            queryset,
            to_status=Store.Status.SUSPENDED,
            action="suspend_stores",
            title=_("暂停店铺营业"),
        )

    @admin.action(
        permissions=["manage_status"],
        description=_("关闭店铺（不可恢复，需填写原因）"),
        location=BOTH_LOCATIONS,
    )
    def close_stores(self, request, queryset):
        return self._change_status(
            request,
            queryset,
            to_status=Store.Status.CLOSED,
            action="close_stores",
            title=_("关闭店铺"),
        )


# --- 店铺成员 ---------------------------------------------------------------------------------


@admin.register(StoreMember)
class StoreMemberAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    """Platform staff manage memberships; an owner sees their store's people read-only."""

    list_display = ["user", "store", "role", "created_at"]
    list_filter = ["role", "store"]
    list_select_related = ["user", "store"]
    search_fields = ["user__email", "user__phone", "user__name", "store__name"]
    raw_id_fields = ["user"]
    fields = ["store", "user", "role", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["created_at"]
        return ["store", "user", "created_at"]

    def _platform_may(self, request, allowed: bool) -> bool:
        return allowed and self.sees_all_stores(request)

    def has_add_permission(self, request, *args):
        return self._platform_may(request, super().has_add_permission(request, *args))

    def has_change_permission(self, request, obj=None):
        return self._platform_may(request, super().has_change_permission(request, obj))

    def has_delete_permission(self, request, obj=None):
        return self._platform_may(request, super().has_delete_permission(request, obj))

    def save_model(self, request, obj, form, change):
        self.prepare_for_save(request, obj)
        # Through the service so the user also gets admin access and the merchant group.
        member = store_member_add(store=obj.store, user=obj.user, role=obj.role)
        obj.pk = member.pk
        obj.created_at = member.created_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        store_member_remove(member=obj)

    def delete_queryset(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda member: store_member_remove(member=member),
            success=_("已移除 %(count)d 位店铺成员。"),
        )

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self.response_post_save_change(request, None)
