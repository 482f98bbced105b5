"""CSV imports of tracking scans and temperature readings (admin pages call these).

Tracking CSV columns: carrier, tracking_number, time, status, location, text.
Temperature CSV columns: tracking_number, time, celsius (and an optional carrier column, needed
only when two carriers' waybills share a number).

`time` is ISO 8601; without an offset it is Beijing time (what a merchant types). `status` is
one of TrackingEvent.Status's codes or its Chinese label. Every bad row is reported with its
line number (the header is line 1) and skipped; the good rows are stored in one transaction, so
an import is either stored whole (minus the reported rows) or not at all. A row for a shipment
the user may not see is reported as "包裹不存在", exactly like a number that does not exist.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.text import csv_decode
from apps.logistics.errors import LogisticsErrorCode
from apps.logistics.models import Shipment, TrackingEvent
from apps.logistics.services.temperature import (
    ReadingInput,
    reading_input_clean,
    temperature_readings_record,
)
from apps.logistics.services.tracking import (
    IngestItem,
    tracking_events_ingest,
    tracking_input_clean,
)
from apps.stores.selectors import scope_to_user_stores

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_ROWS = 20_000
# Required columns; location and text may be left out.
TRACKING_COLUMNS = ("carrier", "tracking_number", "time", "status")
TEMPERATURE_COLUMNS = ("tracking_number", "time", "celsius")


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    out_of_range: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rows_ok(self) -> int:
        return self.created + self.duplicates


def _decode(data: bytes) -> str:
    decoded = csv_decode(data)
    if decoded is None:
        raise ApplicationError(
            _("无法识别文件编码，请保存为 UTF-8 或 GBK 的 CSV。"),
            code=LogisticsErrorCode.INVALID_CSV,
        )
    return decoded[0]


def _rows(data: bytes, required: tuple[str, ...]):
    """Yield (line number, {column: value}) for each non-empty data row."""
    reader = csv.reader(io.StringIO(_decode(data)))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in required if name not in header]
    if missing:
        raise ApplicationError(
            _("CSV 缺少列：%s") % ", ".join(missing),
            code=LogisticsErrorCode.INVALID_CSV,
            fields={"file": _("第一行应为列名：%s") % ",".join(required)},
        )
    count = 0
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        count += 1
        if count > MAX_ROWS:
            raise ApplicationError(
                _("一次最多导入 %d 行。") % MAX_ROWS, code=LogisticsErrorCode.INVALID_CSV
            )
        row = {
            name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)
        }
        yield reader.line_num, row


def _not_found() -> str:
    # The same words for "no such parcel" and "another store's parcel".
    return _("包裹不存在")


def parse_local_time(value: str) -> datetime | None:
    try:
        moment = parse_datetime(value.strip().replace("/", "-"))
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment


def _time_unreadable(value: str) -> str:
    # Say what the column accepts: naive times are fine (Beijing time), so "needs a time zone"
    # would send the merchant the wrong way.
    problem = _("时间无法识别：「%s」。") % value[:40] if value.strip() else _("缺少时间。")
    return problem + _(
        "请写成 年-月-日 时:分（可带秒），如 2026-11-20 08:30 或 2026/11/20 08:30:00，"
        "按北京时间；或带时区的 ISO 8601，如 2026-11-20T08:30:00+08:00。"
    )


def _status_code(value: str) -> str:
    value = value.strip()
    if value.lower() in TrackingEvent.Status.values:
        return value.lower()
    for code, label in TrackingEvent.Status.choices:
        if value == str(label):
            return code
    return value


def tracking_csv_import(*, data: bytes, user) -> ImportReport:
    report = ImportReport()
    parsed: list[tuple[int, IngestItem]] = []
    for line, row in _rows(data, TRACKING_COLUMNS):
        carrier = row["carrier"].lower()
        number = row["tracking_number"].upper()
        occurred_at = parse_local_time(row["time"])
        if occurred_at is None:
            report.errors.append((line, _time_unreadable(row["time"])))
            continue
        try:
            scan = tracking_input_clean(
                occurred_at=occurred_at,
                status=_status_code(row["status"]),
                location=row.get("location", ""),
                text=row.get("text", ""),
            )
        except ApplicationError as exc:
            report.errors.append((line, exc.message))
            continue
        parsed.append((line, IngestItem(carrier, number, scan)))
    visible = set(
        scope_to_user_stores(Shipment.objects.all(), user)
        .filter(tracking_number__in={item.tracking_number for _, item in parsed})
        .values_list("carrier__code", "tracking_number")
    )
    items: list[IngestItem] = []
    lines: list[int] = []
    for line, item in parsed:
        if (item.carrier_code, item.tracking_number) not in visible:
            report.errors.append((line, _not_found()))
            continue
        items.append(item)
        lines.append(line)
    with transaction.atomic():
        results = tracking_events_ingest(feed=None, items=items, source="csv", actor=user)
    for line, result in zip(lines, results, strict=True):
        if result.result == "created":
            report.created += 1
        elif result.result == "duplicate":
            report.duplicates += 1
        else:
            report.errors.append((line, result.message or _not_found()))
    report.errors.sort()
    return report


def temperature_csv_import(*, data: bytes, user, shipment: Shipment | None = None) -> ImportReport:
    """Readings of many parcels (tracking_number column), or of `shipment` when given."""
    report = ImportReport()
    required = TEMPERATURE_COLUMNS[1:] if shipment is not None else TEMPERATURE_COLUMNS
    rows = list(_rows(data, required))
    scoped = scope_to_user_stores(Shipment.objects.all(), user).select_related("carrier")
    if shipment is None:
        numbers = {row["tracking_number"].upper() for _, row in rows}
        candidates: dict[str, list[Shipment]] = {}
        for candidate in scoped.filter(tracking_number__in=numbers):
            candidates.setdefault(candidate.tracking_number, []).append(candidate)
    per_shipment: dict[int, tuple[Shipment, list[ReadingInput]]] = {}
    for line, row in rows:
        target = shipment
        if target is None:
            matches = candidates.get(row["tracking_number"].upper(), [])
            carrier = row.get("carrier", "").lower()
            if carrier:
                matches = [m for m in matches if m.carrier.code == carrier]
            if not matches:
                report.errors.append((line, _not_found()))
                continue
            if len(matches) > 1:
                report.errors.append((line, _("运单号对应多个包裹，请填写 carrier 列。")))
                continue
            target = matches[0]
        measured_at = parse_local_time(row["time"])
        if measured_at is None:
            report.errors.append((line, _time_unreadable(row["time"])))
            continue
        try:
            reading = reading_input_clean(measured_at=measured_at, celsius=row["celsius"])
        except ApplicationError as exc:
            report.errors.append((line, exc.message))
            continue
        per_shipment.setdefault(target.pk, (target, []))[1].append(reading)
    with transaction.atomic():
        for target, readings in per_shipment.values():
            outcome = temperature_readings_record(
                shipment=target, readings=readings, source="csv", actor=user
            )
            report.created += outcome["created"]
            report.duplicates += outcome["duplicates"]
            report.out_of_range += outcome["out_of_range"]
    return report
