"""Celery entry points of the aggregation jobs (beat schedule: settings.PERIODIC_TASKS).

Each returns the id of its JobRun; a failed run is recorded and the task fails with it.
"""

from celery import shared_task

from apps.analytics.services.demand import demand_aggregate
from apps.analytics.services.forecasts import demand_forecast
from apps.analytics.services.prices import prices_aggregate
from apps.analytics.services.sales import sales_aggregate


@shared_task
def prices_aggregate_task(full: bool = False) -> int:
    """PriceDaily and PricePeriod from the quotes added since the last run (or all).

    Idempotent: each touched day is recomputed from the quotes and replaces its rows.
    """
    return prices_aggregate(full=full).pk


@shared_task
def sales_aggregate_task(full: bool = False) -> int:
    """SalesDaily and SalesDailyTotal from the orders changed since the last run (or all), then
    DemandDaily (which reads SalesDaily, wholesale orders and the search log): two JobRuns.
    Returns the sales run's id.

    Idempotent: each touched day is recomputed from the orders and replaces its rows.
    """
    run = sales_aggregate(full=full)
    demand_aggregate(full=full)
    return run.pk


@shared_task
def demand_forecast_task() -> int:
    """14-day demand forecasts per category × buyer county.

    Idempotent: a run replaces the previous forecasts with ones made from the same history.
    """
    return demand_forecast().pk
