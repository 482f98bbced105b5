"""The demand-forecast job: every category × buyer county with enough history gets a 14-day
forecast of its daily demand (apps.analytics.forecasting says how).

History comes from DemandDaily (paid pieces + unpaid wholesale requests + searches; one
aggregate query), the last ANALYTICS_FORECAST_HISTORY_DAYS days up to yesterday, days without
demand counting 0 from the series' first day of demand. Each run replaces every forecast
(idempotent).
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from apps.analytics.forecasting import forecast_choose, has_enough_history
from apps.analytics.models import DemandDaily, DemandForecast
from apps.analytics.services.runs import JobResult, job_run

FORECAST_JOB = "demand_forecast"


def _decimal(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def demand_series(*, until: dt.date, days: int) -> dict[tuple, tuple[str, list[float]]]:
    """(category id, region code) → (region name, daily demand from its first non-zero day)."""
    since = until - dt.timedelta(days=days - 1)
    rows = (
        DemandDaily.objects.filter(date__gte=since, date__lte=until)
        .values("category_id", "region_code", "date")
        .annotate(quantity=Sum("demand"), region=Max("region_name"))
        .order_by()
    )
    by_series: dict[tuple, dict[dt.date, float]] = defaultdict(dict)
    names: dict[tuple, str] = {}
    for row in rows:
        key = (row["category_id"], row["region_code"])
        by_series[key][row["date"]] = float(row["quantity"])
        names[key] = row["region"]
    series = {}
    for key, values in by_series.items():
        first = min(values)
        length = (until - first).days + 1
        history = [values.get(first + dt.timedelta(days=i), 0.0) for i in range(length)]
        series[key] = (names.get(key, ""), history)
    return series


def demand_forecast():
    """The forecast job (one JobRun): recompute every forecast from the current history."""

    def work() -> JobResult:
        today = timezone.localdate()
        until = today - dt.timedelta(days=1)
        series = demand_series(until=until, days=settings.ANALYTICS_FORECAST_HISTORY_DAYS)
        rows = []
        for (category_id, region_code), (region_name, history) in series.items():
            if not has_enough_history(history):
                continue
            result = forecast_choose(history)
            for h, (value, low, high) in enumerate(
                zip(result.values, result.lower, result.upper, strict=True), start=1
            ):
                rows.append(
                    DemandForecast(
                        category_id=category_id,
                        region_code=region_code,
                        region_name=region_name,
                        date=until + dt.timedelta(days=h),
                        quantity=_decimal(value),
                        lower=_decimal(low),
                        upper=_decimal(high),
                        method=result.method,
                        mape=None if result.mape is None else Decimal(f"{result.mape:.4f}"),
                        made_on=today,
                    )
                )
        DemandForecast.objects.all().delete()
        DemandForecast.objects.bulk_create(rows, batch_size=2000)
        return JobResult(rows=len(rows), watermark=today.isoformat(), date_from=today)

    return job_run(job=FORECAST_JOB, is_full=True, work=work)
