"""State-changing actions on stores: applications, approval, status, membership."""

import uuid

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from apps.accounts.models import User
from apps.accounts.services import notification_send
from apps.core.errors import ApplicationError
from apps.core.images import image_clean
from apps.core.roles import MERCHANT
from apps.core.transitions import event_record, transition
from apps.stores.divisions import division_name, is_county_code
from apps.stores.errors import StoreErrorCode
from apps.stores.models import (
    APPLICABLE_STORE_TYPES,
    Store,
    StoreApplication,
    StoreMember,
)
from apps.stores.signals import store_renamed
from apps.stores.validators import normalize_contact_phone, normalize_uscc


def store_slug_for(name: str) -> str:
    """A readable, unique slug from a Chinese store name (pinyin), e.g. wuchang-daomi-hezuoshe."""
    base = slugify("-".join(lazy_pinyin(name)))[:60] or "store"
    slug = base
    while Store.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(4, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    return slug


def _validated_county(code: str) -> str:
    if not is_county_code(code):
        raise ApplicationError(
            _("请选择有效的区县。"),
            code=StoreErrorCode.UNKNOWN_DIVISION,
            fields={"county_code": [_("未知的区县代码。")]},
        )
    return division_name(code) or ""


def _application_image(image: bytes | UploadedFile, *, field: str) -> bytes:
    """Cleaned JPEG bytes; an upload that did not go through image_clean yet is cleaned here."""
    if isinstance(image, bytes):
        return image
    return image_clean(image, field=field)[0]


def _checked(normalize, value: str, *, field: str, code: str) -> str:
    try:
        return normalize(value)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0], code=code, fields={field: exc.messages}) from None


@transaction.atomic
def store_application_submit(
    *,
    applicant: User,
    store_name: str,
    store_type: str,
    contact_name: str,
    contact_phone: str,
    county_code: str,
    township: str,
    licence_number: str,
    licence_image: bytes | UploadedFile,
    description: str = "",
    food_permit_number: str = "",
    food_permit_image: bytes | UploadedFile | None = None,
) -> StoreApplication:
    """入驻: one open application per user; the store name must be free.

    Images are JPEG bytes from apps.core.images.image_clean (the form cleans them to show field
    errors); raw uploads are cleaned here. Files are written only after every other check
    passed, and removed again if the row cannot be saved, so a refused application leaves no
    file behind.
    """
    # Serialise one user's submissions so a double click cannot open two applications.
    User.objects.select_for_update().filter(pk=applicant.pk).first()
    if StoreApplication.objects.filter(
        applicant=applicant, status=StoreApplication.Status.SUBMITTED
    ).exists():
        raise ApplicationError(
            _("您已有一份正在审核的入驻申请。"), code=StoreErrorCode.APPLICATION_ALREADY_OPEN
        )
    store_name = store_name.strip()
    if Store.objects.filter(name=store_name).exists():
        raise ApplicationError(
            _("该店铺名称已被使用。"),
            code=StoreErrorCode.NAME_TAKEN,
            fields={"store_name": [_("该店铺名称已被使用。")]},
        )
    if store_type not in dict(APPLICABLE_STORE_TYPES):
        raise ApplicationError(
            _("请选择主体类型。"),
            code=StoreErrorCode.INVALID_STORE_TYPE,
            fields={"store_type": [_("无效的主体类型。")]},
        )
    county_name = _validated_county(county_code)
    contact_phone = _checked(
        normalize_contact_phone,
        contact_phone,
        field="contact_phone",
        code=StoreErrorCode.INVALID_PHONE,
    )
    licence_number = _checked(
        normalize_uscc,
        licence_number,
        field="licence_number",
        code=StoreErrorCode.INVALID_LICENCE_NUMBER,
    )
    licence_jpeg = _application_image(licence_image, field="licence_image")
    permit_jpeg = (
        _application_image(food_permit_image, field="food_permit_image")
        if food_permit_image
        else None
    )
    application = StoreApplication(
        applicant=applicant,
        store_name=store_name,
        store_type=store_type,
        description=description,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone,
        county_code=county_code,
        county_name=county_name,
        township=township.strip(),
        licence_number=licence_number,
        food_permit_number=food_permit_number.strip(),
    )
    application.full_clean(exclude=["licence_image", "food_permit_image"])
    written: list[str] = []
    try:
        application.licence_image.save(
            f"{uuid.uuid4().hex}.jpg", ContentFile(licence_jpeg), save=False
        )
        written.append(application.licence_image.name)
        if permit_jpeg is not None:
            application.food_permit_image.save(
                f"{uuid.uuid4().hex}.jpg", ContentFile(permit_jpeg), save=False
            )
            written.append(application.food_permit_image.name)
        application.save()
    except Exception:
        for name in written:
            application.licence_image.storage.delete(name)
        raise
    return application


def _lock_submitted_application(application: StoreApplication) -> StoreApplication:
    locked = StoreApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != StoreApplication.Status.SUBMITTED:
        raise ApplicationError(
            _("该申请已处理，不能重复审核。"), code=StoreErrorCode.APPLICATION_NOT_PENDING
        )
    return locked


