"""Importing market quotes (行情) from a CSV file in the Xinfadi-style schema.

Columns are found by their Chinese header or Xinfadi's field name (see COLUMNS); extra columns
are ignored. Every row is checked on its own: a bad row is reported with its line number (the
header is line 1, as a spreadsheet shows it) and the good rows are kept. A row is either
imported whole or not at all, and re-importing a file adds nothing (the unique constraint on
market, commodity, spec, origin and date, with ON CONFLICT DO NOTHING).
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.errors import AnalyticsErrorCode
from apps.analytics.models import Commodity, CommodityAlias, Market, PriceImport, PriceObservation
from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.core.text import csv_decode

# Field → header names accepted for it (Chinese first, then Xinfadi's JSON field names).
COLUMNS: dict[str, tuple[str, ...]] = {
    "market": ("市场", "市场名称", "market"),
    "commodity": ("品名", "品种", "prodName", "commodity"),
    "spec": ("规格", "specInfo", "spec"),
    "origin": ("产地", "place", "origin"),
    "unit": ("单位", "unitInfo", "unit"),
    "low": ("最低价", "lowPrice", "low"),
    "avg": ("平均价", "avgPrice", "avg"),
    "high": ("最高价", "highPrice", "high"),
    "volume": ("成交量", "volume"),
    "date": ("日期", "发布日期", "pubDate", "date"),
}
REQUIRED = ("market", "commodity", "unit", "low", "avg", "high", "date")

# Kilograms in one unit of the price: prices are divided by it, volumes multiplied by it (a
# volume is counted in the weight unit of its price: 元/斤 with 成交量 100 means 100 斤).
UNIT_KILOGRAMS: dict[str, Decimal] = {
    "元/公斤": Decimal(1),
    "元/千克": Decimal(1),
    "元/kg": Decimal(1),
    "元/斤": Decimal("0.5"),
    "元/500克": Decimal("0.5"),
    "元/吨": Decimal(1000),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S")


@dataclass(frozen=True)
class ParsedRow:
    line: int
    observation: PriceObservation


def _decode(content: bytes) -> tuple[str, str]:
    decoded = csv_decode(content)
    if decoded is None:
        raise ApplicationError(
            _("文件编码无法识别，请保存为 UTF-8 或 GBK 编码的 CSV。"),
            code=AnalyticsErrorCode.IMPORT_UNREADABLE,
        )
    return decoded


def _header_map(header: list[str]) -> dict[str, int]:
    positions = {name.strip(): index for index, name in enumerate(header)}
    found = {}
    for field, names in COLUMNS.items():
        for name in names:
            if name in positions:
                found[field] = positions[name]
                break
    missing = [COLUMNS[field][0] for field in REQUIRED if field not in found]
    if missing:
        raise ApplicationError(
            _("缺少必需的列：%(columns)s。") % {"columns": "、".join(missing)},
            code=AnalyticsErrorCode.IMPORT_BAD_COLUMNS,
            fields={"file": _("缺少列：%(columns)s") % {"columns": "、".join(missing)}},
        )
    return found


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    return None


class _RowChecker:
    """Turns one CSV row into an unsaved PriceObservation, or the list of its problems."""

    def __init__(self, columns: dict[str, int], today: dt.date) -> None:
        self.columns = columns
        self.today = today
        self.markets = {m.name: m for m in Market.objects.all()}
        self.commodities = {c.name: c for c in Commodity.objects.all()}
        for alias in CommodityAlias.objects.select_related("commodity"):
            self.commodities.setdefault(alias.alias, alias.commodity)
        self.price_min = Decimal(settings.ANALYTICS_PRICE_MIN)
        self.price_max = Decimal(settings.ANALYTICS_PRICE_MAX)

    def cell(self, row: list[str], field: str) -> str:
        index = self.columns.get(field)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def check(self, row: list[str]) -> tuple[PriceObservation | None, list[str]]:
        problems: list[str] = []
        market_name = self.cell(row, "market")
        market = self.markets.get(market_name)
        if market is None:
            problems.append(_("未知市场“%(name)s”") % {"name": market_name})
        commodity_name = self.cell(row, "commodity")
        commodity = self.commodities.get(commodity_name)
        if commodity is None:
            problems.append(_("未知品种“%(name)s”") % {"name": commodity_name})
        unit = self.cell(row, "unit").replace(" ", "")
        kilograms = UNIT_KILOGRAMS.get(unit) or UNIT_KILOGRAMS.get(unit.lower())
        if kilograms is None:
            problems.append(_("不支持的单位“%(unit)s”") % {"unit": unit})
        prices: dict[str, Decimal] = {}
        for field, label in (("low", _("最低价")), ("avg", _("平均价")), ("high", _("最高价"))):
            value = _decimal(self.cell(row, field))
            if value is None:
                problems.append(_("%(label)s不是数字") % {"label": label})
            elif kilograms is not None:
                per_kg = to_money(value / kilograms)
                if not self.price_min <= per_kg <= self.price_max:
                    problems.append(
                        _("%(label)s %(value)s 元/公斤超出合理范围 %(min)s–%(max)s")
                        % {
                            "label": label,
                            "value": per_kg,
                            "min": self.price_min,
                            "max": self.price_max,
                        }
                    )
                else:
                    prices[field] = per_kg
        if len(prices) == 3 and not prices["low"] <= prices["avg"] <= prices["high"]:
            problems.append(_("价格须满足 最低价 ≤ 平均价 ≤ 最高价"))
        volume_kg = None
        volume_text = self.cell(row, "volume")
        if volume_text:
            volume = _decimal(volume_text)
            if volume is None or volume < 0:
                problems.append(_("成交量须为非负数字"))
            elif kilograms is not None:
                volume_kg = to_money(volume * kilograms)
        day = _date(self.cell(row, "date"))
        if day is None:
            problems.append(_("日期“%(text)s”无法识别") % {"text": self.cell(row, "date")})
        elif day > self.today:
            problems.append(_("日期 %(day)s 在未来") % {"day": day.isoformat()})
        if problems:
            return None, problems
        return (
            PriceObservation(
                market=market,
                commodity=commodity,
                spec=self.cell(row, "spec")[:40],
                origin=self.cell(row, "origin")[:40],
                date=day,
                low_price=prices["low"],
                avg_price=prices["avg"],
                high_price=prices["high"],
                volume_kg=volume_kg,
                source_unit=unit,
            ),
            [],
        )


def market_prices_import(*, content: bytes, file_name: str, actor=None) -> PriceImport:
    """Import the quotes of one CSV file; returns the import record with its counts and errors.

    A file that cannot be decoded or lacks a required column is refused as a whole
    (ApplicationError); otherwise every bad row is listed in `errors` and the rest is saved.
    """
    text, encoding = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise ApplicationError(
            _("文件是空的。"),
            code=AnalyticsErrorCode.IMPORT_BAD_COLUMNS,
            fields={"file": _("空文件")},
        )
    checker = _RowChecker(_header_map(header), timezone.localdate())
    good: list[PriceObservation] = []
    errors: list[dict] = []
    total = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        total += 1
        observation, problems = checker.check(row)
        if problems:
            errors.append({"line": reader.line_num, "message": "；".join(problems)})
        else:
            good.append(observation)
    with transaction.atomic():
        record = PriceImport.objects.create(
            file_name=file_name[:200],
            actor=actor,
            encoding=encoding,
            rows_total=total,
            errors=errors,
        )
        for observation in good:
            observation.price_import = record
        PriceObservation.objects.bulk_create(good, batch_size=2000, ignore_conflicts=True)
        record.rows_added = PriceObservation.objects.filter(price_import=record).count()
        record.rows_duplicate = len(good) - record.rows_added
        record.save(update_fields=["rows_added", "rows_duplicate"])
    return record
