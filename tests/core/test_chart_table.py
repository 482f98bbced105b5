"""Chart.table_html gives exactly what the chart include's former per-cell template loop gave:
dates, decimals, None and markup rendered as a template renders them."""

import datetime as dt
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

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
