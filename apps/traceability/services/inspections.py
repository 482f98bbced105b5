"""Inspections (检测): rapid or lab tests of a lot, with their items and a validated report."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.core.images import image_clean
from apps.traceability.errors import TraceErrorCode
from apps.traceability.models import Inspection, InspectionItem, Lot, TraceEvent
from apps.traceability.services.common import (
    field_error,
    not_in_future_check,
    store_access_check,
)
from apps.traceability.services.events import EventLotInput, trace_event_append
from apps.traceability.services.holds import lot_sku_ids, skus_lock
from apps.traceability.services.lots import lot_hold, lots_lock

PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class ItemInput:
    substance: str
    result_value: Decimal | None = None
    result_text: str = ""
    limit_value: Decimal | None = None
    unit: str = "mg/kg"
    method: str = ""
    is_passed: bool | None = None


def report_clean(upload: UploadedFile | ContentFile) -> tuple[bytes, str]:
    """A report is a PDF (checked by its magic bytes) or an image (re-encoded, EXIF-free).

    Returns the bytes to store and their extension; refuses anything else or anything over
    TRACE_REPORT_MAX_BYTES before reading it whole.
    """
    limit = settings.TRACE_REPORT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise field_error(
            _("检测报告不能超过 %(mb)s MB。") % {"mb": limit // (1024 * 1024)},
            code=TraceErrorCode.REPORT_TOO_LARGE,
            field="report_file",
        )
    upload.seek(0)
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise field_error(
            _("检测报告太大。"), code=TraceErrorCode.REPORT_TOO_LARGE, field="report_file"
        )
    if raw.startswith(PDF_MAGIC):
        if b"%%EOF" not in raw[-2048:]:
            raise field_error(
                _("PDF 文件不完整。"), code=TraceErrorCode.REPORT_INVALID, field="report_file"
            )
        return raw, "pdf"
    try:
        jpeg, _size = image_clean(ContentFile(raw), field="report_file")
    except ApplicationError:
        raise field_error(
            _("检测报告须为 PDF 或图片（JPEG、PNG、WebP）。"),
            code=TraceErrorCode.REPORT_INVALID,
            field="report_file",
        ) from None
    return jpeg, "jpg"


def _item_clean(item: ItemInput) -> InspectionItem:
    substance = (item.substance or "").strip()
    if not substance:
        raise field_error(_("请填写检测项目。"), code="required", field="items")
    # A numeric result with a limit decides by itself; otherwise (阴性/未检出) the tester says.
    if item.result_value is not None and item.limit_value is not None:
        passed = Decimal(item.result_value) <= Decimal(item.limit_value)
    elif item.is_passed is None:
        raise field_error(
            _("「%(item)s」请填写结果与限量，或注明是否合格。") % {"item": substance},
            code="required",
            field="items",
        )
    else:
        passed = bool(item.is_passed)
    return InspectionItem(
        substance=substance,
        result_value=item.result_value,
        result_text=(item.result_text or "").strip(),
        limit_value=item.limit_value,
        unit=(item.unit or "mg/kg").strip(),
        method=(item.method or "").strip(),
        is_passed=passed,
    )


@transaction.atomic
def inspection_record(
    *,
    lot: Lot,
    kind: str,
    inspected_on: date,
    items: Sequence[ItemInput],
    actor: User | None,
    lab_name: str = "",
    report_number: str = "",
    report_file: UploadedFile | ContentFile | None = None,
) -> Inspection:
    """Record a test with its items; an inspecting event seals the results and report hash.

    A failed item puts an active lot on hold at once.
    """
    store_access_check(actor=actor, store_id=lot.store_id)
    lots_lock([lot.pk])  # a failed test holds the lot after the event: lot first, then chain
    not_in_future_check(inspected_on, field="inspected_on")
    if kind == Inspection.Kind.LAB and not (lab_name or "").strip():
        raise field_error(
            _("实验室检测请填写检测机构。"), code=TraceErrorCode.LAB_REQUIRED, field="lab_name"
        )
    if not items:
        raise field_error(
            _("请至少填写一个检测项目。"), code=TraceErrorCode.NO_ITEMS, field="items"
        )
    rows = [_item_clean(item) for item in items]
    if lot.status == Lot.Status.ACTIVE and not all(row.is_passed for row in rows):
        # The hold below refreshes the lot's SKUs after the event took the chain head: lock
        # them now (lot, SKUs, chain head is the order every service keeps).
        skus_lock(sku_ids=lot_sku_ids([lot.pk]))
    content = extension = None
    if report_file is not None:
        content, extension = report_clean(report_file)

    inspection = Inspection(
        store_id=lot.store_id,
        lot=lot,
        kind=kind,
        inspected_on=inspected_on,
        lab_name=(lab_name or "").strip(),
        report_number=(report_number or "").strip(),
        is_passed=all(row.is_passed for row in rows),
        recorded_by=actor,
    )
    if content is not None:
        inspection.report_sha256 = hashlib.sha256(content).hexdigest()
        inspection.report_file.save(
            f"{inspection.report_sha256[:16]}.{extension}", ContentFile(content), save=False
        )
    try:
        _inspection_save(inspection, rows, lot=lot, actor=actor)
    except Exception:
        # Everything was validated before the file was written; should the database still
        # refuse, do not leave an orphan report behind.
        if inspection.report_file:
            inspection.report_file.storage.delete(inspection.report_file.name)
        raise
    if not inspection.is_passed and lot.status == Lot.Status.ACTIVE:
        failed = "、".join(row.substance for row in rows if not row.is_passed)
        lot_hold(lot=lot, actor=actor, reason=_("检测不合格：%(items)s") % {"items": failed})
    return inspection


def _inspection_save(
    inspection: Inspection, rows: list[InspectionItem], *, lot: Lot, actor: User | None
) -> None:
    inspection.save()
    for row in rows:
        row.inspection = inspection
    InspectionItem.objects.bulk_create(rows)

    trace_event_append(
        store=lot.store,
        event_type=TraceEvent.EventType.OBJECT,
        action=TraceEvent.Action.OBSERVE,
        business_step=TraceEvent.BusinessStep.INSPECTING,
        disposition=(
            TraceEvent.Disposition.CONFORMANT
            if inspection.is_passed
            else TraceEvent.Disposition.NON_CONFORMANT
        ),
        lots=[EventLotInput(lot=lot)],
        actor=actor,
        extra={
            "kind": "inspection",
            "inspection_id": inspection.pk,
            "method": inspection.kind,
            "inspected_on": inspection.inspected_on.isoformat(),
            "lab": inspection.lab_name,
            "report_number": inspection.report_number,
            "report_sha256": inspection.report_sha256,
            "items": [
                {
                    "substance": row.substance,
                    "result": None if row.result_value is None else str(row.result_value),
                    "result_text": row.result_text,
                    "limit": None if row.limit_value is None else str(row.limit_value),
                    "unit": row.unit,
                    "passed": row.is_passed,
                }
                for row in rows
            ],
        },
    )
