"""The shopper's address book: validated division chain, mobile number, exactly one default."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.phones import phone_normalize
from apps.core.errors import ApplicationError
from apps.core.validators import model_fields_validate
from apps.orders.errors import OrderErrorCode
from apps.orders.models import Address, Division

MAX_ADDRESSES = 30


LEVELS = [
    ("province", Division.Level.PROVINCE),
    ("city", Division.Level.CITY),
    ("county", Division.Level.COUNTY),
    ("township", Division.Level.TOWNSHIP),
]


def division_chain_validate(
    *, province: str, city: str | None, county: str, township: str | None
) -> dict[str, Division | None]:
    """Check that the codes exist, are of the right level and nest province ⊃ … ⊃ township.

    A township is required where the county has any (every county in the official list does).
    """
    given = {"province": province, "city": city, "county": county, "township": township}
    found = {d.code: d for d in Division.objects.filter(code__in=[c for c in given.values() if c])}
    chain: dict[str, Division | None] = {}
    fields: dict[str, str] = {}
    parent: Division | None = None
    for name, level in LEVELS:
        code = given[name] or ""
        division = found.get(code)
        if not code:
            needed = name != "township" or (
                parent is not None and Division.objects.filter(parent=parent).exists()
            )
            if needed:
                fields[name] = _("请选择。")
        elif division is None or division.level != level:
            fields[name] = _("请选择有效的地区。")
        elif parent is not None and division.parent_id != parent.code:
            fields[name] = _("与上一级地区不匹配。")
        chain[name] = division if name not in fields else None
        parent = chain[name]
        if parent is None:
            # Lower levels cannot be checked against a missing parent; report the first gap.
            break
    if fields:
        raise ApplicationError(
            _("请依次选择省、市、区县和乡镇/街道。"),
            code=OrderErrorCode.DIVISION_MISMATCH,
            fields=fields,
        )
    return chain


def _clean_fields(*, contact_name: str, contact_phone: str, detail: str) -> dict[str, str]:
    contact_name = (contact_name or "").strip()
    detail = (detail or "").strip()
    fields: dict[str, str] = {}
    if not contact_name:
        fields["contact_name"] = _("请填写收货人。")
    elif len(contact_name) > 30:
        fields["contact_name"] = _("收货人不超过 30 个字。")
    if not detail:
        fields["detail"] = _("请填写详细地址。")
    elif len(detail) > 120:
        fields["detail"] = _("详细地址不超过 120 个字。")
    try:
        phone = phone_normalize(contact_phone)
    except ValidationError as exc:
        fields["contact_phone"] = exc.messages[0]
        phone = ""
    if fields:
        raise ApplicationError(next(iter(fields.values())), code="invalid", fields=fields)
    model_fields_validate(Address, contact_name=contact_name, detail=detail)
    return {"contact_name": contact_name, "contact_phone": phone, "detail": detail}


@transaction.atomic
def address_save(
    *,
    user,
    contact_name: str,
    contact_phone: str,
    province: str,
    city: str | None,
    county: str,
    township: str | None,
    detail: str,
    is_default: bool = False,
    address: Address | None = None,
) -> Address:
    """Create (address=None) or update one of the user's addresses.

    The first address is the default; making one default clears the previous default in the
    same transaction, so the partial unique constraint never sees two.
    """
    if address is not None and address.user_id != user.pk:
        raise ApplicationError(_("地址不存在。"), code=OrderErrorCode.ADDRESS_NOT_FOUND)
    values = _clean_fields(contact_name=contact_name, contact_phone=contact_phone, detail=detail)
    chain = division_chain_validate(province=province, city=city, county=county, township=township)
    # Lock the user's rows so two concurrent saves cannot both become the default.
    existing = list(Address.objects.select_for_update().filter(user=user).order_by("id"))
    if address is None and len(existing) >= MAX_ADDRESSES:
        raise ApplicationError(
            _("最多保存 %(n)d 个地址。") % {"n": MAX_ADDRESSES},
            code=OrderErrorCode.TOO_MANY_ADDRESSES,
        )
    others = [a for a in existing if address is None or a.pk != address.pk]
    make_default = is_default or not any(a.is_default for a in others)
    if make_default:
        Address.objects.filter(user=user, is_default=True).exclude(
            pk=address.pk if address else None
        ).update(is_default=False)
    if address is None:
        address = Address(user=user)
    for name, value in {**values, **chain}.items():
        setattr(address, name, value)
    address.is_default = make_default
    address.save()
    return address


@transaction.atomic
def address_set_default(*, user, address: Address) -> Address:
    if address.user_id != user.pk:
        raise ApplicationError(_("地址不存在。"), code=OrderErrorCode.ADDRESS_NOT_FOUND)
    list(Address.objects.select_for_update().filter(user=user))
    Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(
        is_default=False
    )
    address.is_default = True
    address.save(update_fields=["is_default", "updated_at"])
    return address


@transaction.atomic
def address_delete(*, user, address: Address) -> None:
    """Delete; when it was the default, the most recently used other address becomes default."""
    if address.user_id != user.pk:
        raise ApplicationError(_("地址不存在。"), code=OrderErrorCode.ADDRESS_NOT_FOUND)
    list(Address.objects.select_for_update().filter(user=user))
    was_default = address.is_default
    address.delete()
    if was_default:
        successor = Address.objects.filter(user=user).order_by("-updated_at", "-id").first()
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])
