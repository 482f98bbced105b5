from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.models import StatusEvent, TimeStampedModel
from apps.core.validators import SHORT_TEXT_MAX_LENGTH, long_text_validators, validate_display_name
from apps.stores.errors import StoreErrorCode


def _default_commission_rate() -> Decimal:
    return settings.PLATFORM_DEFAULT_COMMISSION_RATE


class StoreType(models.TextChoices):
    ENTERPRISE = "enterprise", _("农业企业")
    COOPERATIVE = "cooperative", _("农民专业合作社")
    FAMILY_FARM = "family_farm", _("家庭农场")
    LARGE_GROWER = "large_grower", _("种养大户")
    INDIVIDUAL = "individual", _("个体农户")
    SELF_OPERATED = "self_operated", _("平台自营")


# What an applicant may choose; the self-operated store is created by the platform itself.
APPLICABLE_STORE_TYPES = [c for c in StoreType.choices if c[0] != StoreType.SELF_OPERATED]


class Store(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("待开业")
        ACTIVE = "active", _("营业中")
        SUSPENDED = "suspended", _("已暂停")
        CLOSED = "closed", _("已关闭")

    # Allowed moves of the status machine (services.store_change_status applies them).
    TRANSITIONS = {
        Status.PENDING: {Status.ACTIVE, Status.CLOSED},
        Status.ACTIVE: {Status.SUSPENDED, Status.CLOSED},
        Status.SUSPENDED: {Status.ACTIVE, Status.CLOSED},
        Status.CLOSED: set(),
    }
    TRANSITION_ERROR_CODE = StoreErrorCode.INVALID_TRANSITION

    name = models.CharField(
        _("店铺名称"), max_length=60, unique=True, validators=[validate_display_name]
    )
    slug = models.SlugField(_("标识"), max_length=80, unique=True)
    type = models.CharField(_("主体类型"), max_length=20, choices=StoreType.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    description = models.TextField(
        _("店铺简介"),
        max_length=SHORT_TEXT_MAX_LENGTH,
        blank=True,
        validators=long_text_validators(SHORT_TEXT_MAX_LENGTH),
    )
    banner = models.ImageField(_("店招图"), upload_to="stores/banners/", blank=True)
    county_code = models.CharField(_("所在区县代码"), max_length=12, blank=True)
    county_name = models.CharField(_("所在区县"), max_length=60, blank=True)
    township = models.CharField(_("乡镇"), max_length=60, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=30)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    licence_number = models.CharField(_("营业执照号/统一社会信用代码"), max_length=30, blank=True)
    licence_image = models.ImageField(_("营业执照"), upload_to="stores/licences/", blank=True)
    food_permit_number = models.CharField(_("食品经营许可证号"), max_length=30, blank=True)
    food_permit_image = models.ImageField(
        _("食品经营许可证"), upload_to="stores/permits/", blank=True
    )
    commission_rate = models.DecimalField(
        _("平台佣金率"),
        max_digits=5,
        decimal_places=4,
        default=_default_commission_rate,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.5"))],
        help_text=_("例如 0.0500 表示 5%"),
    )
    is_featured = models.BooleanField(_("首页推荐"), default=False)

    class Meta:
        verbose_name = _("店铺")
        verbose_name_plural = _("店铺")
        ordering = ["id"]
        permissions = [
            ("manage_all_stores", _("平台运营：查看和管理所有店铺的数据")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:store_detail", kwargs={"slug": self.slug})

    @property
    def is_self_operated(self) -> bool:
        return self.type == StoreType.SELF_OPERATED

    @property
    def is_selling(self) -> bool:
        return self.status == self.Status.ACTIVE


class StoreEvent(StatusEvent):
    """Every status change of a store, with who did it and why."""

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="events", verbose_name=_("店铺")
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("店铺状态记录")
        verbose_name_plural = _("店铺状态记录")


class StoreMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("店主")
        CLERK = "clerk", _("店员")

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="members", verbose_name=_("店铺")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="store_memberships",
        verbose_name=_("用户"),
    )
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.CLERK)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("店铺成员")
        verbose_name_plural = _("店铺成员")
        constraints = [
            models.UniqueConstraint(fields=["store", "user"], name="uniq_store_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.store} ({self.get_role_display()})"


class StoreApplication(TimeStampedModel):
    """入驻申请: a signed-in user asks to open a store; staff approve or reject it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("审核中")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="store_applications",
        verbose_name=_("申请人"),
    )
    store_name = models.CharField(_("店铺名称"), max_length=60, validators=[validate_display_name])
    store_type = models.CharField(_("主体类型"), max_length=20, choices=APPLICABLE_STORE_TYPES)
    description = models.TextField(
        _("经营范围与简介"),
        max_length=SHORT_TEXT_MAX_LENGTH,
        blank=True,
        validators=long_text_validators(SHORT_TEXT_MAX_LENGTH),
    )
    contact_name = models.CharField(_("联系人"), max_length=30)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    county_code = models.CharField(_("所在区县代码"), max_length=12)
    county_name = models.CharField(_("所在区县"), max_length=60, blank=True)
    township = models.CharField(_("乡镇"), max_length=60)
    licence_number = models.CharField(_("营业执照号/统一社会信用代码"), max_length=30)
    licence_image = models.ImageField(_("营业执照"), upload_to="stores/applications/")
    food_permit_number = models.CharField(_("食品经营许可证号"), max_length=30, blank=True)
    food_permit_image = models.ImageField(
        _("食品经营许可证"), upload_to="stores/applications/", blank=True
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    reject_reason = models.CharField(_("驳回原因"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    store = models.OneToOneField(
        Store,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="application",
        verbose_name=_("店铺"),
    )

    class Meta:
        verbose_name = _("入驻申请")
        verbose_name_plural = _("入驻申请")
        ordering = ["-created_at", "-id"]
        permissions = [("review_storeapplication", _("审核入驻申请"))]

    def __str__(self) -> str:
        return f"{self.store_name} ({self.get_status_display()})"
