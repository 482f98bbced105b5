"""One chart helper for every figures page (analytics dashboards, customer-service reports).

A `Chart` is built on the server from plain rows: it gives the ECharts option (rendered by
static/js/charts.js with the vendored ECharts in static/vendor/, nothing from a CDN), the same
numbers as a table (templates/includes/chart.html shows it under the chart) and as CSV
(`csv_response`). Labels are whatever the caller passes: translated Chinese strings.
"""

import csv
import html
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.utils import numberformat
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)  # for the chart only: tables and CSV keep the Decimal text
    if value is None:
        return None
    return value if isinstance(value, int | float) else str(value)


@dataclass
class Series:
    name: str
    values: list
    kind: str = "line"  # "line" or "bar"
    dashed: bool = False


@dataclass
class Chart:
    key: str  # unique on the page; also the ?export= value of its CSV
    title: str
    x_label: str
    x: list
    series: list[Series] = field(default_factory=list)
    unit: str = ""
    horizontal: bool = False  # bars from the left, for rankings
    link: str = ""  # the chart's full page, when it sits on a summary

    @property
    def option_id(self) -> str:
        return f"option-{self.key}"

    def option(self) -> dict:
        categories = [str(value) for value in self.x]
        value_axis = {"type": "value", "name": self.unit, "scale": not self.horizontal}
        category_axis = {"type": "category", "data": categories}
        option = {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": [s.name for s in self.series], "top": 0},
            "grid": {"left": 60, "right": 24, "top": 36, "bottom": 36, "containLabel": True},
            "xAxis": value_axis if self.horizontal else category_axis,
            "yAxis": {**category_axis, "inverse": True} if self.horizontal else value_axis,
            "series": [
                {
                    "name": s.name,
                    "type": s.kind,
                    "data": [_plain(v) for v in s.values],
                    "connectNulls": False,
                    "showSymbol": len(categories) <= 31,
                    **({"lineStyle": {"type": "dashed"}} if s.dashed else {}),
                }
                for s in self.series
            ],
        }
        return option

    def header(self) -> list[str]:
        return [self.x_label, *(s.name for s in self.series)]

    def rows(self) -> list[list]:
        return [[x, *(s.values[i] for s in self.series)] for i, x in enumerate(self.x)]

    def table_html(self) -> SafeString:
        """The table's body rows, each value as a template shows it (local time, localized,
        escaped; None as "—"), built in one pass: rendered cell by cell by template nodes,
        the tables of a 365-day figures page took most of its render time. The number formats
        of the active language are looked up once per table, not once per cell (`_CellFormat`:
        the same text as `localize`, tested against the template loop)."""
        cell = _CellFormat().cell
        # Safe: every value is escaped by cell().
        return mark_safe(
            "".join(
                "<tr>" + "".join(f"<td>{cell(value)}</td>" for value in row) + "</tr>"
                for row in self.rows()
            )
        )


class _CellFormat:
    """One table's cells as `{{ value|default_if_none:"—" }}` renders them, with the active
    language's number formats read once. Plain ints, finite Decimals and plain strings take a
    short path giving `localize`'s text; anything else goes through localize itself."""

    def __init__(self):
        self.decimal_sep = get_format("DECIMAL_SEPARATOR")
        self.grouping = get_format("NUMBER_GROUPING")
        self.thousand_sep = get_format("THOUSAND_SEPARATOR")
        # numberformat.format groups digits only in this case (localize: use_l10n on).
        self.plain = not (settings.USE_THOUSAND_SEPARATOR and self.grouping != 0)
        # A number's text is digits, "-", "E" and the separators: escaping changes it only when
        # a separator holds markup characters.
        separators = f"{self.decimal_sep}{self.thousand_sep}"
        self.escape_numbers = html.escape(separators) != separators

    def cell(self, value) -> str:
        kind = type(value)
        if value is None:
            return "—"
        if kind is str:
            return html.escape(value)
        if kind is int:
            text = str(value) if self.plain else self._number(value)
            return html.escape(text) if self.escape_numbers else text
        if kind is Decimal and value.is_finite():
            _sign, digits, exponent = value.as_tuple()
            if self.plain and abs(exponent) + len(digits) <= 200:
                # numberformat.format: "{:f}", the point replaced by the separator.
                text = f"{value:f}".replace(".", self.decimal_sep, 1)
            else:
                text = self._number(value)
            return html.escape(text) if self.escape_numbers else text
        return conditional_escape(str(localize(template_localtime(value))))

    def _number(self, value) -> str:
        return numberformat.format(
            value, self.decimal_sep, None, self.grouping, self.thousand_sep, use_l10n=True
        )


def csv_response(chart: Chart, *, filename: str | None = None) -> HttpResponse:
    """The chart's table as a CSV download (UTF-8 with BOM, so Excel opens it in Chinese)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename or chart.key}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(chart.header())
    for row in chart.rows():
        writer.writerow(["" if value is None else value for value in row])
    return response
