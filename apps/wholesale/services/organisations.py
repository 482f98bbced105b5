"""A wholesale buyer's application and its review by platform staff."""

import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.core.images import image_clean
from apps.core.transitions import event_record, transition
from apps.stores.validators import normalize_contact_phone, normalize_uscc
from apps.wholesale.errors import WholesaleErrorCode
from apps.wholesale.models import BuyerMember, BuyerOrganisation, BuyerOrganisationEvent
from apps.wholesale.services.notify import members_notify

Status = BuyerOrganisation.Status
EventKind = BuyerOrganisationEvent.Kind


def _field_error(field: str, message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


def _required_text(value: str, *, field: str, label: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise _field_error(field, _("请填写%(label)s。") % {"label": label}, "required")
    if len(text) > max_length:
        raise _field_error(
            field,
            _("%(label)s最多 %(max)d 个字。") % {"label": label, "max": max_length},
            "max_length",
        )
    return text


def _validated(field: str, validator, value: str) -> str:
    try:
        return validator(value)
    except ValidationError as exc:
        raise _field_error(field, exc.messages[0], exc.code or "invalid") from None


def _clean_application(
    *,
    name: str,
    kind: str,
    licence_number: str,
    contact_name: str,
    contact_phone: str,
    address: str,
) -> dict:
    if kind not in BuyerOrganisation.Kind.values:
        raise _field_error("kind", _("请选择单位类型。"), "invalid_choice")
    address = (address or "").strip()
    if len(address) > 200:
        raise _field_error("address", _("地址最多 200 个字。"), "max_length")
    return {
        "name": _required_text(name, field="name", label=_("单位名称"), max_length=80),
        "kind": kind,
        "licence_number": _validated("licence_number", normalize_uscc, licence_number),
        "contact_name": _required_text(
            contact_name, field="contact_name", label=_("联系人"), max_length=30
        ),
        "contact_phone": _validated("contact_phone", normalize_contact_phone, contact_phone),
        "address": address,
    }


def _ensure_licence_free(licence_number: str, *, exclude_pk: int | None = None) -> None:
    live = BuyerOrganisation.objects.filter(licence_number=licence_number).exclude(
        status=Status.REJECTED
    )
    if exclude_pk:
        live = live.exclude(pk=exclude_pk)
    if live.exists():
        raise _field_error(
            "licence_number",
            _("该统一社会信用代码已有采购单位申请或认证，请联系该单位的管理员。"),
            WholesaleErrorCode.LICENCE_TAKEN,
        )


@transaction.atomic
def buyer_organisation_apply(
    *,
    user: User,
    name: str,
    kind: str,
    licence_number: str,
    contact_name: str,
    contact_phone: str,
    address: str = "",
    licence_image: UploadedFile | ContentFile | None = None,
) -> BuyerOrganisation:
    """Apply as a wholesale buyer: the organisation starts pending, the user is its member.

    One organisation per user. A rejected organisation is corrected and submitted again
    through this same call (rejected → pending); a pending or verified one refuses.
    """
    data = _clean_application(
        name=name,
        kind=kind,
        licence_number=licence_number,
        contact_name=contact_name,
        contact_phone=contact_phone,
        address=address,
    )
    jpeg = image_clean(licence_image, field="licence_image")[0] if licence_image else None

    existing = BuyerOrganisation.objects.select_for_update().filter(members__user=user).first()
    if existing is not None and existing.status != Status.REJECTED:
        raise ApplicationError(
            _("您已提交过批发采购申请（%(status)s），每个账号只能关联一个采购单位。")
            % {"status": existing.get_status_display()},
            code=WholesaleErrorCode.ALREADY_MEMBER,
            status_code=409,
        )
    _ensure_licence_free(data["licence_number"], exclude_pk=existing.pk if existing else None)

    organisation = existing or BuyerOrganisation()
    for field, value in data.items():
        setattr(organisation, field, value)
    from_status = organisation.status if existing else ""
    organisation.status = Status.PENDING
    organisation.reject_reason = ""
    organisation.reviewed_by = None
    organisation.reviewed_at = None
    if jpeg is not None:
        organisation.licence_image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(jpeg), save=False)
    try:
        # A savepoint, so a concurrent double submit becomes a clear refusal, not a 500.
        with transaction.atomic():
            organisation.save()
            if existing is None:
                BuyerMember.objects.create(organisation=organisation, user=user)
    except IntegrityError:
        if jpeg is not None:
            organisation.licence_image.delete(save=False)
        raise ApplicationError(
            _("该账号或统一社会信用代码已有采购单位申请。"),
            code=WholesaleErrorCode.ALREADY_MEMBER,
            status_code=409,
        ) from None
    event_record(organisation, kind=EventKind.STATUS, from_status=from_status, actor=user)
    return organisation


def _review(
    organisation: BuyerOrganisation, to_status: str, *, actor: User, reason: str = ""
) -> BuyerOrganisation:
    """Lock the organisation and move it to verified or rejected, with who reviewed it."""
    organisation = BuyerOrganisation.objects.select_for_update().get(pk=organisation.pk)
    organisation.reject_reason = reason
    organisation.reviewed_by = actor
    organisation.reviewed_at = timezone.now()
    transition(
        organisation,
        to_status,
        actor=actor,
        reason=reason,
        fields=["reject_reason", "reviewed_by", "reviewed_at"],
    )
    return organisation


@transaction.atomic
def buyer_organisation_verify(*, organisation: BuyerOrganisation, actor: User) -> BuyerOrganisation:
    """Staff confirm the licence: the buyer sees wholesale prices from now on."""
    organisation = _review(organisation, Status.VERIFIED, actor=actor)
    members_notify(
        organisation,
        title=_("批发采购认证已通过"),
        body=_("「%(name)s」已通过批发采购认证，现在可以查看商品的批发阶梯价并批量采购。")
        % {"name": organisation.name},
    )
    return organisation


@transaction.atomic
def buyer_organisation_reject(
    *, organisation: BuyerOrganisation, actor: User, reason: str
) -> BuyerOrganisation:
    reason = (reason or "").strip()[:300]
    if not reason:
        raise _field_error("reason", _("驳回时必须填写原因。"), WholesaleErrorCode.REASON_REQUIRED)
    organisation = _review(organisation, Status.REJECTED, actor=actor, reason=reason)
    members_notify(
        organisation,
        title=_("批发采购认证未通过"),
        body=_("「%(name)s」的批发采购申请未通过：%(reason)s。您可以修改后重新提交。")
        % {"name": organisation.name, "reason": reason},
    )
    return organisation
