"""CSV exports of the ledger and of a statement (UTF-8 with BOM, so Excel reads Chinese)."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.settlement.models import LedgerEntry, SettlementStatement
from apps.settlement.selectors import FIGURE_TYPES


def _csv_response(filename: str) -> tuple[HttpResponse, csv.writer]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response, csv.writer(response)


def _entry_row(entry: LedgerEntry) -> list[str]:
    return [
        timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        entry.store.name,
        entry.get_type_display(),
        f"{entry.amount:.2f}",
        entry.order.number if entry.order_id else "",
        entry.reference,
        entry.reason,
        str(entry.statement_id or ""),
    ]


def _entry_header() -> list[str]:
    return [
        _("时间"),
        _("店铺"),
        _("类型"),
        _("金额"),
        _("订单号"),
        _("单号"),
        _("说明"),
        _("结算单"),
    ]


def ledger_csv(entries: Iterable[LedgerEntry], *, filename: str = "ledger.csv") -> HttpResponse:
    """`entries` must come with store, order selected (ledger_list_for_user does)."""
    response, writer = _csv_response(filename)
    writer.writerow(_entry_header())
    for entry in entries:
        writer.writerow(_entry_row(entry))
    return response


def statement_csv(statement: SettlementStatement, entries: Iterable[LedgerEntry]) -> HttpResponse:
    """Summary rows (period, figures, status) then every entry of the statement."""
    filename = f"settlement-{statement.store.slug}-{statement.period_start:%Y%m%d}.csv"
    response, writer = _csv_response(filename)
    writer.writerow([_("店铺"), statement.store.name])
    writer.writerow(
        [_("结算周期"), f"{statement.period_start:%Y-%m-%d}", f"{statement.period_end:%Y-%m-%d}"]
    )
    writer.writerow([_("状态"), statement.get_status_display()])
    for name in FIGURE_TYPES:
        writer.writerow(
            [
                SettlementStatement._meta.get_field(name).verbose_name,
                f"{getattr(statement, name):.2f}",
            ]
        )
    writer.writerow([_("应结金额"), f"{statement.net_payable:.2f}"])
    if statement.payout_reference:
        writer.writerow([_("打款流水号"), statement.payout_reference])
    writer.writerow([])
    writer.writerow(_entry_header())
    for entry in entries:
        entry.store = statement.store
        writer.writerow(_entry_row(entry))
    return response