@transaction.atomic
def store_application_approve(*, application: StoreApplication, actor: User) -> Store:
    """Approve: create the active store, make the applicant its owner, tell them."""
    application = _lock_submitted_application(application)
    try:
        with transaction.atomic():
            store = Store.objects.create(
                name=application.store_name,
                slug=store_slug_for(application.store_name),
                type=application.store_type,
                status=Store.Status.ACTIVE,
                description=application.description,
                county_code=application.county_code,
                county_name=application.county_name,
                township=application.township,
                contact_name=application.contact_name,
                contact_phone=application.contact_phone,
                licence_number=application.licence_number,
                licence_image=application.licence_image.name,
                food_permit_number=application.food_permit_number,
                food_permit_image=application.food_permit_image.name or "",
            )
    except IntegrityError as exc:
        raise ApplicationError(
            _("该店铺名称已被使用，请驳回并请申请人更换名称。"), code=StoreErrorCode.NAME_TAKEN
        ) from exc
    event_record(store, kind="status", from_status="", actor=actor, reason=_("入驻申请通过"))
    store_member_add(store=store, user=application.applicant, role=StoreMember.Role.OWNER)
    application.status = StoreApplication.Status.APPROVED
    application.reviewed_by = actor
    application.reviewed_at = timezone.now()
    application.store = store
    application.save(update_fields=["status", "reviewed_by", "reviewed_at", "store", "updated_at"])
    notification_send(
        user=application.applicant,
        title=_("入驻申请已通过"),
        body=_("恭喜！您的店铺「%(name)s」已开通，可登录商家后台上架商品。") % {"name": store.name},
        url=reverse("admin:index"),
    )
    return store


@transaction.atomic
def store_application_reject(
    *, application: StoreApplication, actor: User, reason: str
) -> StoreApplication:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("驳回时必须填写原因。"),
            code=StoreErrorCode.REASON_REQUIRED,
            fields={"reason": [_("必填。")]},
        )
    application = _lock_submitted_application(application)
    application.status = StoreApplication.Status.REJECTED
    application.reject_reason = reason[:300]
    application.reviewed_by = actor
    application.reviewed_at = timezone.now()
    application.save(
        update_fields=["status", "reject_reason", "reviewed_by", "reviewed_at", "updated_at"]
    )
    notification_send(
        user=application.applicant,
        title=_("入驻申请未通过"),
        body=_("您的店铺「%(name)s」入驻申请未通过：%(reason)s")
        % {"name": application.store_name, "reason": application.reject_reason},
        url=reverse("stores:application_list"),
    )
    return application


@transaction.atomic
def store_save(*, store: Store) -> Store:
    """Save back-office edits of a store's profile, keeping the derived county name in step.

    Status is not changed here (see store_change_status); a new store starts pending.
    """
    if store.county_code:
        store.county_name = _validated_county(store.county_code)
    else:
        store.county_name = ""
    if not store.slug:
        store.slug = store_slug_for(store.name)
    store.full_clean()
    old_name = (
        Store.objects.filter(pk=store.pk).values_list("name", flat=True).first()
        if store.pk
        else None
    )
    with transaction.atomic():
        store.save()
        if old_name is not None and old_name != store.name:
            store_renamed.send(sender=Store, store=store, old_name=old_name)
    return store


@transaction.atomic
def store_change_status(
    *, store: Store, to_status: str, actor: User | None, reason: str = ""
) -> Store:
    """Move a store along pending → active ⇄ suspended → closed, recording the change.

    A suspended or closed store's products vanish from the storefront because every storefront
    selector requires an active store.
    """
    store = Store.objects.select_for_update().get(pk=store.pk)
    transition(store, to_status, actor=actor, reason=reason)
    return store


@transaction.atomic
def store_member_add(*, store: Store, user: User, role: str) -> StoreMember:
    """Make `user` owner/clerk of `store`: membership, admin access and the merchant group."""
    member, created = StoreMember.objects.get_or_create(
        store=store, user=user, defaults={"role": role}
    )
    if not created and member.role != role:
        member.role = role
        member.save(update_fields=["role"])
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get_or_create(name=MERCHANT)[0])
    user.__dict__.pop("_store_ids_cache", None)
    return member


@transaction.atomic
def store_member_remove(*, member: StoreMember) -> None:
    """Take a user off a store; the last owner stays so every store keeps someone in charge.

    A user left without any store loses the merchant group (and admin access, unless they are
    platform staff through another group).
    """
    member = StoreMember.objects.select_for_update().select_related("user").get(pk=member.pk)
    if (
        member.role == StoreMember.Role.OWNER
        and not StoreMember.objects.filter(store_id=member.store_id, role=StoreMember.Role.OWNER)
        .exclude(pk=member.pk)
        .exists()
    ):
        raise ApplicationError(_("不能移除店铺的最后一位店主。"), code=StoreErrorCode.LAST_OWNER)
    user = member.user
    member.delete()
    user.__dict__.pop("_store_ids_cache", None)
    if not StoreMember.objects.filter(user=user).exists():
        user.groups.remove(*Group.objects.filter(name=MERCHANT))
        if user.is_staff and not user.is_superuser and not user.groups.exists():
            user.is_staff = False
            user.save(update_fields=["is_staff"])
