"""Builders for the wholesale tests: they go through the real services."""

import datetime as dt
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from apps.stores.validators import uscc_check_character
from apps.wholesale.models import BuyerOrganisation, CreditEntry
from apps.wholesale.services import (
    buyer_organisation_apply,
    buyer_organisation_verify,
    credit_limit_set,
)
from tests.factories import UserFactory

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def uscc(serial: int) -> str:
    """A valid 统一社会信用代码 (right check character) that differs per serial."""
    first17 = f"91350100MA{serial:07d}"
    return first17 + uscc_check_character(first17)


def application(**overrides) -> dict:
    data = {
        "name": "城关镇便民超市",
        "kind": BuyerOrganisation.Kind.SUPERMARKET,
        "licence_number": uscc(1),
        "contact_name": "李四",
        "contact_phone": "13900001111",
        "address": "兴国县城关镇解放路 8 号",
    }
    return {**data, **overrides}


def jpeg_upload(name: str = "licence.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (30, 120, 60)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def fake_image_upload(name: str = "licence.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00 not an image", content_type="image/jpeg")


_serial = iter(range(100, 10_000))


def make_organisation(
    *,
    user=None,
    verified: bool = True,
    credit_limit: Decimal | str = "0.00",
    staff=None,
    name: str = "城关镇便民超市",
) -> BuyerOrganisation:
    user = user or UserFactory()
    organisation = buyer_organisation_apply(
        user=user, **application(name=name, licence_number=uscc(next(_serial)))
    )
    if verified:
        reviewer = staff or UserFactory(is_staff=True)
        organisation = buyer_organisation_verify(organisation=organisation, actor=reviewer)
        if Decimal(credit_limit):
            organisation = credit_limit_set(
                organisation=organisation,
                credit_limit=Decimal(credit_limit),
                actor=reviewer,
                reason="测试授信",
            )
    return organisation


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An aware Asia/Shanghai datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def backdate(entry: CreditEntry, when: dt.datetime) -> CreditEntry:
    """Ledger times come from the database clock; tests move an entry into another month.

    The ledger is append-only (the ORM refuses updates), so the test writes under it in SQL.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CreditEntry._meta.db_table} SET created_at = %s WHERE id = %s",
            # adapted as the ORM would: SQLite stores datetimes as UTC text, with no offset
            [connection.ops.adapt_datetimefield_value(when), entry.pk],
        )
    entry.refresh_from_db()
    return entry


def now_after(year: int, month: int) -> dt.datetime:
    """A moment safely after the given month has ended."""
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.datetime.combine(following, dt.time(2, 0), tzinfo=SHANGHAI)
