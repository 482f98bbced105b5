"""Chart.table_html gives exactly what the chart include's former per-cell template loop gave:
dates, decimals, None and markup rendered as a template renders them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from apps.core.charts import Chart, Series

LOOP = Template(
    '{% for row in chart.rows %}<tr>{% for value in row %}<td>{{ value|default_if_none:"—" }}'
    "</td>{% endfor %}</tr>{% endfor %}"
)


def test_the_table_rows_match_the_template_loop():
    chart = Chart(
        key="k",
        title="t",
        x_label="日期",
        x=[dt.date(2026, 12, 1), dt.date(2026, 12, 2), "<b>&店</b>"],
        series=[
            Series("成交额", [Decimal("1234.50"), None, Decimal("0.10")]),
            Series("订单", [3, 1234567, None]),
            Series("比率", [0.25, 1.5, -2.0]),
        ],
    )
    with translation.override("zh-hans"):
        expected = LOOP.render(Context({"chart": chart}))
        got = chart.table_html()
    assert got == expected
    assert "&lt;b&gt;&amp;店&lt;/b&gt;" in got
    assert got.count("<td>—</td>") == 2


@pytest.mark.parametrize("thousands", [False, True])
@pytest.mark.parametrize("language", ["zh-hans", "de", "en"])
def test_every_kind_of_cell_matches_the_template_loop(settings, thousands, language):
    """The short paths (ints, Decimals, plain strings) give localize's text in every case:
    signs, zeros, exponents, grouping on or off, another decimal separator."""
    settings.USE_THOUSAND_SEPARATOR = thousands
    values = [
        0, -7, 1234567, -1234567, True, False, 2.5, -1e-20, 1e21,
        Decimal("0.00"), Decimal("-0.00"), Decimal("-1234567.89"), Decimal("1E+3"),
        Decimal("1.5E-7"), Decimal("12345678901234567890.123"), Decimal("NaN"),
        Decimal("Infinity"), Decimal("1E+250"), "a<b>&'\"", mark_safe("<i>safe</i>"),
        gettext_lazy("日期"), dt.datetime(2026, 12, 1, 3, 4, tzinfo=dt.UTC), None,
    ]  # fmt: skip
    chart = Chart(
        key="k",
        title="t",
        x_label="x",
        x=list(range(len(values))),
        series=[Series("v", values)],
    )
    with translation.override(language):
        expected = LOOP.render(Context({"chart": chart}))
        got = chart.table_html()
    assert got == expected


def test_separators_with_markup_characters_are_escaped_as_the_template_escapes_them(settings):
    settings.USE_THOUSAND_SEPARATOR = True
    settings.DECIMAL_SEPARATOR = "<"
    settings.THOUSAND_SEPARATOR = "&"
    settings.NUMBER_GROUPING = 3
    chart = Chart(
        key="k",
        title="t",
        x_label="x",
        x=[1, 2],
        series=[Series("v", [1234567, Decimal("-1234.5")])],
    )
    with translation.override(None):  # the settings' formats, not a language's
        expected = LOOP.render(Context({"chart": chart}))
        got = chart.table_html()
    assert got == expected
    assert "1&amp;234&amp;567" in got
