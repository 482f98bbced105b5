"""Back office of the open platform: apps, tokens (shown once), subscriptions, deliveries and
the call log. Merchants see and manage only their own store's apps (StoreScopedAdminMixin);
platform apps (no store) are staff's."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.admin import ReadOnlyTabularInline, run_each
from apps.core.errors import ApplicationError
from apps.open_platform.models import (
    ApiCallLog,
    App,
    AppToken,
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryEvent,
    WebhookSubscription,
    WebhookSubscriptionEvent,
)
from apps.open_platform.scopes import EventType, Scope
from apps.open_platform.services.tokens import (
    app_register,
    app_register_check,
    app_token_check,
    app_token_issue,
    app_token_revoke,
)
from apps.open_platform.services.webhooks import (
    subscription_check,
    subscription_create,
    subscription_resume,
    webhook_delivery_redeliver,
)
from apps.stores.admin_mixins import StoreScopedAdminMixin
from apps.stores.selectors import stores_for_user, user_can_manage_all_stores


def _checked(form, check, **kwargs):
    """Run a service's check in the form's clean: its refusal shown on its field."""
    try:
        return check(**kwargs)
    except ApplicationError as exc:
        if exc.fields:
            for field, errors in exc.fields.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.message)
    return None


def _adopt(obj, created) -> None:
    """Make the admin's unsaved `obj` the row a service created (for the redirect and log)."""
    obj.pk = created.pk
    obj._state.adding = False
    obj.refresh_from_db()


