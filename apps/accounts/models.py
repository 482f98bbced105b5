from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.phones import phone_mask
from apps.core.models import AppendOnlyModel
from apps.core.validators import validate_display_name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str | None, password: str | None, **extra) -> "User":
        if not email and not extra.get("phone"):
            raise ValueError("A user needs an e-mail address or a mobile number")
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str | None = None, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One account per person: e-mail and/or mobile number, each unique when set.

    Roles are not flags here: merchants are StoreMembers, platform staff are in Django groups.
    `is_staff` only opens the admin site.
    """

    email = models.EmailField(_("电子邮箱"), unique=True, null=True, blank=True)
    phone = models.CharField(
        _("手机号"), max_length=20, unique=True, null=True, blank=True, help_text=_("E.164 格式")
    )
    phone_verified = models.BooleanField(_("手机号已验证"), default=False)
    name = models.CharField(
        _("姓名"), max_length=50, blank=True, validators=[validate_display_name]
    )
    is_staff = models.BooleanField(_("可进入管理后台"), default=False)
    is_active = models.BooleanField(_("有效"), default=True)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False),
                name="user_has_email_or_phone",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.masked_phone or f"#{self.pk}"

    @property
    def masked_phone(self) -> str:
        return phone_mask(self.phone)

    @property
    def display_name(self) -> str:
        return str(self)


class Notification(models.Model):
    """An in-site message (站内信). Created only by services.notification_send."""

    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("用户"),
    )
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    is_read = models.BooleanField(_("已读"), default=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    # What the message is about, e.g. "shipment:12:delivered": a second send of the same event
    # (a retried task, a replayed webhook) finds this row and sends nothing.
    key = models.CharField(_("事件键"), max_length=120, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("站内信")
        verbose_name_plural = _("站内信")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "is_read", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class LoginFailure(AppendOnlyModel):
    """A failed password log-in (page or token API), for staff to see guessing and spraying.

    Written by apps.accounts.login_limits.login_failure_record only; the limits themselves
    count in the cache.
    """

    login = models.CharField(_("登录名"), max_length=254, db_index=True)
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="login_failures",
        verbose_name=_("账号"),
    )
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True, db_index=True)
    user_agent = models.CharField(_("浏览器"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.login} @ {self.ip}"
