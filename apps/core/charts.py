"""One chart helper for every figures page (analytics dashboards, customer-service reports).

A `Chart` is built on the server from plain rows: it gives the ECharts option (rendered by
static/js/charts.js with the vendored ECharts in static/vendor/, nothing from a CDN), the same
numbers as a table (templates/includes/chart.html shows it under the chart) and as CSV
(`csv_response`). Labels are whatever the caller passes: translated Chinese strings.
"""

import csv
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse
from django.utils.formats import localize
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
        the tables of a 365-day figures page took most of its render time."""

        def cell(value) -> str:
            if value is None:
                return "—"
            return conditional_escape(str(localize(template_localtime(value))))

        # Safe: every value is escaped by cell().
        return mark_safe(
            "".join(
                "<tr>" + "".join(f"<td>{cell(value)}</td>" for value in row) + "</tr>"
                for row in self.rows()
            )
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
