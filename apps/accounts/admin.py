from django import forms
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from apps.accounts.fields import CnMobileField
from apps.accounts.forms import EMAIL_OR_PHONE_REQUIRED
from apps.accounts.models import LoginFailure, Notification, User
from apps.accounts.views import store_apply_url


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The back office has no log-in form of its own: it uses the site's (allauth) log-in,
    which is rate-limited and knows phone numbers and SMS codes."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(next_url)
        # Signed in, but not allowed in: sending them to the log-in page again would loop.
        context = {"store_apply_url": store_apply_url()}
        return render(request, "accounts/admin_denied.html", context, status=403)
    return redirect_to_login(next_url, login_url=reverse("account_login"))


admin.site.login = admin_login


class _EmailOrPhoneMixin:
    """Both user forms: an e-mail or a mobile number is required; e-mails are kept lower-case."""

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone"):
            raise ValidationError(EMAIL_OR_PHONE_REQUIRED, code="email_or_phone_required")
        return cleaned

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").lower() or None


class UserCreationAdminForm(_EmailOrPhoneMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "phone", "name")
        field_classes = {"phone": CnMobileField}


class UserChangeAdminForm(_EmailOrPhoneMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"phone": CnMobileField}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users have an e-mail and/or a mobile number and no username; platform roles are
    the groups (see apps.core.roles), merchants come from store memberships."""

    form = UserChangeAdminForm
    add_form = UserCreationAdminForm

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "user_permissions":
            kwargs["form_class"] = PermissionsField
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)

    fieldsets = (
        (None, {"fields": ("email", "phone", "phone_verified", "password")}),
        (_("资料"), {"fields": ("name",)}),
        (
            _("权限"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": _("平台角色通过“组”授予；商家身份来自店铺成员，无需在此勾选。"),
            },
        ),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "phone", "name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("__str__", "email", "phone", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "phone_verified", "groups")
    search_fields = ("email", "phone", "name")
    ordering = ("-date_joined",)
    filter_horizontal = ("groups", "user_permissions")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by services.notification_send only."""

    list_display = ("title", "user", "is_read", "created_at", "read_at")
    list_filter = ("is_read", "created_at")
    search_fields = ("title", "user__email", "user__phone", "user__name")
    list_select_related = ("user",)
    # Not the event key ("shipment:12:delivered"): it is for idempotence, not for reading.
    fields = readonly_fields = (
        "user",
        "title",
        "body",
        "url",
        "is_read",
        "created_at",
        "read_at",
    )
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Read-only: failed password log-ins, written by apps.accounts.login_limits."""

    list_display = ("created_at", "login", "user", "ip", "user_agent")
    list_filter = ("created_at",)
    search_fields = ("login", "ip", "user__email", "user__phone")
    list_select_related = ("user",)
    readonly_fields = ("login", "user", "ip", "user_agent", "created_at")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# --- groups: permissions named in Chinese -----------------------------------------------------

# Django names its default permissions "Can add <model>" when they are created, in English and
# with the model's untranslated name; staff assigning roles read these instead.
_ACTIONS = {"add": _("可新增"), "change": _("可修改"), "delete": _("可删除"), "view": _("可查看")}


def permission_label(permission: Permission) -> str:
    content_type = permission.content_type
    model = content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in _ACTIONS and model_name == model._meta.model_name:
        what = f"{_ACTIONS[action]}{model._meta.verbose_name}"
    else:
        what = permission.name
    try:
        app = django_apps.get_app_config(content_type.app_label).verbose_name
    except LookupError:
        app = content_type.app_label
    return f"{app} | {what}"


class PermissionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Permission) -> str:
        return permission_label(obj)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "permissions":
            kwargs["form_class"] = PermissionsField
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)