class TokenInline(ReadOnlyTabularInline):
    model = AppToken
    fields = ("name", "prefix", "scope_labels", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = fields

    @admin.display(description=_("权限范围"))
    def scope_labels(self, obj: AppToken) -> str:
        return obj.scope_labels()


@admin.register(App)
class AppAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "store", "acting_user", "contact_name", "is_active", "created_at")
    list_select_related = ("store", "acting_user")
    list_filter = ("is_active", "store")
    search_fields = ("name", "contact_name", "contact_phone")
    fields = (
        "name",
        "store",
        "acting_user",
        "contact_name",
        "contact_phone",
        "contact_email",
        "is_active",
    )
    inlines = [TokenInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "acting_user" and not user_can_manage_all_stores(request.user):
            # A merchant's app acts as one of their stores' members, nobody else.
            kwargs["queryset"] = User.objects.filter(
                store_memberships__store__in=stores_for_user(request.user)
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        store_of = self.sole_store

        class CheckedForm(form):
            def clean(self):
                cleaned = super().clean()
                if not self.errors:
                    _checked(
                        self,
                        app_register_check,
                        actor=request.user,
                        store=cleaned.get("store") or store_of(request),
                        acting_user=cleaned.get("acting_user"),
                    )
                return cleaned

        return CheckedForm

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        app = app_register(
            actor=request.user,
            name=obj.name,
            store=obj.store or self.sole_store(request),
            acting_user=obj.acting_user,
            contact_name=obj.contact_name,
            contact_phone=obj.contact_phone,
            contact_email=obj.contact_email,
        )
        _adopt(obj, app)


class TokenIssueForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("权限范围"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    actor = None  # set by the admin

    class Meta:
        model = AppToken
        fields = ("app", "name", "scopes", "expires_at", "rate")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            _checked(
                self,
                app_token_check,
                actor=self.actor,
                app=cleaned["app"],
                scopes=cleaned["scopes"],
                expires_at=cleaned.get("expires_at"),
                rate=cleaned.get("rate", ""),
            )
        return cleaned


@admin.register(AppToken)
class AppTokenAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    """Issue (the secret is shown once, in the message after saving) and revoke tokens."""

    store_field = "app__store"
    list_display = (
        "name",
        "app",
        "prefix",
        "scope_labels",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "app__name")
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type("TokenIssueForm", (TokenIssueForm,), {"actor": request.user})
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("app", "name", "scopes", "expires_at", "rate")
        return (
            "app",
            "name",
            "prefix",
            "scope_labels",
            "rate",
            "expires_at",
            "created_by",
            "created_at",
            "revoked_at",
            "revoked_by",
            "last_used_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f for f in self.get_fields(request, obj) if f != "name"]

    @admin.display(description=_("权限范围"))
    def scope_labels(self, obj: AppToken) -> str:
        return obj.scope_labels()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = app_token_issue(
            actor=request.user,
            app=form.cleaned_data["app"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
            rate=form.cleaned_data.get("rate", ""),
        )
        _adopt(obj, token)
        self.message_user(
            request,
            _("令牌已创建，请立即复制保存，此后不再显示：%(token)s") % {"token": raw},
            messages.WARNING,
        )

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda token: app_token_revoke(actor=request.user, token=token),
            success=_("已吊销 %(count)s 个令牌。"),
        )


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("订阅事件"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    actor = None  # set by the admin

    class Meta:
        model = WebhookSubscription
        fields = ("app", "url", "events")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            _checked(
                self,
                subscription_check,
                actor=self.actor,
                app=cleaned["app"],
                url=cleaned["url"],
                events=cleaned["events"],
            )
        return cleaned


EVENT_FIELDS = ["created_at", "kind", "from_label", "to_label", "actor", "reason", "payload"]


class SubscriptionEventInline(ReadOnlyTabularInline):
    model = WebhookSubscriptionEvent
    fields = readonly_fields = EVENT_FIELDS


class DeliveryEventInline(ReadOnlyTabularInline):
    model = WebhookDeliveryEvent
    fields = readonly_fields = EVENT_FIELDS


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_field = "app__store"
    list_display = (
        "app",
        "url",
        "event_labels",
        "status",
        "consecutive_failures",
        "paused_at",
        "created_at",
    )
    list_select_related = ("app",)
    list_filter = ("status",)
    search_fields = ("url", "app__name")
    actions = ["resume"]

    def get_inlines(self, request, obj):
        return [SubscriptionEventInline] if obj is not None else []

    @admin.display(description=_("订阅事件"))
    def event_labels(self, obj: WebhookSubscription) -> str:
        return obj.event_labels()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type("SubscriptionForm", (SubscriptionForm,), {"actor": request.user})
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("app", "url", "events")
        return (
            "app",
            "url",
            "event_labels",
            "secret",
            "status",
            "consecutive_failures",
            "paused_at",
            "paused_reason",
            "created_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        subscription = subscription_create(
            actor=request.user,
            app=form.cleaned_data["app"],
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
        )
        _adopt(obj, subscription)

    @admin.action(description=_("恢复所选订阅（补发暂缓的事件）"))
    def resume(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda subscription: subscription_resume(actor=request.user, subscription=subscription),
            success=_("已恢复 %(count)s 个订阅。"),
        )


class AttemptInline(ReadOnlyTabularInline):
    model = WebhookAttempt
    fields = ("created_at", "status_code", "duration_ms", "error", "response_body")
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_field = "subscription__app__store"
    list_display = (
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "delivered_at",
    )
    list_filter = ("status", "event__type")
    search_fields = ("event__event_id",)
    list_select_related = ("event", "subscription__app")
    readonly_fields = (
        "subscription",
        "event",
        "status",
        "attempts",
        "round",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    )
    fields = readonly_fields
    inlines = [DeliveryEventInline, AttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("重新投递所选记录"))
    def redeliver(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda delivery: webhook_delivery_redeliver(actor=request.user, delivery=delivery),
            success=_("已重新排队 %(count)s 条投递。"),
        )


@admin.register(ApiCallLog)
class ApiCallLogAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_field = "app__store"
    list_display = ("created_at", "app", "token", "method", "path", "scope", "status_code")
    list_filter = ("status_code", "method")
    search_fields = ("path", "app__name", "token__prefix")
    list_select_related = ("app", "token")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
